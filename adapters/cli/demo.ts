/**
 * The demo microgrid: an LMA (with its LME) and one TEUA per supervisory controller (loads, PV, a
 * battery), trading over real HTTP for a few delivery intervals on simulated time. It prints the
 * trades, clearing prices and positions per interval, then stays up.
 */
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { HttpLocalBook } from '../rest/market-data-client.js'
import { startFixEma, startFixVenue } from './fix.js'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../rest/app.js'
import { HttpLmaClient } from '../rest/lma-client.js'
import { startMarketService, type MarketService } from './market-service.js'
import { loadControllers, type SupervisoryController } from '../../market/sc/controllers.js'
import { TeuaError, TransactiveEnergyUserAgent } from '../../market/teua/teua.js'
import type { MarketDefinition } from '../../market/lma/markets.js'
import { OffsetClock } from '../../market/lma/time.js'
import { fromTicks, toTicks } from '../../schemas/decimal.js'

export const DEMO_MARKET: MarketDefinition = {
  marketContext: 'http://127.0.0.1/markets/demo-microgrid', marketName: 'Demo microgrid', currency: 'USD',
  priceScale: 3, quantityScale: 1, energyReal: { itemDescription: 'RealEnergy', itemUnits: 'Wh', siScaleCode: 'k' },
  granularity: 'PT1H', duration: 'PT1H', gateClosure: 'PT5M', mechanism: 'continuous'
}

export interface DemoOptions {
  port: number
  host: string
  intervals: number
  config: string
  databaseUrl?: string
  dataDir: string
  logLevel: string
  out: (line: string) => void
  /** Attach one external FIX venue (our simulator) and an EMA trading at it. */
  fixVenue?: boolean
}

export interface Demo {
  market: MarketService
  teuaApp: FastifyInstance
  close: () => Promise<void>
}

const pad = (s: string, n: number) => s.padEnd(n)
const lpad = (s: string, n: number) => s.padStart(n)

export async function runDemo (options: DemoOptions): Promise<Demo> {
  const out = options.out
  const clock = new OffsetClock()
  const market = await startMarketService({
    markets: [DEMO_MARKET], port: options.port, host: options.host, databaseUrl: options.databaseUrl, dataDir: options.dataDir,
    schema: 'te_demo', fresh: true, clock, logLevel: options.logLevel
  })
  const { lma } = market
  const controllers: SupervisoryController[] = loadControllers(JSON.parse(readFileSync(options.config, 'utf8')), DEMO_MARKET)
  const teuas = new Map<string, TransactiveEnergyUserAgent>()
  const teuaApp = await buildApp({ teuas, logger: { level: options.logLevel } })
  const teuaUrl = await teuaApp.listen({ port: options.port === 0 ? 0 : options.port + 1, host: options.host })
  out(`LMA at ${market.url}, TEUAs at ${teuaUrl}/teua/{partyID}, ledger: ${market.db.kind}`)

  for (const sc of controllers) {
    const { client } = await HttpLmaClient.register(market.url, { partyID: sc.partyID, callbackURI: `${teuaUrl}/teua/${sc.partyID}`, partyRole: sc.kind })
    teuas.set(sc.partyID, new TransactiveEnergyUserAgent(sc.partyID, client, DEMO_MARKET))
  }
  out(`registered ${controllers.length} TEUAs: ${controllers.map((c) => `${c.partyID} (${c.kind})`).join(', ')}`)

  // One external FIX venue: our simulator with house liquidity (it sells at 80 and buys at 75 USD/MWh),
  // and the EMA that buys the microgrid's shortfall and sells its surplus there.
  let fix: { venue: Awaited<ReturnType<typeof startFixVenue>>, ema: Awaited<ReturnType<typeof startFixEma>> } | undefined
  if (options.fixVenue === true) {
    const storeDir = join(options.dataDir, 'fix')
    rmSync(storeDir, { recursive: true, force: true })
    const venue = await startFixVenue({
      host: '127.0.0.1', port: 0, senderCompId: 'VENUE', targetCompId: 'TE-EMA', heartbeatSeconds: 30, storeDir: join(storeDir, 'venue'),
      scales: { priceScale: 0, quantityScale: 4 }, duration: DEMO_MARKET.duration, horizon: options.intervals + 3,
      liquidity: [{ side: 'sell', price: '80', quantity: '0.0200' }, { side: 'buy', price: '75', quantity: '0.0200' }], now: () => clock.now()
    })
    const ema = await startFixEma({
      lmaUrl: market.url, partyID: 'ema-fix', market: DEMO_MARKET, markup: '0.005', importLimit: '20', exportLimit: '20',
      units: { priceShift: 3, priceScale: 0, quantityShift: -3, quantityScale: 4 },
      venue: { host: '127.0.0.1', port: venue.port, senderCompId: 'TE-EMA', targetCompId: 'VENUE', heartbeatSeconds: 30, storeDir: join(storeDir, 'ema') },
      db: market.db, log: (message, detail) => out(`  ema-fix: ${message} ${JSON.stringify(detail ?? {})}`)
    })
    fix = { venue, ema }
    out(`FIX venue simulator on 127.0.0.1:${venue.port}; ema-fix logged on (the venue sells at 80 USD/MWh and buys at 75)`)
  }

  // Delivery intervals: the next whole hours, starting two hours from now.
  const first = Math.ceil((clock.now().getTime() + 2 * 3_600_000) / 3_600_000) * 3_600_000
  const settled = async () => {
    for (let i = 0; i < 250 && lma.unacknowledged().length > 0; i++) await new Promise((r) => setTimeout(r, 20))
  }

  for (let k = 0; k < options.intervals; k++) {
    const dtStart = new Date(first + k * 3_600_000).toISOString()
    const instrument = { marketContext: DEMO_MARKET.marketContext, dtStart, duration: DEMO_MARKET.duration }
    for (let round = 0; round < 3; round++) {
      for (const sc of controllers) {
        const teua = teuas.get(sc.partyID)!
        for (const t of teua.tenders.values()) if (t.dtStart === dtStart && t.status === 'open') await teua.cancel(t.tenderID)
        const book = lma.snapshot(instrument, { depth: 1, orders: false })
        const view = {
          dtStart, round,
          ...(book?.bids[0] !== undefined && { bestBid: fromTicks(book.bids[0].price, 3) }),
          ...(book?.asks[0] !== undefined && { bestAsk: fromTicks(book.asks[0].price, 3) })
        }
        for (const instruction of sc.plan(view, teua.position(dtStart))) {
          try {
            await teua.tender({ ...instruction, dtStart })
          } catch (error) {
            if (!(error instanceof TeuaError)) throw error
            out(`  ${sc.partyID}: tender refused (${error.responseCode}): ${error.message}`)
          }
        }
      }
      await settled()
      if (fix !== undefined) {
        // The EMA trades what the local book lacks at the venue, then resells it here.
        const need = await fix.ema.ema.step(new HttpLocalBook(market.url, DEMO_MARKET.marketContext), dtStart, DEMO_MARKET.duration)
        for (let i = 0; i < 50 && [...fix.ema.ema.orders.values()].some((o) => o.state === 'pending'); i++) await new Promise((r) => setTimeout(r, 20))
        await fix.ema.fix.settled()
        await settled()
        const wants = [...(need.buy !== undefined ? [`buy ${need.buy.quantity} kWh at <= ${need.buy.limit}`] : []), ...(need.sell !== undefined ? [`sell ${need.sell.quantity} kWh at >= ${need.sell.limit}`] : [])]
        if (wants.length > 0) out(`  ema-fix round ${round}: at the venue, ${wants.join('; ')}`)
      }
    }
    // Venue orders of the interval end at its local gate closure.
    if (fix !== undefined) await fix.ema.ema.rebalance(dtStart, DEMO_MARKET.duration, {})
    // Gate closure: what did not trade is canceled; then the interval is delivered.
    clock.jumpTo(new Date(first + k * 3_600_000 - 5 * 60_000))
    await lma.closeDueIntervals()
    await settled()
    for (const sc of controllers) sc.deliver(dtStart, teuas.get(sc.partyID)!.position(dtStart))
    report(out, dtStart, controllers, teuas)
    if (fix !== undefined) {
      const ema = lma.transactionsOf('ema-fix').filter((t) => t.instrument.dtStart === dtStart)
      out(`  ${pad('ema-fix', 12)} ${pad('ema', 8)} ${ema.length} local trade(s): ${ema.map((t) => `${t.side} ${fromTicks(t.quantityTicks, 1)} at ${fromTicks(t.priceTicks, 3)}`).join(', ') || '-'}`)
    }
  }
  out(`\nThe market stays up (simulated time runs on from ${clock.now().toISOString()}).`)
  out(`OpenAPI docs: ${market.url}/docs   ledger tables: parties, tenders, transactions, positions, book_events`)
  out('Ctrl-C to stop.')
  return {
    market, teuaApp,
    close: async () => {
      await fix?.ema.stop()
      await fix?.venue.stop()
      await teuaApp.close()
      await market.close()
    }
  }
}

function report (out: (line: string) => void, dtStart: string, controllers: SupervisoryController[], teuas: Map<string, TransactiveEnergyUserAgent>): void {
  const trades = controllers.flatMap((sc) => [...teuas.get(sc.partyID)!.transactions.values()]).filter((t) => t.dtStart === dtStart && t.side === 'buy')
  const volume = trades.reduce((n, t) => n + toTicks(t.quantity, 1), 0n)
  const notional = trades.reduce((n, t) => n + toTicks(t.quantity, 1) * toTicks(t.price, 3), 0n)
  const prices = trades.map((t) => toTicks(t.price, 3)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((p) => fromTicks(p, 3))
  const vwap = volume === 0n ? '-' : fromTicks(notional / volume, 3)
  out(`\n${dtStart}  ${trades.length} trade(s), ${fromTicks(volume, 1)} kWh, price ${prices.length === 0 ? '-' : `${prices[0]}..${prices.at(-1)}`} USD/kWh, volume-weighted ${vwap}`)
  for (const sc of controllers) {
    const teua = teuas.get(sc.partyID)!
    const position = teua.position(dtStart)
    out(`  ${pad(sc.partyID, 12)} ${pad(sc.kind, 8)} position ${lpad(position, 6)} kWh  ${sc.kind === 'battery' ? sc.describe() : ''}`)
  }
}
