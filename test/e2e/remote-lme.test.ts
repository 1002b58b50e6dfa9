/**
 * The LME in a process of its own: the LMA drives it over real HTTP (RemoteEngine -> the LME
 * service), reads books from its replica, rebuilds the LME from the ledger when it opens, and
 * when the LME restarts or stops answering it refuses (503), reloads, and trades on.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import Fastify, { type FastifyInstance } from 'fastify'
import { lmeRoutes } from '../../adapters/rest/lme.js'
import { RemoteEngine } from '../../adapters/rest/lme-client.js'
import { PgLedger } from '../../adapters/postgres/ledger.js'
import type { Database } from '../../adapters/postgres/database.js'
import { LocalMarketAgent } from '../../market/lma/lma.js'
import { MarketRefusal } from '../../market/lma/responses.js'
import { ManualClock } from '../../market/lma/time.js'
import type { PartyRecord } from '../../market/lma/ledger.js'
import { createMechanism } from '../../market/lme/index.js'
import { dropTestDatabase, openTestDatabase } from '../database.js'
import { H12, H13, START, tender, testMarket } from '../market.js'
import { until } from '../until.js'

let db: Database
let lme: FastifyInstance
let lmeUrl: string
let lma: LocalMarketAgent
let clock: ManualClock

async function startLme (port = 0): Promise<void> {
  lme = Fastify()
  await lme.register(lmeRoutes, { create: () => createMechanism({ kind: 'continuous' }) })
  lmeUrl = await lme.listen({ port, host: '127.0.0.1' })
}

const open = () => LocalMarketAgent.open({
  markets: [testMarket({ lmeUrl })], ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 1 })), clock,
  engine: (m) => new RemoteEngine(m.lmeUrl!, 2000)
})

beforeEach(async () => {
  db = await openTestDatabase()
  clock = new ManualClock(START)
  await startLme()
  lma = await open()
}, 60_000)
afterEach(async () => {
  await lma.close()
  await lme.close()
  await dropTestDatabase(db)
})

let n = 0
const create = (party: PartyRecord, ...tenders: Array<ReturnType<typeof tender>>) =>
  lma.createTender(party, { requestID: `r${++n}`, partyID: party.partyID, counterPartyID: 'lma', eiTender: tenders })
async function register (partyID: string): Promise<PartyRecord> {
  await lma.registerParty({ requestID: `reg-${partyID}`, registreePartyID: partyID, eiRegistrationInfo: { partyRole: 'teua' } })
  return lma.party(partyID)!
}
async function refusal (promise: Promise<unknown>): Promise<MarketRefusal> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(MarketRefusal)
  return error as MarketRefusal
}
describe('LME in another process', () => {
  it('trades through the LME over HTTP, and the LMA reads its books from the events', async () => {
    const a = await register('a')
    const b = await register('b')
    await create(a, tender('s1', 'sell', '0.110', '5'), tender('s2', 'sell', '0.120', '5', H13))
    await create(b, tender('b1', 'buy', '0.115', '3'))
    expect(lma.transactionsOf('b')).toMatchObject([{ tenderID: 'b1', counterPartyID: 'a', priceTicks: 110, quantityTicks: 30 }])
    // The LMA's view and the LME's own agree.
    const instrument = { marketContext: testMarket().marketContext, dtStart: H12, duration: 'PT1H' }
    const remote = await (await fetch(`${lmeUrl}/lme/snapshot`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instrument }) })).json()
    expect(lma.snapshot(instrument)).toEqual(remote)
    expect(lma.snapshot(instrument)).toMatchObject({ asks: [{ price: 110, quantity: 20, orders: 1 }], bids: [] })
    await lma.cancelTender(a, { requestID: 'c1', partyID: 'a', counterPartyID: 'lma', tenderID: ['s2'] })
    expect(lma.tender('a', 's2')!.status).toBe('canceled')
    clock.set('2026-06-20T11:55:00Z')
    expect(await lma.closeDueIntervals()).toBe(1)
    expect(lma.tender('a', 's1')!.status).toBe('canceled')
  })

  it('rebuilds the LME from the ledger when the LMA opens', async () => {
    const a = await register('a')
    const b = await register('b')
    await create(a, tender('s1', 'sell', '0.110', '5'))
    await create(b, tender('b1', 'buy', '0.100', '2'))
    const instrument = { marketContext: testMarket().marketContext, dtStart: H12, duration: 'PT1H' }
    const before = lma.snapshot(instrument)
    await lma.close()
    await lme.close()
    await startLme() // an empty LME, as after a crash
    lma = await open()
    expect(lma.snapshot(instrument)).toEqual(before)
    await create(lma.party('b')!, tender('b2', 'buy', '0.110', '5'))
    expect(lma.transactionsOf('b')).toMatchObject([{ tenderID: 'b2', priceTicks: 110, quantityTicks: 50 }])
  })

  it('an LME that restarted behind its back: the LMA refuses (503), changes nothing, rebuilds it and trades on', async () => {
    const a = await register('a')
    const b = await register('b')
    await create(a, tender('s1', 'sell', '0.110', '5'))
    await fetch(`${lmeUrl}/lme/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect((await refusal(create(b, tender('b1', 'buy', '0.120', '5')))).refusal).toBe('unavailable')
    await until(() => lma.ready)
    expect(lma.tender('b', 'b1')).toBeUndefined()
    // s1 is back in the rebuilt LME, and trades.
    await create(b, tender('b2', 'buy', '0.120', '2'))
    expect(lma.transactionsOf('b')).toMatchObject([{ tenderID: 'b2', counterPartyID: 'a', quantityTicks: 20 }])
  })

  it('an LME that stops answering: refused until it is back, then rebuilt', async () => {
    const a = await register('a')
    await create(a, tender('s1', 'sell', '0.110', '5'))
    const port = Number(new URL(lmeUrl).port)
    await lme.close()
    expect((await refusal(create(a, tender('s2', 'sell', '0.120', '5')))).refusal).toBe('unavailable')
    expect(lma.ready).toBe(false)
    await startLme(port)
    await until(() => lma.ready) // the LMA kept retrying its reload
    await create(a, tender('s3', 'sell', '0.130', '1'))
    expect(lma.tender('a', 's3')!.status).toBe('open')
    expect(lma.tender('a', 's2')).toBeUndefined()
  })
})
