/**
 * The LMA with a real ledger (PostgreSQL when DATABASE_URL is set, PGlite otherwise), without HTTP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LocalMarketAgent } from './lma.js'
import { PgLedger } from '../../adapters/postgres/ledger.js'
import { ManualClock } from './time.js'
import { MarketRefusal } from './responses.js'
import type { Database } from '../../adapters/postgres/database.js'
import { dropTestDatabase, openTestDatabase } from '../../test/database.js'
import { H12, H13, MARKET, START, tender, testMarket } from '../../test/market.js'
import type { PartyRecord } from './ledger.js'

let db: Database
let clock: ManualClock
let lma: LocalMarketAgent
const open = () => LocalMarketAgent.open({ markets: [testMarket()], ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 1 })), clock })

beforeEach(async () => {
  db = await openTestDatabase()
  clock = new ManualClock(START)
  lma = await open()
}, 60_000)
afterEach(async () => {
  await lma.close()
  await dropTestDatabase(db)
})

async function register (partyID: string): Promise<PartyRecord> {
  const { status } = await lma.registerParty({ requestID: `reg-${partyID}`, registreePartyID: partyID, eiRegistrationInfo: { partyRole: 'teua' } })
  expect(status).toBe(200)
  return lma.party(partyID)!
}

let n = 0
const create = (party: PartyRecord, ...tenders: ReturnType<typeof tender>[]) =>
  lma.createTender(party, { requestID: `r${++n}`, partyID: party.partyID, counterPartyID: 'lma', eiTender: tenders })

async function refusal (promise: Promise<unknown> | (() => unknown)): Promise<MarketRefusal> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    expect(error).toBeInstanceOf(MarketRefusal)
    return error as MarketRefusal
  }
  throw new Error('expected a refusal')
}

describe('LMA', () => {
  it('crossing tenders make one transaction per side at the resting price, with positions +q/-q', async () => {
    const a = await register('a')
    const b = await register('b')
    await create(a, tender('s1', 'sell', '0.110', '5'))
    const answer = await create(b, tender('b1', 'buy', '0.120', '5'))
    expect(answer).toMatchObject({ status: 200, name: 'eiCreatedTender', payload: { partyID: 'b', counterPartyID: 'lma', tenderID: ['b1'], eiResponse: { responseCode: '200', refID: `r${n}` } } })
    const [buy] = lma.transactionsOf('b')
    expect(buy).toMatchObject({ tenderID: 'b1', counterPartyID: 'a', side: 'buy', priceTicks: 110, quantityTicks: 50 })
    const positions = await db.pool.query('SELECT party_id, net_quantity::text AS q FROM positions ORDER BY party_id')
    expect(positions.rows).toEqual([{ party_id: 'a', q: '-5.0' }, { party_id: 'b', q: '5.0' }])
    const reply = lma.requestPosition(b, { requestID: 'p', requestorPartyID: 'b', positionPartyID: 'b', marketContext: MARKET, boundingInterval: { dtStart: H12, duration: 'PT2H' } })
    expect(reply.payload.position!.intervals).toEqual([{ uid: '0', netQuantity: '5.0' }, { uid: '1', netQuantity: '0.0' }])
  })

  it('partial fill, then completion; cancel after a partial fill cancels only the rest', async () => {
    const a = await register('a')
    const b = await register('b')
    await create(a, tender('buy', 'buy', '0.100', '5'))
    await create(b, tender('sell1', 'sell', '0.100', '3'))
    expect(lma.tender('a', 'buy')).toMatchObject({ status: 'open', filledTicks: 30 })
    await create(b, tender('sell2', 'sell', '0.090', '2'))
    expect(lma.tender('a', 'buy')).toMatchObject({ status: 'filled', filledTicks: 50 })
    await create(a, tender('buy2', 'buy', '0.100', '4'))
    await create(b, tender('sell3', 'sell', '0.100', '1'))
    const canceled = await lma.cancelTender(a, { requestID: 'c1', partyID: 'a', tenderID: ['buy2'] })
    expect(canceled.payload.eiResponse.responseDescription).toBe('buy2: 3.0 canceled, 1.0 filled')
    expect(lma.tender('a', 'buy2')).toMatchObject({ status: 'canceled', filledTicks: 10, canceledTicks: 30 })
    expect((await refusal(lma.cancelTender(a, { requestID: 'c2', partyID: 'a', tenderID: ['buy2'] }))).refusal).toBe('conflict')
    expect((await refusal(lma.cancelTender(a, { requestID: 'c3', partyID: 'a', tenderID: ['buy'] }))).refusal).toBe('conflict')
    expect((await refusal(lma.cancelTender(a, { requestID: 'c4', partyID: 'a', tenderID: ['nope'] }))).refusal).toBe('unknown')
    // Tender ids are each party's own: b has no tender buy2.
    expect((await refusal(lma.cancelTender(b, { requestID: 'c5', partyID: 'b', tenderID: ['buy2'] }))).refusal).toBe('unknown')
  })

  it('refuses bad input and changes nothing', async () => {
    const a = await register('a')
    const cases: Array<[ReturnType<typeof tender>, string, RegExp]> = [
      [tender('t', 'buy', '0.1234', '1'), 'rejected', /price: "0.1234" has 4 decimal places/],
      [tender('t', 'buy', '0.1', '1.25'), 'rejected', /quantity/],
      [tender('t', 'buy', '0.1', '1', '2026-06-20T12:30:00Z'), 'rejected', /not on the market's PT1H grid/],
      [tender('t', 'buy', '0.1', '1', '2026-06-20T10:04:00Z'), 'rejected', /grid|closed/],
      [tender('t', 'buy', '0.1', '1', '2026-06-20T10:00:00Z'), 'rejected', /closed for trading/],
      [tender('t', 'buy', '0.1', '1', H12, { marketContext: 'urn:other' }), 'unknown', /unknown market/],
      [tender('t', 'buy', '0.1', '1', H12, { currency: 'EUR' }), 'rejected', /USD/],
      [tender('t', 'buy', '0.1', '1', H12, { duration: 'PT15M' }), 'rejected', /PT1H/],
      [tender('t', 'buy', '0.1', '1', H12, { transactiveState: 'transaction' }), 'rejected', /transactiveState/]
    ]
    for (const [t, kind, message] of cases) {
      const r = await refusal(create(a, t))
      expect(r.refusal, r.message).toBe(kind)
      expect(r.message).toMatch(message)
    }
    expect(await refusal(lma.createTender(a, { requestID: 'x', partyID: 'b', counterPartyID: 'lma', eiTender: [tender('t', 'buy', '0.1', '1')] }))).toMatchObject({ refusal: 'forbidden' })
    expect(lma.books()).toEqual([])
    expect((await db.pool.query('SELECT count(*)::int AS n FROM tenders')).rows[0].n).toBe(0)
  })

  it('a resent requestID gets the original answer and changes nothing', async () => {
    const a = await register('a')
    const body = { requestID: 'same', partyID: 'a', counterPartyID: 'lma', eiTender: [tender('t1', 'buy', '0.1', '1')] }
    const [first, second] = await Promise.all([lma.createTender(a, body), lma.createTender(a, body)])
    expect(second).toEqual(first)
    expect(await lma.createTender(a, body)).toEqual(first)
    expect((await db.pool.query('SELECT count(*)::int AS n FROM tenders')).rows[0].n).toBe(1)
    expect((await refusal(lma.cancelTender(a, { requestID: 'same', partyID: 'a', tenderID: ['t1'] }))).refusal).toBe('conflict')
  })

  it('a stream tender becomes one tender per interval, in separate books', async () => {
    const a = await register('a')
    const stream = tender('st', 'sell', '0.1', '1')
    const product = { ...stream.product, temixPower: { energyReal: stream.product.temixPower.energyReal },
      intervals: [0, 1, 2].map((k) => ({ uid: String(k), temixPower: { price: `0.1${k}`, quantity: `${k + 1}` } })) }
    const answer = await lma.createStreamTender(a, { requestID: 's', partyID: 'a', counterPartyID: 'lma', eiTender: [{ tenderID: 'st', product }] })
    expect(answer.payload.streamTender).toEqual([{ tenderID: 'st', intervalTender: [{ uid: '0', tenderID: 'st.0' }, { uid: '1', tenderID: 'st.1' }, { uid: '2', tenderID: 'st.2' }] }])
    expect(lma.books().map((i) => i.dtStart)).toEqual([H12, H13, '2026-06-20T14:00:00.000Z'])
    expect(lma.tender('a', 'st.2')).toMatchObject({ priceTicks: 120, quantityTicks: 30 })
    await lma.cancelTender(a, { requestID: 'sc', partyID: 'a', tenderID: ['st'] })
    expect(['st.0', 'st.1', 'st.2'].map((id) => lma.tender('a', id)!.status)).toEqual(['canceled', 'canceled', 'canceled'])
  })

  it('closes intervals at gate closure', async () => {
    const a = await register('a')
    await create(a, tender('t1', 'buy', '0.1', '1'))
    expect(await lma.closeDueIntervals()).toBe(0)
    clock.set('2026-06-20T11:55:00Z')
    expect(await lma.closeDueIntervals()).toBe(1)
    expect(lma.tender('a', 't1')!.status).toBe('canceled')
    expect((await refusal(create(a, tender('t2', 'buy', '0.1', '1')))).message).toMatch(/closed for trading/)
  })

  it('rebuilds every book, tender and position from the ledger', async () => {
    const a = await register('a')
    const b = await register('b')
    await create(a, tender('s1', 'sell', '0.110', '5'), tender('s2', 'sell', '0.120', '5'))
    await create(b, tender('b1', 'buy', '0.115', '7'))
    const before = { book: lma.snapshot(lma.books()[0]!), txs: lma.transactionsOf('b') }
    await lma.close()
    lma = await open()
    expect(lma.snapshot(lma.books()[0]!)).toEqual(before.book)
    expect(lma.transactionsOf('b')).toEqual(before.txs)
    expect(lma.authenticate('wrong')).toBeUndefined()
    // The rebuilt market goes on trading where it stopped.
    await create(lma.party('b')!, tender('b2', 'buy', '0.120', '5'))
    expect(lma.tender('a', 's2')!.status).toBe('filled')
  })
})

describe('LMA registration', () => {
  it('a canceled registration cancels the open tenders, and its token stops working', async () => {
    const { token } = await lma.registerParty({ requestID: 'reg', registreePartyID: 'z', eiRegistrationInfo: { partyRole: 'teua' } })
    const z = lma.authenticate(token)!
    expect(lma.authenticate(token)).toBe(z)
    await create(z, tender('z1', 'buy', '0.100', '1'))
    const answer = await lma.cancelPartyRegistration(z, { requestID: 'bye', registreePartyID: 'z', registrarPartyID: 'lma', registrationID: [z.registrationID] })
    expect(answer.payload.eiResponse![0]!.responseDescription).toMatch(/1 open tender/)
    expect(lma.tender('z', 'z1')!.status).toBe('canceled')
    expect(lma.authenticate(token)).toBeUndefined()
  })
})

describe('LMA under concurrency and store failure', () => {
  it('group commit: many concurrent crossing tenders, all acknowledged and all recorded', async () => {
    const parties = await Promise.all(['a', 'b', 'c', 'd'].map(register))
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => {
      const party = parties[i % 4]!
      return create(party, tender(`c${i}`, i % 2 === 0 ? 'buy' : 'sell', `0.1${i % 10}0`, '1'))
    }))
    expect(answers.every((a) => a.status === 200)).toBe(true)
    const rows = (await db.pool.query('SELECT count(*)::int AS n FROM tenders')).rows[0].n
    expect(rows).toBe(40)
    await lma.close()
    lma = await open()
    expect([...Array(40).keys()].every((i) => lma.tender(['a', 'b', 'c', 'd'][i % 4]!, `c${i}`) !== undefined)).toBe(true)
  })

  it('a failed ledger write answers 503, changes nothing, and the LMA reloads itself from the ledger', async () => {
    await lma.close()
    const real = new PgLedger(db, () => ({ priceScale: 3, quantityScale: 1 }))
    let failNext = false
    lma = await LocalMarketAgent.open({
      markets: [testMarket()], clock,
      ledger: { load: () => real.load(), write: async (batch) => { if (failNext) { failNext = false; throw new Error('disk full') } return real.write(batch) } }
    })
    const a = await register('a')
    await create(a, tender('kept', 'buy', '0.100', '1'))
    failNext = true
    expect((await refusal(create(a, tender('lost', 'buy', '0.100', '1')))).refusal).toBe('unavailable')
    for (let i = 0; i < 50 && lma.tender('a', 'lost') !== undefined; i++) await new Promise((r) => setTimeout(r, 10))
    expect(lma.tender('a', 'lost')).toBeUndefined()
    expect(lma.tender('a', 'kept')!.status).toBe('open')
    expect((await create(a, tender('after', 'buy', '0.100', '1'))).status).toBe(200)
  })
})
