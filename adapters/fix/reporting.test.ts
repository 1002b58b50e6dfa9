/**
 * FIX reporting sessions over real TCP: our initiator against the reporting acceptor of a real LMA.
 *   - A regulator's TradeCaptureReportRequest gets AQ, the AEs, then AQ, and with a subscription
 *     a live AE for each new trade.
 *   - A counterparty's drop copies are ER + AE for its own new trades only.
 *   - Market data is W, then X after each change.
 *   - A cancelled trade goes out as an AE with TradeReportTransType 1.
 *   - An unsupported request is refused with its reason.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HttpLmaClient } from '../rest/lma-client.js'
import { startTestLma, type TestLma } from '../../test/market-service.js'
import { testMarket } from '../../test/market.js'
import { until } from '../../test/until.js'
import { rawFields } from './fields.js'
import { instrumentOf } from './instrument.js'
import { FixTradeReporting, type ReportingOptions } from './reporting.js'
import { FixSessionEndpoint, type FixApplication, type ReceivedMessage } from './session/endpoint.js'

const market = testMarket({ granularity: 'PT15M', duration: 'PT15M' })
const H12 = '2026-06-20T12:00:00.000Z'
const instrument = instrumentOf(H12, 'PT15M')

class Recorder implements FixApplication {
  readonly messages: ReceivedMessage[] = []
  onMessage (m: ReceivedMessage): void { this.messages.push(m) }
  types (): string[] { return this.messages.map((m) => m.msgType) }
  fields (i: number): Map<number, string> { return rawFields(this.messages[i]!.text) }
}

let service: TestLma
const endpoints: FixSessionEndpoint[] = []
const reportings: FixTradeReporting[] = []
let seller: HttpLmaClient
let buyer: HttpLmaClient


/** A reporting acceptor for `options` and our initiator logged on to it. */
async function session (name: string, options: ReportingOptions): Promise<{ client: FixSessionEndpoint, recorder: Recorder }> {
  const reporting = new FixTradeReporting(service.lma, options)
  reportings.push(reporting)
  const acceptor = new FixSessionEndpoint({ role: 'acceptor', host: '127.0.0.1', port: 0, senderCompId: 'TEGW', targetCompId: name, heartbeatSeconds: 30, storeDir: mkdtempSync(join(tmpdir(), 'rep-')) }, reporting)
  endpoints.push(acceptor)
  const { port } = await acceptor.start()
  const recorder = new Recorder()
  const client = new FixSessionEndpoint({ role: 'initiator', host: '127.0.0.1', port, senderCompId: name, targetCompId: 'TEGW', heartbeatSeconds: 30, storeDir: mkdtempSync(join(tmpdir(), 'cpty-')) }, recorder)
  endpoints.push(client)
  await client.start()
  await until(() => client.isLoggedOn && acceptor.isLoggedOn)
  return { client, recorder }
}

async function tender (client: HttpLmaClient, partyID: string, id: string, side: 'buy' | 'sell', price: string, quantity: string): Promise<void> {
  const answer = await client.call('eiCreateTender', 'eiCreatedTender', {
    requestID: id, partyID, counterPartyID: 'lma',
    eiTender: [{ tenderID: id, product: { dtStart: H12, duration: 'PT15M', temixPower: { price, quantity }, uid: id, transactiveState: 'tender', marketContext: market.marketContext, side } }]
  })
  expect(answer.status).toBe(200)
}

beforeEach(async () => {
  service = await startTestLma(market, '2026-06-20T10:00:00Z')
  seller = (await HttpLmaClient.register(service.url, { partyID: 'seller' })).client
  buyer = (await HttpLmaClient.register(service.url, { partyID: 'buyer' })).client
  // Two trades before anyone logs on.
  await tender(seller, 'seller', 's1', 'sell', '0.200', '10.0')
  await tender(buyer, 'buyer', 'b1', 'buy', '0.210', '3.0')
  await tender(buyer, 'buyer', 'b2', 'buy', '0.220', '2.0')
}, 60_000)
afterEach(async () => {
  for (const e of endpoints.splice(0)) await e.stop(500)
  for (const r of reportings.splice(0)) r.close()
  await service.close()
})

describe('FIX reporting sessions', () => {
  it('a regulator: snapshot (AQ, AE, AE, AQ), then a live AE for each new trade; a cancelled trade as AE 487=1', async () => {
    const { client, recorder } = await session('REGULATOR', {})
    await client.send('AD', { TradeRequestID: 'r1', TradeRequestType: 0, SubscriptionRequestType: '1' })
    await until(() => recorder.messages.length >= 4)
    expect(recorder.types()).toEqual(['AQ', 'AE', 'AE', 'AQ'])
    expect([750, 748, 749].map((t) => recorder.fields(0).get(t))).toEqual(['0', '2', '0'])
    expect(recorder.fields(3).get(750)).toBe('1')
    const ae = recorder.fields(2)
    expect([568, 912, 487, 570, 55, 48, 32, 31, 552].map((t) => ae.get(t))).toEqual(['r1', 'Y', '0', 'Y', instrument.symbol, instrument.securityID, '2.0', '0.200', '2'])
    expect(recorder.messages[2]!.text).toMatch(/\|54=1\|37=b2\|453=1\|448=buyer\|447=D\|452=3\|54=2\|37=s1\|453=1\|448=seller\|/)

    await tender(buyer, 'buyer', 'b3', 'buy', '0.200', '1.0')
    await until(() => recorder.messages.length >= 5)
    expect(recorder.types()[4]).toBe('AE')
    expect([568, 32, 570].map((t) => recorder.fields(4).get(t))).toEqual(['r1', '1.0', 'N'])

    reportings[0]!.cancelTrade(recorder.fields(4).get(571)!)
    await until(() => recorder.messages.length >= 6)
    expect([487, 572, 568].map((t) => recorder.fields(5).get(t))).toEqual(['1', recorder.fields(4).get(571), 'r1'])
  })

  it('a counterparty\'s drop copies: ER and AE of its own new trades only', async () => {
    const { recorder } = await session('BUYER', { partyID: 'buyer', dropCopies: true })
    const other = (await HttpLmaClient.register(service.url, { partyID: 'other' })).client
    await tender(other, 'other', 'o1', 'buy', '0.200', '1.0')
    await tender(buyer, 'buyer', 'b3', 'buy', '0.200', '1.5')
    await until(() => recorder.messages.length >= 2)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(recorder.types()).toEqual(['8', 'AE'])
    expect([150, 39, 11, 32, 31, 448].map((t) => recorder.fields(0).get(t))).toEqual(['F', '2', 'b3', '1.5', '0.200', 'buyer'])
    // Its own side by its tenderID; the seller's by the order id, not the seller's own tenderID (s1).
    const sellerOrder = service.lma.tender('seller', 's1')!.orderID
    expect(recorder.messages[1]!.text).toMatch(new RegExp(`\\|54=1\\|37=b3\\|.*\\|54=2\\|37=${sellerOrder}\\|`))
  })

  it('market data: a snapshot (W) of best bid, offer and last trade, then incremental refreshes (X); an unknown interval is refused (Y)', async () => {
    const { client, recorder } = await session('MD', {})
    const request = (id: string, securityID: string) => client.send('V', {
      MDReqID: id, SubscriptionRequestType: '1', MarketDepth: 1,
      MDReqGrp: { NoMDEntryTypes: [{ MDEntryType: '0' }, { MDEntryType: '1' }, { MDEntryType: '2' }] },
      InstrmtMDReqGrp: { NoRelatedSym: [{ Instrument: { Symbol: instrument.symbol, SecurityID: securityID, SecurityIDSource: '8' } }] }
    })
    await request('m1', instrument.securityID)
    await until(() => recorder.messages.length >= 1)
    expect(recorder.types()).toEqual(['W'])
    // No bid rests (both bids filled); 5.0 of the seller's 10.0 rests at 0.200; the last trade is 2.0 at 0.200.
    expect(recorder.messages[0]!.text).toMatch(/\|268=2\|269=1\|270=0\.200\|271=5\.0\|269=2\|270=0\.200\|271=2\.0\|/)
    await tender(buyer, 'buyer', 'b4', 'buy', '0.150', '4.0')
    await until(() => recorder.messages.length >= 2)
    expect(recorder.types()[1]).toBe('X')
    expect(recorder.messages[1]!.text).toMatch(/\|279=0\|269=0\|.*\|270=0\.150\|271=4\.0\|/)
    await request('m2', '2030-01-01T00:00:00.000Z/PT15M')
    await until(() => recorder.messages.length >= 3)
    expect(recorder.types()[2]).toBe('Y')
  })

  it('refuses trade requests it does not serve, with TradeRequestResult 8', async () => {
    const { client, recorder } = await session('REG2', {})
    await client.send('AD', { TradeRequestID: 'r9', TradeRequestType: 1, SubscriptionRequestType: '0' })
    await until(() => recorder.messages.length >= 1)
    expect([35, 750, 749].map((t) => recorder.fields(0).get(t))).toEqual(['AQ', '2', '8'])
  })
})
