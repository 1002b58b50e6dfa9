/**
 * What enters the ledger can be read back, one request cannot fail another's write, an answer's
 * idempotency record is written with it, and a ledger that does not replay keeps only its own
 * market down. Over real HTTP: the LMA app listening on a free port, fetch.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../adapters/rest/app.js'
import { PgLedger } from '../../adapters/postgres/ledger.js'
import { quarantineBook, showBook } from '../../adapters/postgres/ledger-repair.js'
import { checkLedger } from '../../adapters/cli/ledger.js'
import type { Database } from '../../adapters/postgres/database.js'
import { LocalMarketAgent } from '../../market/lma/lma.js'
import type { MarketDefinition } from '../../market/lma/markets.js'
import { ManualClock } from '../../market/lma/time.js'
import { dropTestDatabase, openTestDatabase } from '../database.js'
import { H12, H13, MARKET, START, tender, testMarket } from '../market.js'
import { validJsonAnswer } from '../cts-answers.js'
import { toXml } from '../../schemas/codec.js'
import { toOfficialJsonText } from '../../schemas/official-json.js'

const MARKET_B = 'https://microgrid.example.org/markets/mg2'
const A = testMarket()
const B = testMarket({ marketContext: MARKET_B, marketName: 'Second microgrid' })

interface Running {
  lma: LocalMarketAgent
  app: FastifyInstance
  url: string
  /** Every line the LMA logged: level and message. */
  log: string[]
  close: () => Promise<void>
}

/** Bounds for a loaded machine (HTTP, PostgreSQL and a te-gateway process), not expectations. */
const BOUND = { timeout: 120_000 }

let db: Database | undefined
const running: Running[] = []

afterEach(async () => {
  for (const r of running.splice(0)) await r.close().catch(() => {})
  if (db !== undefined) await dropTestDatabase(db)
  db = undefined
})

const dir = mkdtempSync(join(tmpdir(), 'te-ledger-'))
const marketsFile = join(dir, 'markets.json')
writeFileSync(marketsFile, JSON.stringify([A, B]))

/** te-gateway with these arguments and the test's markets, to its end (spawnSync: nothing outlives it). */
function cli (...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'adapters/cli/te-gateway.ts', ...args, '--markets', marketsFile], { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' })
}

/** An LMA on the test database, listening on a free port. Closing it keeps the database. */
async function open (markets: MarketDefinition[] = [A, B]): Promise<Running> {
  db ??= await openTestDatabase()
  const log: string[] = []
  const lma = await LocalMarketAgent.open({
    markets, ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 1 })), clock: new ManualClock(START),
    log: (level, message) => { log.push(`${level}: ${message}`) }
  })
  const app = await buildApp({ lma, logger: false })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  let closed = false
  const r: Running = { lma, app, url, log, close: async () => { if (!closed) { closed = true; await app.close(); await lma.close() } } }
  running.push(r)
  return r
}

async function post (base: string, name: string, body: unknown, token?: string, type = 'application/json') {
  const res = await fetch(`${base}/lma/${name}`, {
    method: 'POST',
    headers: { 'content-type': type, accept: 'application/json', ...(token !== undefined && { authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
  return { status: res.status, body: await res.json() as any, token: res.headers.get('x-party-token') ?? undefined }
}

async function register (base: string, partyID: string): Promise<string> {
  const res = await post(base, 'eiCreatePartyRegistration', { requestID: `reg-${partyID}`, registreePartyID: partyID, eiRegistrationInfo: { partyRole: 'teua' } })
  expect(res.status).toBe(200)
  return res.token!
}

const createTender = (partyID: string, requestID: string, tenders: unknown[]) => ({ requestID, partyID, counterPartyID: 'lma', eiTender: tenders })

describe('strings the ledger cannot store are refused, naming the path', BOUND, () => {
  it('lone surrogates, NUL and other C0 controls, and over-long ids, in JSON, XML and the official JSON form', async () => {
    const { url, lma } = await open()
    const lmaOf = (_url: string) => lma
    const a = await register(url, 'a')
    const refused = async (name: string, body: unknown, path: string, token?: string, type?: string) => {
      const res = await post(url, name, body, token, type)
      expect(res.status).toBe(400)
      expect(res.body.eiResponse.responseCode).toBe('400')
      expect(res.body.eiResponse.responseDescription).toContain(path)
    }
    await refused('eiCreateTender', createTender('a', 'r1', [tender('x\ud800', 'buy', '0.100', '1')]), 'eiTender[0].tenderID', a)
    await refused('eiCreateTender', createTender('a', 'r2', [tender('x\u0000', 'buy', '0.100', '1')]), 'eiTender[0].tenderID', a)
    await refused('eiCreateTender', createTender('a', 'r\u001b3', [tender('t3', 'buy', '0.100', '1')]), 'requestID', a)
    await refused('eiCreateTender', createTender('a', 'r4', [tender('x'.repeat(129), 'buy', '0.100', '1')]), 'eiTender[0].tenderID', a)
    // Answered in XML too: the refusal does not echo the requestID it cannot carry.
    const inXml = await fetch(`${url}/lma/eiCreateTender`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/xml', authorization: `Bearer ${a}` }, body: JSON.stringify(createTender('a', 'r\u0000', [tender('t', 'buy', '0.100', '1')])) })
    expect(inXml.status).toBe(400)
    expect(await inXml.text()).toContain('<ei:refID>unknown</ei:refID>')
    await refused('eiCreatePartyRegistration', { requestID: 'reg-n', eiRegistrationInfo: { partyName: '\u0000' } }, 'eiRegistrationInfo.partyName')
    await refused('eiCreatePartyRegistration', { requestID: 'reg-l', eiRegistrationInfo: { partyName: 'n'.repeat(1025) } }, 'eiRegistrationInfo.partyName')
    await refused('eiCreatePartyRegistration', { requestID: 'reg-s', registreePartyID: '\udc00p', eiRegistrationInfo: {} }, 'registreePartyID')
    // CTS XML: character references are decoded before the check.
    const xml = (name: string) => toXml('eiCreatePartyRegistration', { requestID: 'x1', eiRegistrationInfo: { partyName: 'NAME' } }).replace('NAME', name)
    const good = await post(url, 'eiCreatePartyRegistration', xml('fine name'), undefined, 'application/xml')
    expect(good.status).toBe(200)
    await refused('eiCreatePartyRegistration', xml('bell\u0007'), 'partyName', undefined, 'application/xml')
    await refused('eiCreatePartyRegistration', xml('bell&#x7;'), '&#x7;', undefined, 'application/xml')
    await refused('eiCreatePartyRegistration', xml('half&#xD800;'), '&#xD800;', undefined, 'application/xml')
    await refused('eiCreatePartyRegistration', xml('nul&#0;'), '&#0;', undefined, 'application/xml')
    // A reference to an allowed character is read as that character.
    const ref = await post(url, 'eiCreatePartyRegistration', xml('&#x41;&#128512;').replace('<pyld:requestID>x1', '<pyld:requestID>x2'), undefined, 'application/xml')
    expect(ref.status).toBe(200)
    expect(lmaOf(url).party(ref.body.registreePartyID)?.partyName).toBe('A\u{1F600}')
    // The official JSON form (the CTS document service reads it with the same types).
    const official = (tenderID: string) => toOfficialJsonText('eiCancelTender', { requestID: 'r', partyID: 'a', tenderID: ['ID'] }).replace('"ID"', JSON.stringify(tenderID))
    const convert = (text: string) => fetch(`${url}/cts/payloads/eiCancelTender/convert?from=official-json&to=json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text })
    expect((await convert(official('t1'))).status).toBe(200)
    const bad = await convert(official('t\ud800'))
    expect(bad.status).toBe(400)
    expect(JSON.stringify(await bad.json())).toContain('ei:tenderID')
    // The longest id is taken.
    expect((await post(url, 'eiCreateTender', createTender('a', 'r5', [tender('x'.repeat(128), 'buy', '0.100', '1', H12, { uid: 'u' })]), a)).status).toBe(200)
  })

  it('the LMA opens again on the same ledger after a surrogate tender, every market up', async () => {
    let lma = await open()
    const a = await register(lma.url, 'a')
    expect((await post(lma.url, 'eiCreateTender', createTender('a', 'bad', [tender('x\ud800', 'buy', '0.100', '1')]), a)).status).toBe(400)
    expect((await post(lma.url, 'eiCreateTender', createTender('a', 'good', [tender('g1', 'buy', '0.100', '1')]), a)).status).toBe(200)
    await lma.close()
    lma = await open()
    expect(lma.lma.marketsOutOfService()).toEqual([])
    for (const [i, m] of [MARKET, MARKET_B].entries()) {
      const res = await post(lma.url, 'eiCreateTender', createTender('a', `after-${i}`, [tender(`after-${i}`, 'sell', '0.200', '1', H12, { marketContext: m })]), a)
      expect(res.status).toBe(200)
    }
    const open1 = await post(lma.url, 'eiRequestTender', { requestID: 'q', partyID: 'a', requestorPartyID: 'a' }, a)
    expect(open1.body.eiTender.map((t: { tenderID: string }) => t.tenderID).sort()).toEqual(['after-0', 'after-1', 'g1'])
  })
})

describe('a ledger that does not replay keeps only its market down', BOUND, () => {
  it('names the row, starts the other markets, refuses the broken one (503) until te-gateway ledger quarantine repairs it', async () => {
    let lma = await open()
    const a = await register(lma.url, 'a')
    const b = await register(lma.url, 'b')
    expect((await post(lma.url, 'eiCreateTender', createTender('a', 'a1', [tender('A-1', 'sell', '0.110', '5'), tender('A-2', 'sell', '0.300', '1', H13)]), a)).status).toBe(200)
    expect((await post(lma.url, 'eiCreateTender', createTender('b', 'b1', [tender('A-3', 'buy', '0.120', '2')]), b)).status).toBe(200)
    expect((await post(lma.url, 'eiCreateTender', createTender('a', 'a2', [tender('B-1', 'sell', '0.110', '5', H12, { marketContext: MARKET_B })]), a)).status).toBe(200)
    await lma.close()
    // What a lone surrogate used to do: the book's events name a tender the tenders table does not have.
    const book = `${MARKET}|${H12}|PT1H`
    // Book events name tenders by the engine's order id (tenderIDs are each party's own).
    const orderID = (await db!.pool.query<{ order_id: string }>(`SELECT order_id FROM tenders WHERE party_id = 'a' AND tender_id = 'A-1'`)).rows[0]!.order_id
    const changed = await db!.pool.query(`UPDATE book_events SET event = replace(event::text, '"' || $2 || '"', '"' || $2 || '\\ud800"')::json WHERE book_id = $1`, [book, orderID])
    expect(changed.rowCount).toBeGreaterThan(0)

    lma = await open()
    expect(lma.lma.marketsOutOfService()).toMatchObject([{ marketContext: MARKET, book }])
    expect(lma.log.some((l) => l.startsWith('error:') && l.includes(book) && l.includes('te-gateway ledger quarantine'))).toBe(true)
    const refusedA = await post(lma.url, 'eiCreateTender', createTender('b', 'b2', [tender('A-4', 'buy', '0.100', '1')]), b)
    expect(refusedA.status).toBe(503)
    expect(refusedA.body.eiResponse.responseDescription).toContain('out of service')
    expect((await post(lma.url, 'eiCancelTender', { requestID: 'c1', partyID: 'a', tenderID: ['A-2'] }, a)).status).toBe(503)
    // The other market trades.
    const tradeB = await post(lma.url, 'eiCreateTender', createTender('b', 'b3', [tender('B-2', 'buy', '0.110', '2', H12, { marketContext: MARKET_B })]), b)
    expect(tradeB.status).toBe(200)
    const ready = await (await fetch(`${lma.url}/ready`)).json() as { outOfService?: unknown[] }
    expect(ready.outOfService).toHaveLength(1)
    await lma.close()

    // The operator's repair, with the LMA stopped: through the command line when the ledger is in
    // PostgreSQL (the embedded one of the tests lives in this process's memory).
    expect(await checkLedger(db!, [A, B])).toMatchObject([{ marketContext: MARKET, book }])
    const shown = await showBook(db!, book)
    expect(shown.events.length).toBeGreaterThan(1)
    expect(shown.tenders.map((t) => t.tenderID)).toContain('A-1')
    let result: { events: number, canceledTenders: string[] }
    if (db!.kind === 'postgres') {
      const quarantine = cli('ledger', 'quarantine', '--schema', db!.schema, '--book', book, '--reason', 'test')
      expect(quarantine.stderr).toBe('')
      result = JSON.parse(quarantine.stdout)
    } else {
      result = await quarantineBook(db!, book, A, 'test')
    }
    expect(result.events).toBe(shown.events.length)
    expect(result.canceledTenders).toEqual(['A-1'])
    expect(await checkLedger(db!, [A, B])).toEqual([])
    expect((await showBook(db!, book)).quarantined).toBe(shown.events.length)

    lma = await open()
    expect(lma.lma.marketsOutOfService()).toEqual([])
    // The quarantined interval is closed; the market's other intervals trade, what they held is kept.
    expect((await post(lma.url, 'eiCreateTender', createTender('b', 'b4', [tender('A-5', 'buy', '0.300', '1', H13)]), b)).status).toBe(200)
    const txB = await post(lma.url, 'eiRequestTransaction', { requestID: 'tx', partyID: 'b', requestorPartyID: 'b' }, b)
    expect(txB.body.eiTransaction.map((t: { tenderID: string }) => t.tenderID).sort()).toEqual(['A-3', 'A-5', 'B-2'])
    const openA = await post(lma.url, 'eiRequestTender', { requestID: 'q', partyID: 'a', requestorPartyID: 'a' }, a)
    expect(openA.body.eiTender.map((t: { tenderID: string }) => t.tenderID)).toEqual(['B-1'])
  })
})

describe('one request cannot fail another request\'s write', BOUND, () => {
  const honest = (url: string, tokens: { a: string, b: string }, n: number) => Array.from({ length: n }, (_, i) => {
    const who = i % 2 === 0 ? 'a' : 'b'
    return post(url, 'eiCreateTender', createTender(who, `h${i}`, [tender(`h${i}`, who === 'a' ? 'sell' : 'buy', who === 'a' ? '0.200' : '0.100', '1', i % 4 < 2 ? H12 : H13)]), tokens[who])
  })

  it('a registration with partyName NUL beside 200 honest tenders: it gets 400, every honest one 200, no reload', async () => {
    const { url, lma, log } = await open()
    const tokens = { a: await register(url, 'a'), b: await register(url, 'b') }
    const bad = post(url, 'eiCreatePartyRegistration', { requestID: 'evil', registreePartyID: 'evil', eiRegistrationInfo: { partyName: '\u0000' } })
    const answers = await Promise.all(honest(url, tokens, 200))
    expect((await bad).status).toBe(400)
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200))
    expect(log.filter((l) => l.startsWith('error:'))).toEqual([])
    expect(lma.ready).toBe(true)
  })

  it('a member the ledger refuses (a constraint on its row) is answered 503 and undone; the rest of its batch is written', async () => {
    const { url, lma, log } = await open()
    const tokens = { a: await register(url, 'a'), b: await register(url, 'b') }
    await db!.pool.query("ALTER TABLE parties ADD CONSTRAINT test_poison CHECK (party_name IS DISTINCT FROM 'poison')")
    const bad = post(url, 'eiCreatePartyRegistration', { requestID: 'p', registreePartyID: 'p', eiRegistrationInfo: { partyName: 'poison' } })
    const answers = await Promise.all(honest(url, tokens, 200))
    expect((await bad).status).toBe(503)
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200))
    expect(log.some((l) => l.includes('reloading'))).toBe(false)
    expect(lma.ready).toBe(true)
    // The refused registration left nothing behind: the partyID is free.
    expect((await post(url, 'eiCreatePartyRegistration', { requestID: 'p2', registreePartyID: 'p', eiRegistrationInfo: { partyName: 'fine' } })).status).toBe(200)
    const rows = await db!.pool.query("SELECT count(*)::int AS n FROM tenders WHERE tender_id LIKE 'h%'")
    expect(rows.rows[0].n).toBe(200)
  })

  // PostgreSQL only: PGlite's wire emulation loses step after an error inside this statement
  // ("unexpected rowDescription"), so every later write fails until the LMA reconnects and reloads all.
  it.skipIf(process.env.DATABASE_URL === undefined)('a tender the ledger refuses is answered 503 and only its market reloads: the other market\'s tenders all get 200, nothing answered is lost', async () => {
    let lma = await open()
    const tokens = { a: await register(lma.url, 'a'), b: await register(lma.url, 'b') }
    await db!.pool.query("ALTER TABLE tenders ADD CONSTRAINT test_poison CHECK (tender_id <> 'poison')")
    const bad = post(lma.url, 'eiCreateTender', createTender('a', 'poison', [tender('poison', 'sell', '0.200', '1')]), tokens.a)
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => {
      const who = i % 2 === 0 ? 'a' : 'b'
      const market = i % 4 < 2 ? MARKET : MARKET_B
      return post(lma.url, 'eiCreateTender', createTender(who, `m${i}`, [tender(`m${i}`, who === 'a' ? 'sell' : 'buy', who === 'a' ? '0.200' : '0.100', '1', H12, { marketContext: market })]), tokens[who])
    }))
    expect((await bad).status).toBe(503)
    const inB = answers.filter((_, i) => i % 4 >= 2)
    expect(inB.map((a) => a.status)).toEqual(inB.map(() => 200))
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true)
    expect(lma.log.some((l) => l.includes(`reloading ${MARKET} from the ledger`))).toBe(true)
    expect(lma.lma.ready).toBe(true)
    // Memory and ledger agree: the open tenders now are those after a restart, every answered one, not the refused one.
    const openTenders = async (r: Running) => (await Promise.all(['a', 'b'].map(async (who) =>
      (await post(r.url, 'eiRequestTender', { requestID: `q-${who}`, partyID: who, requestorPartyID: who }, tokens[who as 'a' | 'b'])).body.eiTender.map((t: { tenderID: string }) => t.tenderID)))).flat().sort()
    const before = await openTenders(lma)
    const answered = answers.flatMap((a, i) => a.status === 200 ? [`m${i}`] : []).sort()
    expect(before).toEqual(answered)
    await lma.close()
    lma = await open()
    expect(await openTenders(lma)).toEqual(before)
  })
})

describe('the answer and its idempotency record are written together', BOUND, () => {
  it('on an idle LMA the record of a 200 is in the ledger when the answer arrives; a fresh LMA on it answers the resend the same', async () => {
    const first = await open()
    const a = await register(first.url, 'a')
    const body = createTender('a', 'once', [tender('t1', 'buy', '0.100', '1')])
    const answer = await post(first.url, 'eiCreateTender', body, a)
    expect(answer.status).toBe(200)
    const rows = await db!.pool.query("SELECT status FROM requests WHERE request_id = 'once'")
    expect(rows.rows).toEqual([{ status: 200 }])
    // As after kill -9: the first LMA never closes (nothing more is flushed); another opens on the ledger.
    await first.app.close()
    const second = await open()
    const again = await post(second.url, 'eiCreateTender', body, a)
    expect(again.status).toBe(200)
    expect(again.body).toEqual(answer.body)
    validJsonAnswer('eiCreatedTender', again.body)
  })

  it('a requestID reused with another body gets 409, the same body the first answer', async () => {
    const { url } = await open()
    const a = await register(url, 'a')
    const body = createTender('a', 'r1', [tender('t1', 'buy', '0.100', '1')])
    const first = await post(url, 'eiCreateTender', body, a)
    expect(first.status).toBe(200)
    const other = await post(url, 'eiCreateTender', createTender('a', 'r1', [tender('t2', 'buy', '0.100', '1')]), a)
    expect(other.status).toBe(409)
    expect(other.body.eiResponse.responseDescription).toContain('requestID r1')
    // The same request in XML-equivalent JSON spelling (keys in another order) is the same request.
    const reordered = { eiTender: body.eiTender, counterPartyID: 'lma', partyID: 'a', requestID: 'r1' }
    const same = await post(url, 'eiCreateTender', reordered, a)
    expect(same.status).toBe(200)
    expect(same.body).toEqual(first.body)
  })
})
