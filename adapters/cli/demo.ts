/**
 * The demo microgrid: an LMA (with its LME) and one TEUA per supervisory controller (loads, PV, a
 * battery), trading over real HTTP for a few delivery intervals on simulated time. It prints the
 * trades, clearing prices and positions per interval, then stays up.
 */
import { readFileSync } from 'node:fs'
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
        const book = lma.snapshot(instrument)
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
    }
    // Gate closure: what did not trade is canceled; then the interval is delivered.
    clock.jumpTo(new Date(first + k * 3_600_000 - 5 * 60_000))
    await lma.closeDueIntervals()
    await settled()
    for (const sc of controllers) sc.deliver(dtStart, teuas.get(sc.partyID)!.position(dtStart))
    report(out, dtStart, controllers, teuas)
  }
  out(`\nThe market stays up (simulated time runs on from ${clock.now().toISOString()}).`)
  out(`OpenAPI docs: ${market.url}/docs   ledger tables: parties, tenders, transactions, positions, book_events`)
  out('Ctrl-C to stop.')
  return {
    market, teuaApp,
    close: async () => {
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
