/**
 * The LMA over HTTP (fastify inject), on a real ledger. Every answer is checked against the CTS
 * schemas, and its responseCode against the HTTP status.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { LocalMarketAgent } from '../../market/lma/lma.js'
import { PgLedger } from '../postgres/ledger.js'
import { ManualClock } from '../../market/lma/time.js'
import type { Database } from '../postgres/database.js'
import { dropTestDatabase, openTestDatabase } from '../../test/database.js'
import { H12, MARKET, START, tender, testMarket } from '../../test/market.js'
import { validJsonAnswer, validXmlAnswer } from '../../test/cts-answers.js'
import { toXml } from '../../schemas/codec.js'

let db: Database
let lma: LocalMarketAgent
let app: FastifyInstance

beforeEach(async () => {
  db = await openTestDatabase()
  lma = await LocalMarketAgent.open({ markets: [testMarket()], ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 1 })), clock: new ManualClock(START) })
  app = await buildApp({ lma })
}, 60_000)
afterEach(async () => {
  await app.close()
  await lma.close()
  await dropTestDatabase(db)
})

async function register (partyID: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/lma/eiCreatePartyRegistration', payload: { requestID: `reg-${partyID}`, registreePartyID: partyID, eiRegistrationInfo: { partyRole: 'teua', callbackURI: `http://127.0.0.1:9/teua/${partyID}` } } })
  expect(res.statusCode).toBe(200)
  validJsonAnswer('eiCreatedPartyRegistration', res.json())
  return res.headers['x-party-token'] as string
}

const post = (url: string, token: string | undefined, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload: payload as never, headers: { ...(token !== undefined && { authorization: `Bearer ${token}` }), ...headers } })

describe('LMA over HTTP', () => {
  it('trades: crossing tenders, transactions, quotes, positions and rules, every answer a valid CTS document', async () => {
    const a = await register('a')
    const b = await register('b')
    const sell = await post('/lma/eiCreateTender', a, { requestID: 'r1', partyID: 'a', counterPartyID: 'lma', eiTender: [tender('s1', 'sell', '0.110', '5'), tender('s2', 'sell', '0.130', '2')] })
    expect(sell.statusCode).toBe(200)
    expect(validJsonAnswer('eiCreatedTender', sell.json())).toMatchObject({ eiResponse: { responseCode: '200', refID: 'r1' }, tenderID: ['s1', 's2'] })
    const buy = await post('/lma/eiCreateTender', b, { requestID: 'r2', partyID: 'b', counterPartyID: 'lma', eiTender: [tender('b1', 'buy', '0.120', '3')] })
    validJsonAnswer('eiCreatedTender', buy.json())

    const txs = validJsonAnswer('eiReplyTransaction', (await post('/lma/eiRequestTransaction', b, { requestID: 'r3', partyID: 'b', requestorPartyID: 'b' })).json())
    expect(txs.eiTransaction).toHaveLength(1)
    expect(txs.eiTransaction![0]!.product).toMatchObject({ side: 'buy', transactiveState: 'transaction', temixPower: { price: '0.110', quantity: '3.0' } })

    const quotes = validJsonAnswer('eiReplyQuote', (await post('/lma/eiRequestQuote', b, { requestID: 'r4', requestorPartyID: 'b', publisherPartyID: 'lma' })).json())
    expect(quotes.eiQuote![0]!.product.map((p) => [p.side, p.temixPower.price, p.temixPower.quantity])).toEqual([['sell', '0.110', '2.0']])

    const open = validJsonAnswer('eiReplyTender', (await post('/lma/eiRequestTender', a, { requestID: 'r5', partyID: 'a', requestorPartyID: 'a' })).json())
    expect(open.eiTender!.map((t) => [t.tenderID, t.product.temixPower.quantity])).toEqual([['s1', '2.0'], ['s2', '2.0']])

    const position = validJsonAnswer('eiReplyPosition', (await post('/lma/eiRequestPosition', a, { requestID: 'r6', requestorPartyID: 'a', positionPartyID: 'a', marketContext: MARKET, boundingInterval: { dtStart: H12, duration: 'PT1H' } })).json())
    expect(position.position!.intervals).toEqual([{ uid: '0', netQuantity: '-3.0' }])

    const rules = validJsonAnswer('eiReplyMarketRules', (await post('/lma/eiRequestMarketRules', a, { requestID: 'r7' })).json())
    expect(rules.marketRules![0]).toMatchObject({ currency: 'USD', priceScale: 3, quantityScale: 1, gateClosure: 'PT5M' })
    validJsonAnswer('eiReplyEiMarketContext', (await post('/lma/eiRequestEiMarketContext', a, { requestID: 'r8', marketContext: [MARKET] })).json())
    validJsonAnswer('eiReplyPartyRegistration', (await post('/lma/eiRequestPartyRegistration', a, { requestID: 'r9', registreePartyID: 'a', requestorPartyID: 'a' })).json())
  })

  it('speaks CTS XML when asked: an XML tender gets an XML answer', async () => {
    const a = await register('a')
    const xml = toXml('eiCreateTender', { requestID: 'x1', partyID: 'a', counterPartyID: 'lma', eiTender: [tender('t1', 'buy', '0.100', '1')] })
    const res = await post('/lma/eiCreateTender', a, xml, { 'content-type': 'application/xml' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/application\/xml/)
    expect(validXmlAnswer('eiCreatedTender', res.body)).toMatchObject({ tenderID: ['t1'], eiResponse: { refID: 'x1' } })
    // JSON in, XML out on Accept.
    const reply = await post('/lma/eiRequestTender', a, { requestID: 'x2', partyID: 'a', requestorPartyID: 'a' }, { accept: 'application/xml' })
    expect(validXmlAnswer('eiReplyTender', reply.body).eiTender).toHaveLength(1)
    // A bad XML document gets an XML refusal.
    const bad = await post('/lma/eiCreateTender', a, xml.replace('<emix:side>buy', '<emix:side>BUY'), { 'content-type': 'application/xml' })
    expect(bad.statusCode).toBe(400)
    const refusal = validXmlAnswer('eiCreatedTender', bad.body)
    expect(refusal.eiResponse).toMatchObject({ responseCode: '400', refID: 'x1' })
    expect(refusal.eiResponse.responseDescription).toMatch(/emix:side/)
  })

  it('refuses with the right code, as a CTS answer, and changes nothing', async () => {
    const a = await register('a')
    await register('b')
    const cases: Array<[string, string | undefined, unknown, number, RegExp, Record<string, string>?]> = [
      ['/lma/eiCreateTender', undefined, { requestID: 'q1', partyID: 'a', counterPartyID: 'lma', eiTender: [tender('t', 'buy', '0.1', '1')] }, 401, /Bearer/],
      ['/lma/eiCreateTender', 'not-a-token', { requestID: 'q2', partyID: 'a', counterPartyID: 'lma', eiTender: [tender('t', 'buy', '0.1', '1')] }, 401, /unknown/],
      ['/lma/eiCreateTender', a, '{"requestID": "q3", ', 400, /malformed JSON/, { 'content-type': 'application/json' }],
      ['/lma/eiCreateTender', a, { requestID: 'q4', partyID: 'a', counterPartyID: 'lma', eiTender: [tender('t', 'BUY' as 'buy', '0.1', '1')] }, 400, /eiTender\[0\]\.product\.side/],
      ['/lma/eiCreateTender', a, { requestID: 'q5', partyID: 'a', counterPartyID: 'lma', eiTender: [tender('t', 'buy', '0.1', '0')] }, 400, /quantity/],
      ['/lma/eiCreateTender', a, { requestID: 'q6', partyID: 'a', counterPartyID: 'lma', eiTender: [tender('t', 'buy', '0.1234', '1')] }, 422, /decimal places/],
      ['/lma/eiCreateTender', a, { requestID: 'q7', partyID: 'a', counterPartyID: 'lma', eiTender: [tender('t', 'buy', '0.1', '1', '2026-06-20T12:30:00Z')] }, 422, /grid/],
      ['/lma/eiCreateTender', a, { requestID: 'q8', partyID: 'b', counterPartyID: 'lma', eiTender: [tender('t', 'buy', '0.1', '1')] }, 403, /cannot act as b/],
      ['/lma/eiCancelTender', a, { requestID: 'q9', partyID: 'a', tenderID: ['nope'] }, 404, /unknown tender/],
      ['/lma/eiRequestEiMarketContext', a, { requestID: 'q10', marketContext: ['urn:nope'] }, 404, /unknown market/]
    ]
    for (const [url, token, payload, status, description, headers] of cases) {
      const res = await post(url, token, payload, headers)
      expect(res.statusCode, `${url} ${JSON.stringify(payload).slice(0, 80)}: ${res.body}`).toBe(status)
      const name = url.endsWith('CancelTender') ? 'eiCanceledTender' : url.endsWith('MarketContext') ? 'eiReplyEiMarketContext' : 'eiCreatedTender'
      const answer = validJsonAnswer(name, res.json()) as { eiResponse: { responseCode: string, responseDescription?: string } }
      expect(answer.eiResponse.responseCode).toBe(String(status))
      expect(answer.eiResponse.responseDescription).toMatch(description)
    }
    expect((await db.pool.query('SELECT count(*)::int AS n FROM tenders')).rows[0].n).toBe(0)
    expect(lma.books()).toEqual([])
  })

  it('answers health and readiness', async () => {
    expect((await app.inject('/health')).json()).toEqual({ status: 'ok' })
    expect((await app.inject('/ready')).json()).toEqual({ status: 'ready' })
  })

  it('publishes the LMA in the OpenAPI docs', async () => {
    const spec = (await app.inject('/docs/json')).json()
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/lma/eiCreateTender', '/lma/eiCancelTender', '/lma/eiCreatePartyRegistration']))
    expect(spec.paths['/lma/eiCreateTender'].post.requestBody.content['application/json'].schema.required).toContain('eiTender')
  })
})
