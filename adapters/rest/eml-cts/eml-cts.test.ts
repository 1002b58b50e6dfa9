/**
 * The eml-cts binding, driven with eml-cts's own example bodies over real HTTP: eml-cts TEUAs
 * (stubs that answer as eml-cts's do) tender, trade with each other and with a CTS party, are told
 * of their transactions in their dialect, cancel, and send stream tenders.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../app.js'
import { httpTransactionDelivery, HttpLmaClient } from '../lma-client.js'
import { PgLedger } from '../../postgres/ledger.js'
import type { Database } from '../../postgres/database.js'
import { LocalMarketAgent } from '../../../market/lma/lma.js'
import { ManualClock } from '../../../market/lma/time.js'
import { dropTestDatabase, openTestDatabase } from '../../../test/database.js'
import { MARKET, testMarket } from '../../../test/market.js'
import { emlCtsExample } from '../../../test/eml-cts-examples.js'
import { bindingMarket, emlCtsDelivery, emlCtsRoutes } from './routes.js'
import { until } from '../../../test/until.js'

let db: Database
let lma: LocalMarketAgent
let app: FastifyInstance
let url: string
let teuas: Server
const received: Array<{ path: string, body: any }> = []

beforeEach(async () => {
  received.length = 0
  teuas = createServer((req, res) => {
    let text = ''
    req.on('data', (c) => { text += c })
    req.on('end', () => {
      const body = JSON.parse(text)
      received.push({ path: req.url!, body })
      // As eml-cts's TEUA answers (EiCreatedTransactionPayload).
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        transactionId: body.transaction.transactionId, partyId: body.partyId, counterPartyId: body.counterPartyId,
        response: { responseCode: 200, responseDescription: 'OK', refId: { myUidId: 52 }, createdDateTime: new Date().toISOString() },
        refId: { myUidId: 54 }, recipientTransactionId: { myUidId: 53 }, id: body.transaction.transactionId.myUidId
      }))
    })
  })
  await new Promise<void>((r) => teuas.listen(0, '127.0.0.1', r))
  const teuaUrl = `http://127.0.0.1:${(teuas.address() as AddressInfo).port}`
  db = await openTestDatabase()
  lma = await LocalMarketAgent.open({
    markets: [testMarket({ quantityScale: 0 })], ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 0 })),
    clock: new ManualClock('2020-06-20T10:00:00Z'), deliver: emlCtsDelivery(httpTransactionDelivery())
  })
  app = await buildApp({ lma, logger: false })
  await app.register(emlCtsRoutes, { lma, config: { parties: [1, 3].map((n, i) => ({ partyId: n, teuaURI: `${teuaUrl}/teua/${i}` })) } })
  url = await app.listen({ port: 0, host: '127.0.0.1' })
}, 60_000)
afterEach(async () => {
  await app.close()
  await lma.close()
  await new Promise((r) => teuas.close(r))
  await dropTestDatabase(db)
})

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  return { status: res.status, body: await res.json() as any }
}
/** The example EiCreateTenderPayload (party 1 buys 50 at 120 for 12:00-13:00), as another party and tender. */
function tender (partyId: number, requestId: number, tenderId: number, side: 'BUY' | 'SELL', price: number, quantity: number) {
  const m = emlCtsExample('EiCreateTenderPayload')
  m.partyId = { myUidId: partyId }
  m.requestId = { myUidId: requestId }
  m.tender.tenderId = { myUidId: tenderId }
  m.tender.side = side
  Object.assign(m.tender.tenderDetail, { price, quantity })
  return m
}

describe('eml-cts binding', () => {
  it('takes eml-cts\'s EiCreateTenderPayload as it is, and answers in its dialect', async () => {
    const example = emlCtsExample('EiCreateTenderPayload')
    const answer = await post('/lma/createTender', example)
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ tenderId: { myUidId: 4 }, partyId: { myUidId: 1 }, response: { responseCode: 200 }, inResponseTo: { myUidId: 7 }, id: 4 })
    expect(lma.tender('eml-cts-1', 'eml-cts-1-t4')).toMatchObject({ side: 'buy', priceTicks: 120, quantityTicks: 50, status: 'open' })
    // The same request again: the same answer, nothing new (idempotent by requestId).
    expect((await post('/lma/createTender', example)).body.response.responseCode).toBe(200)
    expect(lma.tendersOf('eml-cts-1').length).toBe(1)
    expect((await (await fetch(`${url}/lma/party`)).json())).toEqual({ myUidId: expect.any(Number) })
  })

  it('eml-cts TEUAs trade with each other and with a CTS party; each is told in its own dialect', async () => {
    await post('/lma/createTender', tender(1, 7, 4, 'BUY', 120, 50))
    await post('/lma/createTender', tender(3, 8, 5, 'SELL', 110, 40))
    await until(() => received.length === 2)
    const toBuyer = received.find((r) => r.path === '/teua/0/createTransaction')!.body
    expect(toBuyer).toMatchObject({
      partyId: { myUidId: 1 }, counterPartyId: { myUidId: 3 },
      transaction: { transactiveState: 'TRANSACTION', tender: { side: 'BUY', tenderId: { myUidId: 4 }, tenderDetail: { type: 'interval', price: 120, quantity: 40, interval: { duration: 'PT1H' } } } }
    })
    expect(new Date(toBuyer.transaction.tender.tenderDetail.interval.dtStart).toISOString()).toBe('2020-06-20T12:00:00.000Z')
    expect(received.find((r) => r.path === '/teua/1/createTransaction')!.body).toMatchObject({ partyId: { myUidId: 3 }, transaction: { tender: { side: 'SELL', tenderDetail: { price: 120, quantity: 40 } } } })
    // A CTS party (bearer token, our JSON) takes the rest of the buy.
    const { client } = await HttpLmaClient.register(url, { partyID: 'cts-seller' })
    const sold = await client.call('eiCreateTender', 'eiCreatedTender', {
      requestID: 'r1', partyID: 'cts-seller', counterPartyID: 'lma',
      eiTender: [{ tenderID: 'cts-1', product: { dtStart: '2020-06-20T12:00:00Z', duration: 'PT1H', temixPower: { price: '0.100', quantity: '10' }, uid: 'cts-1', transactiveState: 'tender', marketContext: MARKET, side: 'sell' } }]
    })
    expect(sold.status).toBe(200)
    await until(() => received.length === 3)
    expect(received[2]!.body).toMatchObject({ partyId: { myUidId: 1 }, transaction: { tender: { tenderDetail: { price: 120, quantity: 10 } } } })
    await until(() => lma.unacknowledged().length === 0)
  })

  it('cancels with eml-cts\'s EiCancelTenderPayload; refuses unknown parties and bad bodies in its dialect', async () => {
    await post('/lma/createTender', tender(1, 7, 4, 'BUY', 120, 50))
    const cancel = emlCtsExample('EiCancelTenderPayload')
    const canceled = await post('/lma/cancelTender', cancel)
    expect(canceled.status).toBe(200)
    expect(canceled.body).toMatchObject({ partyId: { myUidId: 1 }, response: { responseCode: 200 }, eiCanceledResponse: { cancelReason: 'REQUESTED', success: true }, inResponseTo: { myUidId: 63 } })
    expect(lma.tender('eml-cts-1', 'eml-cts-1-t4')!.status).toBe('canceled')
    const again = await post('/lma/cancelTender', { ...cancel, requestId: { myUidId: 64 } })
    expect(again.status).toBe(409)
    expect(again.body).toMatchObject({ response: { responseCode: 409 }, inResponseTo: { myUidId: 64 } })
    expect((await post('/lma/createTender', tender(99, 9, 6, 'BUY', 120, 5))).status).toBe(403)
    expect((await post('/lma/createTender', { ...tender(1, 10, 7, 'BUY', 120, 5), requestId: 'seven' })).status).toBe(400)
    expect((await post('/lma/createTender', tender(1, 11, 8, 'BUY', 120, 0))).status).toBe(400)
    expect(lma.tendersOf('eml-cts-1').length).toBe(1)
  })

  it('takes eml-cts\'s EiCreateStreamTenderPayload: one tender per interval', async () => {
    const stream = await post('/lma/createStreamTender', emlCtsExample('EiCreateStreamTenderPayload'))
    expect(stream.status).toBe(200)
    expect(stream.body).toMatchObject({ partyId: { myUidId: 1 }, response: { responseCode: 200 }, inResponseTo: { myUidId: 97 }, createdTenders: [expect.any(Number), expect.any(Number)] })
    expect(lma.tendersOf('eml-cts-1').map((t) => [t.instrument.dtStart, t.priceTicks, t.quantityTicks])).toEqual([
      ['2020-06-20T12:00:00.000Z', 120, 10], ['2020-06-20T13:00:00.000Z', 130, 20]
    ])
  })

  it('needs a market whose numbers eml-cts can carry exactly', async () => {
    const other = await LocalMarketAgent.open({ markets: [testMarket({ quantityScale: 1 })], ledger: { write: async () => {}, load: async () => ({ parties: [], requests: [], bookCommands: [], tenders: [], transactions: [] }) } })
    expect(() => bindingMarket(other, { parties: [{ partyId: 1, teuaURI: 'http://x/teua/0' }] })).toThrow(/quantities are whole/)
    await other.close()
  })
})
