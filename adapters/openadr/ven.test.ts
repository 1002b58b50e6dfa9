/**
 * Our VEN against the recorded VTN side of a real openleadr session: a VTN stand-in answers each
 * request with what the real VTN answered (and refuses any request of ours that is not XSD-valid).
 * The price event arrives twice, as the peer sends it; the tenders are created exactly once.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../rest/app.js'
import { HttpLmaClient } from '../rest/lma-client.js'
import { PgLedger } from '../postgres/ledger.js'
import type { Database } from '../postgres/database.js'
import { LocalMarketAgent } from '../../market/lma/lma.js'
import { ManualClock } from '../../market/lma/time.js'
import { PriceEma } from '../../market/ema/price-ema.js'
import { dropTestDatabase, openTestDatabase } from '../../test/database.js'
import { testMarket } from '../../test/market.js'
import { readOadr, validateOadr } from './envelope.js'
import { FileReportedStore, OadrVen, type ReportedStore, type VenOptions } from './ven.js'
import { receiveOadr } from './model.js'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'

const SESSION = resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/openadr-fixtures/openleadr-session')
const recorded = readdirSync(SESSION).sort()
const market = testMarket({ granularity: 'PT15M', duration: 'PT15M' })

/** The recorded VTN answers, in order, for each type of request. */
function answersByRequest (): Map<string, string[]> {
  const answers = new Map<string, string[]>()
  for (let i = 0; i < recorded.length; i++) {
    const m = /^\d+-ven-out-(\w+)\.xml$/.exec(recorded[i]!)
    if (m === null) continue
    const answer = recorded.slice(i + 1).find((f) => f.includes('-vtn-out-'))
    if (answer === undefined) continue
    answers.set(m[1]!, [...(answers.get(m[1]!) ?? []), readFileSync(join(SESSION, answer), 'utf8')])
  }
  return answers
}

let db: Database
let lma: LocalMarketAgent
let app: FastifyInstance
let vtn: Server
let vtnUrl: string
const sent: Array<{ type: string, errors: string[], body: string }> = []
let answers: Map<string, string[]>
let emaClient: HttpLmaClient | undefined
/** Request types the stand-in answers as a failing openleadr handler does: HTTP 500, plain text. */
const failing = new Set<string>()

beforeEach(async () => {
  sent.length = 0
  failing.clear()
  emaClient = undefined
  answers = answersByRequest()
  vtn = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => { body += c })
    req.on('end', () => {
      void (async () => {
        const { type } = readOadr(body)
        sent.push({ type, errors: (await validateOadr(body)).errors, body })
        if (failing.has(type)) { res.writeHead(500, { 'content-type': 'text/plain' }).end('500 Internal Server Error\n\nServer got itself in trouble'); return }
        const queue = answers.get(type) ?? []
        const answer = queue.length > 1 ? queue.shift()! : queue[0]
        if (answer === undefined) { res.writeHead(400).end('no recorded answer'); return }
        res.writeHead(200, { 'content-type': 'application/xml' }).end(answer)
      })()
    })
  })
  await new Promise<void>((r) => vtn.listen(0, '127.0.0.1', r))
  vtnUrl = `http://127.0.0.1:${(vtn.address() as AddressInfo).port}/OpenADR2/Simple/2.0b`
  db = await openTestDatabase()
  lma = await LocalMarketAgent.open({ markets: [market], ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 1 })), clock: new ManualClock('2026-11-25T00:00:00Z') })
  app = await buildApp({ lma, logger: false })
}, 60_000)
afterEach(async () => {
  await app.close()
  await lma.close()
  await new Promise((r) => vtn.close(r))
  await dropTestDatabase(db)
})

/** The EMA registered with the LMA (over HTTP) and, as a VEN, with the VTN stand-in. */
async function registeredVen (markup: string, markdown: string, reported?: ReportedStore, more: Partial<VenOptions> = {}): Promise<OadrVen> {
  const url = app.server.listening ? `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` : await app.listen({ port: 0, host: '127.0.0.1' })
  const client = lma.party('ema-utility') === undefined
    ? (await HttpLmaClient.register(url, { partyID: 'ema-utility', partyRole: 'ema' })).client
    : emaClient!
  emaClient = client
  const ema = new PriceEma({ partyID: 'ema-utility', lmaPartyID: 'lma', market, markup, markdown, importLimit: '100', exportLimit: '50' }, client)
  const ven = new OadrVen({ vtnUrl, venName: 'ema-test-ven', ema, ...(reported !== undefined && { reports: { market, reported } }), ...more })
  await ven.register()
  return ven
}

describe('VEN against the recorded VTN', () => {
  it('registers, takes the price event (twice, as sent) and creates its tenders exactly once; every message it sends is XSD-valid', async () => {
    const ven = await registeredVen('0.005', '0.01')
    expect(ven).toMatchObject({ vtnID: 'UTILITY-VTN', venID: 'ven-ema-1', registrationID: 'reg-ema-1' })
    expect(await ven.requestEvents()).toEqual([{ eventID: 'cf581f2f-9f8f-4dcb-9a77-7a1efaee4fd8', modificationNumber: 0, optType: 'optIn', outcome: 'created' }])
    expect(lma.tendersOf('ema-utility')).toHaveLength(6)
    const again = await ven.poll()
    expect(again).toEqual({ type: 'oadrDistributeEvent', handled: [{ eventID: 'cf581f2f-9f8f-4dcb-9a77-7a1efaee4fd8', modificationNumber: 0, optType: 'optIn', outcome: 'already handled' }] })
    expect(lma.tendersOf('ema-utility')).toHaveLength(6)
    expect((await ven.poll()).type).toBe('oadrResponse')
    expect(sent.map((s) => s.type)).toEqual(['oadrQueryRegistration', 'oadrCreatePartyRegistration', 'oadrRequestEvent', 'oadrCreatedEvent', 'oadrPoll', 'oadrCreatedEvent', 'oadrPoll'])
    expect(sent.filter((s) => s.errors.length > 0)).toEqual([])
    // The prices: the event's 0.12 .. 0.31 with the markup and markdown, on the quarter hours it covers whole.
    expect(lma.tendersOf('ema-utility').map((t) => [t.instrument.dtStart.slice(11, 16), t.side, t.price])).toEqual([
      ['01:45', 'sell', '0.185'], ['01:45', 'buy', '0.110'], ['02:00', 'sell', '0.315'], ['02:00', 'buy', '0.170'], ['02:15', 'sell', '0.315'], ['02:15', 'buy', '0.210']
    ])
  })

  it('opts out with OpenADR codes: 460 for a signal it cannot use, 450 for a stale modification; ignores another VTN', async () => {
    const ven = await registeredVen('0', '0')
    const session = readFileSync(join(SESSION, '019-vtn-out-oadrDistributeEvent.xml'), 'utf8')
    const loadControl = readFileSync(join(SESSION, '../examples/oadrDistributeEvent.xml'), 'utf8').replace('VTN123', 'UTILITY-VTN').replace('VEN001', 'ven-ema-1')
    answers.set('oadrRequestEvent', [
      loadControl,
      session.replace('<ei:modificationNumber>0</ei:modificationNumber>', '<ei:modificationNumber>1</ei:modificationNumber>'),
      session,
      session.replaceAll('UTILITY-VTN', 'OTHER-VTN')
    ])
    const [unsupported] = await ven.requestEvents()
    expect(unsupported).toMatchObject({ optType: 'optOut', responseCode: '460', reason: expect.stringMatching(/no price signal \(LOAD_CONTROL\)/) })
    expect(lma.tendersOf('ema-utility')).toHaveLength(0)
    expect((await ven.requestEvents())[0]).toMatchObject({ optType: 'optIn', outcome: 'created' })
    expect((await ven.requestEvents())[0]).toMatchObject({ optType: 'optOut', responseCode: '450', outcome: 'stale' })
    const before = sent.length
    expect(await ven.requestEvents()).toEqual([])
    expect(sent.slice(before).map((s) => s.type)).toEqual(['oadrRequestEvent'])
    expect(lma.tendersOf('ema-utility')).toHaveLength(6)
    // What it answered, as the VTN read it: the codes and reasons in each eventResponse.
    const created = sent.filter((s) => s.type === 'oadrCreatedEvent').map((s) => s.body)
    expect(created[0]).toMatch(/<ei:responseCode>460<\/ei:responseCode>[\s\S]*<ei:optType>optOut<\/ei:optType>/)
    expect(created[2]).toMatch(/<ei:responseCode>450<\/ei:responseCode>/)
    expect(sent.filter((s) => s.errors.length > 0)).toEqual([])
  })

  it('does not act on an answer of the VTN that is not valid against oadr_20b.xsd', async () => {
    const ven = await registeredVen('0', '0')
    const session = readFileSync(join(SESSION, '019-vtn-out-oadrDistributeEvent.xml'), 'utf8')
    answers.set('oadrRequestEvent', [session.replace('<ei:eventStatus>far</ei:eventStatus>', '<ei:eventStatus>someday</ei:eventStatus>')])
    await expect(ven.requestEvents()).rejects.toThrow(/not valid against oadr_20b\.xsd/)
    expect(lma.tendersOf('ema-utility')).toHaveLength(0)
  })

  it('reports its cleared trades up (oadrUpdateReport, XSD-valid), each once, even after a restart', async () => {
    const store = new FileReportedStore(join(mkdtempSync(join(tmpdir(), 'te-ven-')), 'reported.json'))
    const ven = await registeredVen('0.005', '0.01', store)
    await ven.requestEvents()
    // The recorded VTN asks for the peer's report; here it asks for ours.
    answers.set('oadrRegisterReport', answers.get('oadrRegisterReport')!.map((x) => x.replaceAll('606ac423-8385-4632-820b-f424cc5f7e84', 'ven-ema-1-trades')))
    expect(await ven.registerReports()).toEqual({ reportRequestID: 'fcc7941f-0199-4a1b-9d23-0437b7362d4a', reportSpecifierID: 'ven-ema-1-trades' })
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const seller = (await HttpLmaClient.register(url, { partyID: 'seller' })).client
    const sell = (id: string, quantity: string) => seller.call('eiCreateTender', 'eiCreatedTender', {
      requestID: id, partyID: 'seller', counterPartyID: 'lma',
      eiTender: [{ tenderID: id, product: { dtStart: '2026-11-25T01:45:00.000Z', duration: 'PT15M', temixPower: { price: '0.100', quantity }, uid: id, transactiveState: 'tender', marketContext: market.marketContext, side: 'sell' } }]
    })
    await sell('s1', '2.0')
    expect(await ven.reportTrades()).toBe(1)
    const update = sent.filter((s) => s.type === 'oadrUpdateReport')
    expect(update).toHaveLength(1)
    expect(update[0]!.errors).toEqual([])
    expect(update[0]!.body).toMatch(/<ei:rID>energy<\/ei:rID>\s*<ei:payloadFloat>\s*<ei:value>2\.0<\/ei:value>/)
    expect(update[0]!.body).toMatch(/<ei:rID>price<\/ei:rID>\s*<ei:payloadFloat>\s*<ei:value>0\.110<\/ei:value>/)
    // A restarted VEN (same store) repeats nothing; a new trade is reported alone.
    const restarted = await registeredVen('0.005', '0.01', store)
    restarted.reportRequest = ven.reportRequest
    expect(await restarted.reportTrades()).toBe(0)
    await sell('s2', '1.0')
    expect(await restarted.reportTrades()).toBe(1)
    expect(sent.filter((s) => s.type === 'oadrUpdateReport')).toHaveLength(2)
    expect(sent.filter((s) => s.errors.length > 0)).toEqual([])
  })

  it('shapes its oadrUpdateReport as the recorded openleadr VEN does: one oadrReportPayload per interval; energy and price of a trade paired by its uid', async () => {
    const recordedReports = recorded.filter((f) => /-ven-out-oadrUpdateReport\.xml$/.test(f))
    expect(recordedReports.length).toBeGreaterThan(0)
    for (const f of recordedReports) {
      const counts = await payloadsPerInterval(readFileSync(join(SESSION, f), 'utf8'))
      expect(counts.length).toBeGreaterThan(0)
      expect(counts.every((n) => n === 1)).toBe(true)
    }
    const ven = await tradingVen()
    expect(await ven.reportTrades()).toBe(2)
    const update = sent.filter((s) => s.type === 'oadrUpdateReport')
    expect(update).toHaveLength(1)
    expect(update[0]!.errors).toEqual([])
    expect(await payloadsPerInterval(update[0]!.body)).toEqual([1, 1, 1, 1])
    const { payload } = await receiveOadr(update[0]!.body)
    if (payload.type !== 'oadrUpdateReport') throw new Error(payload.type)
    const points = payload.message.oadrReport[0]!.intervals!.map((i) => [i.uid, ...i.payloads.map((p) => ('report' in p && 'payloadFloat' in p.report.payload ? `${p.report.rID}=${p.report.payload.payloadFloat}` : '?'))])
    // Two intervals per trade, its energy then its price, under the trade's id (uid).
    expect(points.map((p) => p[1]!.split('=')[0])).toEqual(['energy', 'price', 'energy', 'price'])
    const byUid = new Map<string, string[]>()
    for (const [uid, ...values] of points) byUid.set(uid!, [...(byUid.get(uid!) ?? []), ...(values as string[])])
    expect([...byUid.values()].sort()).toEqual([['energy=1.0', 'price=0.110'], ['energy=2.0', 'price=0.110']])
  })

  it('a VTN that answers HTTP 500 to the report: the poll goes on, the report backs off (doubling, bounded) and is logged as a report failure with the answer', async () => {
    let now = 0
    const logged: Array<{ message: string, detail?: Record<string, unknown> }> = []
    const ven = await tradingVen({ now: () => now, reportBackoff: { firstMs: 1000, maxMs: 4000 }, log: (message, detail) => logged.push({ message, ...(detail !== undefined && { detail }) }) })
    failing.add('oadrUpdateReport')
    const reportsSent = (): number => sent.filter((s) => s.type === 'oadrUpdateReport').length
    const polls = (): number => sent.filter((s) => s.type === 'oadrPoll').length
    // Each round at a second: report tries at 0, 1, 3, 7 and 11 s (waits of 1, 2, 4, then 4: bounded).
    const tries: number[] = []
    for (now = 0; now <= 12_000; now += 1000) {
      const before = reportsSent()
      expect(await ven.pollAndReport()).toMatchObject({ reported: 0 })
      if (reportsSent() > before) tries.push(now)
    }
    expect(polls()).toBe(13)
    expect(tries).toEqual([0, 1000, 3000, 7000, 11_000])
    const failures = logged.filter((l) => l.message === 'report failed')
    expect(failures).toHaveLength(5)
    expect(failures[0]!.detail).toMatchObject({ error: expect.stringMatching(/HTTP 500 to EiReport: 500 Internal Server Error/), failures: 1, retryInSeconds: 1 })
    expect(failures[4]!.detail).toMatchObject({ failures: 5, retryInSeconds: 4 })
    expect(logged.filter((l) => /poll/.test(l.message))).toEqual([])
    // The VTN takes it again: the report goes at its time, and the back-off is over.
    failing.clear()
    now = 15_000
    expect(await ven.pollAndReport()).toMatchObject({ reported: 2 })
    now = 16_000
    expect(await ven.pollAndReport()).toMatchObject({ reported: 0 })
    expect(reportsSent()).toBe(6)
  })
})

describe('VEN against a VTN that takes only TELEMETRY_USAGE, as stock openleadr', () => {
  it('offers its trades as TELEMETRY_USAGE too, and reports their energy so when that is all the VTN asks for, in the recorded shape', async () => {
    const ven = await registeredVen('0.005', '0.01', new FileReportedStore(join(mkdtempSync(join(tmpdir(), 'te-ven-')), 'reported.json')))
    await ven.requestEvents()
    // The recorded VTN asks for the peer's TELEMETRY_USAGE report; here for ours.
    answers.set('oadrRegisterReport', answers.get('oadrRegisterReport')!.map((x) => x.replaceAll('606ac423-8385-4632-820b-f424cc5f7e84', 'ven-ema-1-usage')))
    expect(await ven.registerReports()).toEqual({ reportRequestID: 'fcc7941f-0199-4a1b-9d23-0437b7362d4a', reportSpecifierID: 'ven-ema-1-usage' })
    expect(ven.reportsUsageOnly).toBe(true)
    const registration = sent.find((s) => s.type === 'oadrRegisterReport')!
    expect(registration.errors).toEqual([])
    expect(registration.body).toMatch(/<ei:reportName>METADATA_TELEMETRY_USAGE<\/ei:reportName>/)
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const seller = (await HttpLmaClient.register(url, { partyID: 'seller' })).client
    await seller.call('eiCreateTender', 'eiCreatedTender', {
      requestID: 's1', partyID: 'seller', counterPartyID: 'lma',
      eiTender: [{ tenderID: 's1', product: { dtStart: '2026-11-25T01:45:00.000Z', duration: 'PT15M', temixPower: { price: '0.100', quantity: '2.0' }, uid: 's1', transactiveState: 'tender', marketContext: market.marketContext, side: 'sell' } }]
    })
    expect(await ven.reportTrades()).toBe(1)
    const update = sent.filter((s) => s.type === 'oadrUpdateReport')
    expect(update).toHaveLength(1)
    expect(update[0]!.errors).toEqual([])
    expect(await payloadsPerInterval(update[0]!.body)).toEqual([1])
    expect(update[0]!.body).toMatch(/<ei:reportName>TELEMETRY_USAGE<\/ei:reportName>/)
    expect(update[0]!.body).toMatch(/<ei:rID>usage<\/ei:rID>\s*<ei:payloadFloat>\s*<ei:value>2\.0<\/ei:value>/)
  })
})

/** The number of oadrReportPayloads in each interval of an oadrUpdateReport. */
async function payloadsPerInterval (body: string): Promise<number[]> {
  const { payload } = await receiveOadr(body)
  if (payload.type !== 'oadrUpdateReport') throw new Error(`not an oadrUpdateReport: ${payload.type}`)
  return payload.message.oadrReport.flatMap((r) => (r.intervals ?? []).map((i) => i.payloads.length))
}

/** A VEN whose report the VTN asked for, with two cleared trades of the EMA (2.0 and 1.0 bought at 0.110). */
async function tradingVen (more: Partial<VenOptions> = {}): Promise<OadrVen> {
  const store = new FileReportedStore(join(mkdtempSync(join(tmpdir(), 'te-ven-')), 'reported.json'))
  const ven = await registeredVen('0.005', '0.01', store, more)
  await ven.requestEvents()
  answers.set('oadrRegisterReport', answers.get('oadrRegisterReport')!.map((x) => x.replaceAll('606ac423-8385-4632-820b-f424cc5f7e84', 'ven-ema-1-trades')))
  await ven.registerReports()
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const seller = (await HttpLmaClient.register(url, { partyID: 'seller' })).client
  for (const [id, quantity] of [['s1', '2.0'], ['s2', '1.0']] as const) {
    await seller.call('eiCreateTender', 'eiCreatedTender', {
      requestID: id, partyID: 'seller', counterPartyID: 'lma',
      eiTender: [{ tenderID: id, product: { dtStart: '2026-11-25T01:45:00.000Z', duration: 'PT15M', temixPower: { price: '0.100', quantity }, uid: id, transactiveState: 'tender', marketContext: market.marketContext, side: 'sell' } }]
    })
  }
  return ven
}
