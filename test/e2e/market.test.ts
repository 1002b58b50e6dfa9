/**
 * End to end over real HTTP: the LMA and two TEUAs each listen on a port of their own; tenders go
 * TEUA -> LMA -> LME, transactions come back to each TEUA's callback, on a real ledger.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../adapters/rest/app.js'
import { HttpLmaClient, httpTransactionDelivery } from '../../adapters/rest/lma-client.js'
import { LocalMarketAgent } from '../../market/lma/lma.js'
import { TransactiveEnergyUserAgent, TeuaError } from '../../market/teua/teua.js'
import { PgLedger } from '../../adapters/postgres/ledger.js'
import { ManualClock } from '../../market/lma/time.js'
import type { Database } from '../../adapters/postgres/database.js'
import { dropTestDatabase, openTestDatabase } from '../database.js'
import { H12, H13, MARKET, START, testMarket } from '../market.js'
import { toXml } from '../../schemas/codec.js'
import { checkEveryAnswer, validXmlAnswer } from '../cts-answers.js'

let db: Database
let lma: LocalMarketAgent
let lmaApp: FastifyInstance
let teuaApp: FastifyInstance
let lmaUrl: string
const teuas = new Map<string, TransactiveEnergyUserAgent>()

async function join (partyID: string, teuaUrl: string): Promise<TransactiveEnergyUserAgent> {
  const { client } = await HttpLmaClient.register(lmaUrl, { partyID, callbackURI: `${teuaUrl}/teua/${partyID}`, partyRole: 'teua' })
  const teua = new TransactiveEnergyUserAgent(partyID, client, testMarket())
  teuas.set(partyID, teua)
  return teua
}

async function settled (): Promise<void> {
  for (let i = 0; i < 200 && lma.unacknowledged().length > 0; i++) await new Promise((r) => setTimeout(r, 20))
  expect(lma.unacknowledged()).toEqual([])
}

beforeEach(async () => {
  db = await openTestDatabase()
  lma = await LocalMarketAgent.open({
    markets: [testMarket()], ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 1 })),
    clock: new ManualClock(START), deliver: httpTransactionDelivery(), retryMs: 50
  })
  lmaApp = await buildApp({ lma })
  lmaUrl = await lmaApp.listen({ port: 0, host: '127.0.0.1' })
  teuas.clear()
  teuaApp = await buildApp({ teuas })
  await teuaApp.listen({ port: 0, host: '127.0.0.1' })
}, 60_000)

afterEach(async () => {
  await teuaApp.close()
  await lmaApp.close()
  await lma.close()
  await dropTestDatabase(db)
})

const teuaUrl = () => `http://127.0.0.1:${(teuaApp.server.address() as { port: number }).port}`


checkEveryAnswer()

describe('market over HTTP', () => {
  it('a crossing buy and sell: one transaction each side at the resting price, told to each TEUA, positions +q/-q', async () => {
    const seller = await join('seller', teuaUrl())
    const buyer = await join('buyer', teuaUrl())
    const ask = await seller.tender({ side: 'sell', price: '0.110', quantity: '5.0', dtStart: H12 })
    const bid = await buyer.tender({ side: 'buy', price: '0.125', quantity: '5.0', dtStart: H12 })
    await settled()
    expect([...buyer.transactions.values()]).toMatchObject([{ tenderID: bid.tenderID, counterPartyID: 'seller', side: 'buy', price: '0.110', quantity: '5.0' }])
    expect([...seller.transactions.values()]).toMatchObject([{ tenderID: ask.tenderID, counterPartyID: 'buyer', side: 'sell', price: '0.110', quantity: '5.0' }])
    expect(buyer.tenders.get(bid.tenderID)!.status).toBe('filled')
    expect(buyer.position(H12)).toBe('5.0')
    expect(seller.position(H12)).toBe('-5.0')
    expect((await buyer.marketPosition(H12, 'PT1H')).position?.intervals?.[0]?.netQuantity).toBe('5.0')
    const rows = await db.pool.query('SELECT party_id, side, price::text, quantity::text, acknowledged_at IS NOT NULL AS acked FROM transactions ORDER BY party_id')
    expect(rows.rows).toEqual([
      { party_id: 'buyer', side: 'buy', price: '0.110', quantity: '5.0', acked: true },
      { party_id: 'seller', side: 'sell', price: '0.110', quantity: '5.0', acked: true }
    ])
  })

  it('no cross: the book shows both; partial fill then completion; cancel rules', async () => {
    const a = await join('a', teuaUrl())
    const b = await join('b', teuaUrl())
    await a.tender({ side: 'buy', price: '0.100', quantity: '5.0', dtStart: H12 })
    await b.tender({ side: 'sell', price: '0.120', quantity: '3.0', dtStart: H12 })
    const book = lma.snapshot({ marketContext: MARKET, dtStart: H12, duration: 'PT1H' })!
    expect([book.bids[0]!.price, book.asks[0]!.price]).toEqual([100, 120])
    const big = await a.tender({ side: 'buy', price: '0.130', quantity: '5.0', dtStart: H12 })
    await settled()
    expect(big.filled).toBe('3.0')
    expect(big.status).toBe('open')
    await b.tender({ side: 'sell', price: '0.130', quantity: '2.0', dtStart: H12 })
    await settled()
    expect(big.status).toBe('filled')
    // Cancel after a partial fill cancels only the rest.
    const partly = await a.tender({ side: 'buy', price: '0.140', quantity: '4.0', dtStart: H13 })
    await b.tender({ side: 'sell', price: '0.140', quantity: '1.5', dtStart: H13 })
    await settled()
    expect(await a.cancel(partly.tenderID)).toBe(true)
    expect(lma.tender('a', partly.tenderID)).toMatchObject({ status: 'canceled', filledTicks: 15, canceledTicks: 25 })
    expect(a.position(H13)).toBe('1.5')
    // Cancel: resting, filled (409), unknown (404), another's (404: a party names only its own tenders).
    const rest = await a.tender({ side: 'buy', price: '0.090', quantity: '1.0', dtStart: H12 })
    expect(await a.cancel(rest.tenderID)).toBe(true)
    expect(await a.cancel(big.tenderID)).toBe(false)
    await expect(a.cancel('nope')).rejects.toMatchObject({ status: 404 })
    const others = await b.tender({ side: 'sell', price: '0.200', quantity: '1.0', dtStart: H12 })
    await expect(a.cancel(others.tenderID)).rejects.toBeInstanceOf(TeuaError)
    expect(lma.tender('b', others.tenderID)!.status).toBe('open')
  })

  it('intervals are isolated, a stream tender spans three books, and XML works over the wire', async () => {
    const a = await join('a', teuaUrl())
    const b = await join('b', teuaUrl())
    await a.tender({ side: 'buy', price: '0.200', quantity: '1.0', dtStart: H12 })
    await b.tender({ side: 'sell', price: '0.100', quantity: '1.0', dtStart: H13 })
    await settled()
    expect(a.transactions.size + b.transactions.size).toBe(0)

    const { client } = await HttpLmaClient.register(lmaUrl, { partyID: 'xml-client', partyRole: 'teua' })
    const token = (client as unknown as { token: string }).token
    const xml = toXml('eiCreateStreamTender', {
      requestID: 'sx', partyID: 'xml-client', counterPartyID: 'lma',
      eiTender: [{ tenderID: 'stream', product: {
        dtStart: H12, duration: 'PT1H', temixPower: { energyReal: { itemDescription: 'RealEnergy', itemUnits: 'Wh', siScaleCode: 'k' } },
        intervals: ['0.150', '0.050', '0.060'].map((price, k) => ({ uid: String(k), temixPower: { price, quantity: '1.0' } })),
        uid: 'stream', transactiveState: 'tender', currency: 'USD', marketContext: MARKET, side: 'sell'
      } }]
    })
    const res = await fetch(`${lmaUrl}/lma/eiCreateStreamTender`, { method: 'POST', headers: { 'content-type': 'application/xml', authorization: `Bearer ${token}` }, body: xml })
    expect(res.status).toBe(200)
    const answer = validXmlAnswer('eiCreatedStreamTender', await res.text())
    expect(answer.streamTender![0]!.intervalTender.map((t) => t.tenderID)).toEqual(['stream.0', 'stream.1', 'stream.2'])
    await settled()
    // 12:00: the stream's 0.150 sell meets a's resting 0.200 bid and trades at the resting price; 13:00 holds only sells.
    expect([...a.transactions.values()].map((t) => [t.price, t.dtStart])).toEqual([['0.200', H12]])
    expect(lma.books()).toHaveLength(3)
  })
})
