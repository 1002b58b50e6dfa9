/**
 * Tender ids are each party's own (issue 12, defect 7), over real HTTP: two parties use the same
 * tenderIDs, each cancels and reads only its own, transactions name each side's own tenderID, a
 * restart rebuilds every book exactly, and public market data names orders without their owners
 * (unless the operator publishes owners).
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../adapters/rest/app.js'
import { PgLedger } from '../../adapters/postgres/ledger.js'
import type { Database } from '../../adapters/postgres/database.js'
import { LocalMarketAgent } from '../../market/lma/lma.js'
import { ManualClock } from '../../market/lma/time.js'
import { dropTestDatabase, openTestDatabase } from '../database.js'
import { H12, H13, MARKET, START, tender, testMarket } from '../market.js'

let db: Database | undefined
let running: { lma: LocalMarketAgent, app: FastifyInstance, url: string } | undefined

async function up (publicOwners = false): Promise<string> {
  db ??= await openTestDatabase()
  const lma = await LocalMarketAgent.open({ markets: [testMarket()], ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 1 })), clock: new ManualClock(START) })
  // forceCloseConnections: the ticker tape's connection does not hold up the restart.
  const app = await buildApp({ lma, logger: false, publicOwners, forceCloseConnections: true })
  running = { lma, app, url: await app.listen({ port: 0, host: '127.0.0.1' }) }
  return running.url
}

async function down (): Promise<void> {
  if (running === undefined) return
  await running.app.close()
  await running.lma.close()
  running = undefined
}

afterEach(async () => {
  await down()
  if (db !== undefined) await dropTestDatabase(db)
  db = undefined
})

let n = 0
const tokens = new Map<string, string>()
async function post (name: string, partyID: string, body: Record<string, unknown>): Promise<{ status: number, json: any }> {
  const res = await fetch(`${running!.url}/lma/${name}`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(partyID)}` },
    body: JSON.stringify({ requestID: `r${++n}`, ...body })
  })
  return { status: res.status, json: await res.json() }
}

async function register (partyID: string): Promise<void> {
  const res = await fetch(`${running!.url}/lma/eiCreatePartyRegistration`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ requestID: `reg-${partyID}`, registreePartyID: partyID, eiRegistrationInfo: { partyRole: 'teua' } })
  })
  expect(res.status).toBe(200)
  tokens.set(partyID, res.headers.get('x-party-token')!)
}

const create = (partyID: string, ...eiTender: Array<ReturnType<typeof tender>>) => post('eiCreateTender', partyID, { partyID, counterPartyID: 'lma', eiTender })
const cancel = (partyID: string, ...tenderID: string[]) => post('eiCancelTender', partyID, { partyID, counterPartyID: 'lma', tenderID })
const openTenders = async (partyID: string) => {
  const reply = await post('eiRequestTender', partyID, { partyID, counterPartyID: ['lma'], requestorPartyID: partyID })
  expect(reply.status).toBe(200)
  return Object.fromEntries((reply.json.eiTender ?? []).map((t: any) => [t.tenderID, `${t.product.side} ${t.product.temixPower.quantity}`]))
}
const book = async (dtStart: string) => (await fetch(`${running!.url}/lma/market-data/book?marketContext=${encodeURIComponent(MARKET)}&dtStart=${dtStart}&duration=PT1H`)).json() as Promise<any>

/** The ticker-tape events from a subscription until `count` orders were accepted. */
async function tape (count: number, during: () => Promise<void>): Promise<any[]> {
  const abort = new AbortController()
  const res = await fetch(`${running!.url}/lma/market-data/stream`, { signal: abort.signal })
  const reader = res.body!.getReader()
  const events: any[] = []
  let buffer = ''
  await during()
  const decoder = new TextDecoder()
  while (events.filter((e) => e.type === 'accepted').length < count) {
    const { value, done } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    let end
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const data = buffer.slice(0, end).split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')
      buffer = buffer.slice(end + 2)
      if (data !== '') events.push(JSON.parse(data))
    }
  }
  await reader.cancel()
  abort.abort()
  return events
}

describe('tender ids per party', () => {
  it('two parties use the same tenderIDs; each cancels, reads and trades its own; a restart rebuilds every book exactly', async () => {
    await up()
    await register('alice')
    await register('bob')
    expect((await create('alice', tender('t1', 'sell', '0.120', '5'), tender('t2', 'sell', '0.130', '1', H13))).status).toBe(200)
    const same = await create('bob', tender('t1', 'buy', '0.100', '4'), tender('t2', 'buy', '0.090', '1', H13))
    expect(same.status).toBe(200)
    expect(same.json.tenderID).toEqual(['t1', 't2'])
    // Within one party, a tenderID is still used once.
    expect((await create('bob', tender('t1', 'buy', '0.100', '1'))).status).toBe(409)
    // Bob cancels his t2; Alice's t2 rests on.
    expect((await cancel('bob', 't2')).status).toBe(200)
    expect(await openTenders('alice')).toEqual({ t1: 'sell 5.0', t2: 'sell 1.0' })
    expect(await openTenders('bob')).toEqual({ t1: 'buy 4.0' })
    expect((await cancel('bob', 't2')).status).toBe(409)
    // A tenderID only the other party has is unknown to this one.
    expect((await create('alice', tender('t3', 'sell', '0.150', '1'))).status).toBe(200)
    expect((await cancel('bob', 't3')).status).toBe(404)
    // Bob's t4 takes 2 of Alice's t1: each side's transaction names its own tender.
    expect((await create('bob', tender('t4', 'buy', '0.120', '2'))).status).toBe(200)
    const bought = await post('eiRequestTransaction', 'bob', { partyID: 'bob', requestorPartyID: 'bob' })
    const sold = await post('eiRequestTransaction', 'alice', { partyID: 'alice', requestorPartyID: 'alice' })
    expect(bought.json.eiTransaction.map((t: any) => t.tenderID)).toEqual(['t4'])
    expect(sold.json.eiTransaction.map((t: any) => t.tenderID)).toEqual(['t1'])
    expect(await openTenders('alice')).toEqual({ t1: 'sell 3.0', t2: 'sell 1.0', t3: 'sell 1.0' })
    const before = [await book(H12), await book(H13)]
    await down()
    await up()
    expect([await book(H12), await book(H13)]).toEqual(before)
    expect(await openTenders('alice')).toEqual({ t1: 'sell 3.0', t2: 'sell 1.0', t3: 'sell 1.0' })
    expect(await openTenders('bob')).toEqual({ t1: 'buy 4.0' })
    expect((await cancel('alice', 't1')).status).toBe(200)
    expect(await openTenders('bob')).toEqual({ t1: 'buy 4.0' })
  })

  it('public market data names orders without their owners\' partyIDs and tenderIDs', async () => {
    await up()
    await register('alice')
    await register('bob')
    const events = await tape(2, async () => {
      expect((await create('alice', tender('alice-secret-1', 'sell', '0.120', '5'))).status).toBe(200)
      expect((await create('bob', tender('bob-secret-1', 'buy', '0.100', '4'))).status).toBe(200)
    })
    const snapshot = await book(H12)
    expect(snapshot.orders).toHaveLength(2)
    const published = JSON.stringify([snapshot, events])
    for (const secret of ['alice', 'bob', 'secret']) expect(published).not.toContain(secret)
    // The tape and the snapshot name each order alike, so a client can follow it.
    expect(events.filter((e) => e.type === 'accepted').map((e) => e.orderId).sort()).toEqual(snapshot.orders.map((o: any) => o.orderId).sort())
  })

  it('the operator can publish owners', async () => {
    await up(true)
    await register('alice')
    expect((await create('alice', tender('a1', 'sell', '0.120', '5'))).status).toBe(200)
    expect((await book(H12)).orders).toEqual([expect.objectContaining({ partyID: 'alice', tenderID: 'a1', side: 'sell', remaining: '5.0' })])
  })
})
