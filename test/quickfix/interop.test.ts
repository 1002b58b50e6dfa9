/**
 * Our FIX code against a real, independent FIX engine: Debian's QuickFIX 1.15.1 (harness.ts).
 *   - Our venue EMA (initiator, our session layer) against QuickFIX's `executor`. Local
 *     shortfall is bought there, the fill is resold locally, and sequence numbers continue
 *     across a restart of both sides.
 *   - A QuickFIX C++ initiator of ours, with QuickFIX's data dictionary validation on, against our
 *     reporting acceptor: a snapshot (AQ, AE..., AQ), a subscription with live AEs after new
 *     trades, and zero Rejects either way.
 * Skipped, with the reason, only where the QuickFIX packages cannot be had.
 */
import { mkdtemp } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { HttpLmaClient } from '../../adapters/rest/lma-client.js'
import { HttpLocalBook } from '../../adapters/rest/market-data-client.js'
import { FixEma } from '../../adapters/fix/ema.js'
import { FixTradeReporting } from '../../adapters/fix/reporting.js'
import { FixSessionEndpoint } from '../../adapters/fix/session/endpoint.js'
import { VenueEma } from '../../market/ema/venue-ema.js'
import { startTestLma, type TestLma } from '../market-service.js'
import { testMarket } from '../market.js'
import { until } from '../until.js'
import { buildCppProgram, ensureQuickfix, getFreePort, isSkip, PROGRAMS, runJsonProgram, startExecutor, writeInitiatorSettings, type QuickfixInstall, type RunningAcceptor } from './harness.js'

const availability = await ensureQuickfix()
const skipReason = isSkip(availability) ? availability.skip : undefined
if (skipReason !== undefined) {
  console.warn(`QuickFIX interop tests skipped: ${skipReason}`)
  describe('QuickFIX interop', () => { it.skip(`skipped: ${skipReason}`, () => {}) })
}

const market = testMarket({ granularity: 'PT15M', duration: 'PT15M' })
const units = { priceShift: 3, priceScale: 0, quantityShift: -3, quantityScale: 4 }
const H12 = '2026-06-20T12:00:00.000Z'

describe.skipIf(skipReason !== undefined)('our FIX code against QuickFIX 1.15.1', () => {
  const qf = availability as QuickfixInstall
  let service: TestLma
  const cleanup: Array<() => Promise<unknown>> = []
  let work = ''
  let tradeCapture = ''

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'te-interop-'))
    tradeCapture = await buildCppProgram('trade-capture-initiator', PROGRAMS.tradeCaptureInitiator)
  }, 180_000)
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c()
  })

  async function lma (): Promise<TestLma> {
    service = await startTestLma(market, '2026-06-20T10:00:00Z')
    cleanup.push(() => service.close())
    return service
  }

  async function tender (client: HttpLmaClient, partyID: string, id: string, side: 'buy' | 'sell', price: string, quantity: string): Promise<void> {
    const answer = await client.call('eiCreateTender', 'eiCreatedTender', {
      requestID: id, partyID, counterPartyID: 'lma',
      eiTender: [{ tenderID: id, product: { dtStart: H12, duration: 'PT15M', temixPower: { price, quantity }, uid: id, transactiveState: 'tender', marketContext: market.marketContext, side } }]
    })
    expect(answer.status).toBe(200)
  }

  it('our EMA at QuickFIX\'s executor: orders filled and resold locally; sequence numbers continue across a restart of both sides', async () => {
    const { url, lma: agent } = await lma()
    const execStore = path.join(work, 'executor')
    const port = await getFreePort()
    let executor: RunningAcceptor = await startExecutor({ port, senderCompID: 'EXEC', targetCompID: 'TE-EMA', beginString: 'FIX.4.4', storeDir: execStore, heartbeat: 5 })
    cleanup.push(() => executor.stop())
    const ourStore = path.join(work, 'ema')
    const { client } = await HttpLmaClient.register(url, { partyID: 'ema-fix', partyRole: 'ema' })
    const house = (await HttpLmaClient.register(url, { partyID: 'house-1' })).client
    const book = new HttpLocalBook(url, market.marketContext)

    /** Our EMA, as a process would start it: FixEma, VenueEma, our initiator on its store. */
    const startEma = async (prefix: string) => {
      const fix = new FixEma({ name: 'executor', market, units })
      const ema = new VenueEma({ partyID: 'ema-fix', lmaPartyID: 'lma', market, markup: '0.005', importLimit: '50', exportLimit: '0' }, fix, client, prefix)
      fix.attach(ema)
      const endpoint = new FixSessionEndpoint({ role: 'initiator', host: '127.0.0.1', port, senderCompId: 'TE-EMA', targetCompId: 'EXEC', heartbeatSeconds: 5, storeDir: ourStore }, fix)
      await endpoint.start()
      await until(() => fix.loggedOn)
      return { fix, ema, endpoint }
    }

    let run = await startEma('a')
    await tender(house, 'house-1', 'h1', 'buy', '0.200', '8.0')
    expect(await run.ema.step(book, H12, 'PT15M')).toEqual({ buy: { quantity: '8.0', limit: '0.195' } })
    // The executor fills any limit order at its limit: 195 USD/MWh; resold at 0.200 to the house.
    await until(() => agent.tendersOf('house-1')[0]?.status === 'filled')
    expect(agent.tendersOf('ema-fix').map((t) => [t.side, t.price, t.status])).toEqual([['sell', '0.200', 'filled']])
    await run.endpoint.stop()
    await executor.stop()
    const sent = run.endpoint.sequenceNumbers

    // Both sides restart on their stores: the logons carry on the numbers, nothing is resent or reset.
    executor = await startExecutor({ port, senderCompID: 'EXEC', targetCompID: 'TE-EMA', beginString: 'FIX.4.4', storeDir: execStore, heartbeat: 5 })
    run = await startEma('b')
    await tender(house, 'house-1', 'h2', 'buy', '0.200', '2.0')
    await run.ema.step(book, H12, 'PT15M')
    await until(() => agent.tendersOf('house-1')[1]?.status === 'filled')
    await run.endpoint.stop()
    const log = executor.messages()
    const logonIn = log.find((e) => e.kind === 'incoming' && e.msgType === 'A')
    expect(logonIn?.seq).toBe(sent.nextSenderSeqNum)
    for (const type of ['2', '4', '3', 'j']) expect(log.filter((e) => e.kind !== 'event' && e.msgType === type), `35=${type}`).toHaveLength(0)
    const orders = log.filter((e) => e.kind === 'incoming' && e.msgType === 'D')
    expect(orders.map((o) => [o.fields['54'], o.fields['55'], o.fields['48'], o.fields['38'], o.fields['44']])).toEqual([['1', '06201200', '2026-06-20T12:00:00.000Z/PT15M', '0.0020', '195']])
  }, 60_000)

  it('QuickFIX\'s initiator with dictionary validation against our reporting acceptor: snapshot, subscription, live AEs, zero Rejects', async () => {
    const { lma: agent, url } = await lma()
    const seller = (await HttpLmaClient.register(url, { partyID: 'seller' })).client
    const buyer = (await HttpLmaClient.register(url, { partyID: 'buyer' })).client
    await tender(seller, 'seller', 's1', 'sell', '0.200', '10.0')
    await tender(buyer, 'buyer', 'b1', 'buy', '0.210', '3.0')
    await tender(buyer, 'buyer', 'b2', 'buy', '0.220', '2.0')
    const reporting = new FixTradeReporting(agent, {})
    cleanup.push(async () => reporting.close())
    const acceptor = new FixSessionEndpoint({ role: 'acceptor', host: '127.0.0.1', port: 0, senderCompId: 'TE-GATEWAY', targetCompId: 'REGULATOR', heartbeatSeconds: 30, storeDir: path.join(work, 'reporting') }, reporting)
    const { port } = await acceptor.start()
    cleanup.push(() => acceptor.stop(500))
    const settings = await writeInitiatorSettings(qf, { dir: path.join(work, 'regulator'), port, senderCompID: 'REGULATOR', targetCompID: 'TE-GATEWAY', heartbeat: 30 })

    const snapshot = await runJsonProgram(tradeCapture, [settings, '--mode', 'snapshot', '--request-id', 'snap-1', '--wait-ms', '10000'], { timeoutMs: 20_000 })
    expect(snapshot.code, snapshot.stdout + snapshot.stderr).toBe(0)
    expect(snapshot.summary).toMatchObject({ AQ: 2, AE: 2, rejects: 0 })

    // Subscribed: the snapshot, then a live AE for each of two new trades.
    let trades = 0
    const subscription = runJsonProgram(tradeCapture, [settings, '--mode', 'subscribe', '--request-id', 'sub-1', '--expect-ae', '4', '--unsubscribe', '--wait-ms', '15000'], {
      timeoutMs: 25_000,
      onLine: (line) => {
        // Once the snapshot is in, trade twice.
        if (line.msgType === 'AQ' && (line.fields as Record<string, string> | undefined)?.['750'] === '1' && trades === 0) {
          trades = 2
          void tender(buyer, 'buyer', 'b3', 'buy', '0.200', '1.0').then(() => tender(buyer, 'buyer', 'b4', 'buy', '0.200', '1.5'))
        }
      }
    })
    const done = await subscription
    expect(done.code, done.stdout + done.stderr).toBe(0)
    expect(done.summary).toMatchObject({ AE: 4, rejects: 0 })
    const live = done.messages.filter((m) => m.msgType === 'AE').slice(2)
    expect(live.map((m) => [m.fields['568'], m.fields['32'], m.fields['570']])).toEqual([['sub-1', '1.0', 'N'], ['sub-1', '1.5', 'N']])
  }, 60_000)
})
