/**
 * FIX from the command line and the demo:
 *   - startFixVenue: the venue simulator (our LME behind our FIX acceptor) with house liquidity
 *     in every coming interval;
 *   - startFixEma: the venue EMA, a party of the LMA that trades the microgrid's shortfall and
 *     surplus at a FIX venue (initiator), recording every FIX message in its ledger;
 *   - startFixReporting: reporting acceptors (drop copies, trade capture, market data) beside an LMA.
 */
import { join } from 'node:path'
import { z } from 'zod'
import { readEmaList } from './ema-list.js'
import type { MarketRules } from '../../schemas/extensions.js'
import type { LocalMarketAgent } from '../../market/lma/lma.js'
import { durationMs } from '../../market/lma/time.js'
import { VenueEma } from '../../market/ema/venue-ema.js'
import type { Database } from '../postgres/database.js'
import { PgFixMessageLog } from '../postgres/fix-message-log.js'
import { PgSessionStore } from '../postgres/fix-session-store.js'
import { HttpLmaClient } from '../rest/lma-client.js'
import { HttpLocalBook } from '../rest/market-data-client.js'
import { FixEma } from '../fix/ema.js'
import type { VenueUnits } from '../fix/instrument.js'
import { FixTradeReporting } from '../fix/reporting.js'
import { FixSessionEndpoint } from '../fix/session/endpoint.js'
import type { SessionLog } from '../fix/session/log.js'
import { FixVenueSimulator } from '../fix/venue.js'

type Log = (message: string, detail?: Record<string, unknown>) => void

/** House liquidity of the simulated venue: an order per coming interval, e.g. "sell:150:0.0100". */
export const LiquiditySpec = z.string().regex(/^(buy|sell):\d+(\.\d+)?:\d+(\.\d+)?$/, 'side:price:quantity, e.g. sell:150:0.0100')
  .transform((s) => { const [side, price, quantity] = s.split(':') as ['buy' | 'sell', string, string]; return { side, price, quantity } })

export interface FixVenueOptions {
  host: string
  port: number
  senderCompId: string
  targetCompId: string
  heartbeatSeconds: number
  storeDir: string
  scales: { priceScale: number, quantityScale: number }
  /** The venue's delivery intervals (ISO 8601 duration) and how many coming ones to keep liquid. */
  duration: string
  horizon: number
  liquidity: Array<{ side: 'buy' | 'sell', price: string, quantity: string }>
  sessionLog?: SessionLog
  now?: () => Date
}

export async function startFixVenue (o: FixVenueOptions): Promise<{ venue: FixVenueSimulator, port: number, stop: () => Promise<void> }> {
  const venue = new FixVenueSimulator(o.scales)
  const step = durationMs(o.duration)
  const seeded = new Set<number>()
  const now = o.now ?? (() => new Date())
  const seed = () => {
    const first = Math.floor(now().getTime() / step) * step + step
    for (let k = 0; k < o.horizon; k++) {
      const start = first + k * step
      if (seeded.has(start)) continue
      seeded.add(start)
      for (const l of o.liquidity) venue.seed(new Date(start).toISOString(), o.duration, l.side, l.price, l.quantity)
    }
  }
  seed()
  const timer = setInterval(seed, Math.min(step, 60_000))
  const endpoint = new FixSessionEndpoint({
    role: 'acceptor', host: o.host, port: o.port, senderCompId: o.senderCompId, targetCompId: o.targetCompId, heartbeatSeconds: o.heartbeatSeconds, storeDir: o.storeDir,
    ...(o.sessionLog !== undefined && { log: o.sessionLog })
  }, venue)
  const { port } = await endpoint.start()
  return { venue, port, stop: async () => { clearInterval(timer); await endpoint.stop() } }
}

export interface FixEmaOptions {
  lmaUrl: string
  partyID: string
  market: MarketRules
  markup: string
  importLimit: string
  exportLimit: string
  units: VenueUnits
  venue: { host: string, port: number, senderCompId: string, targetCompId: string, heartbeatSeconds: number, storeDir: string }
  db: Database
  log: Log
  sessionLog?: SessionLog
  /** Where the FIX session keeps its numbers and sent messages: files under venue.storeDir (default), or the ledger database. */
  sessionStore?: 'file' | 'postgres'
}

/** The venue EMA, registered with the LMA and logged on to the venue; call tick() to trade. */
export async function startFixEma (o: FixEmaOptions): Promise<{ ema: VenueEma, fix: FixEma, tick: (now: Date, horizon: number) => Promise<void>, stop: () => Promise<void> }> {
  const ledger = new PgFixMessageLog(o.db)
  const fix = new FixEma({ name: `${o.venue.senderCompId}->${o.venue.targetCompId}`, market: o.market, units: o.units, log: ledger, onError: (error) => o.log('execution not applied', { error: error.message }) })
  const { client, lmaPartyID } = await HttpLmaClient.registerOnce(o.lmaUrl, { partyID: o.partyID, partyRole: 'ema', marketContext: [o.market.marketContext] }, join(o.venue.storeDir, `${o.partyID}.lma-token`))
  const ema = new VenueEma({ partyID: o.partyID, lmaPartyID, market: o.market, markup: o.markup, importLimit: o.importLimit, exportLimit: o.exportLimit }, fix, client)
  fix.attach(ema)
  // A restart picks up where the last run left off, before the session can bring anything new:
  // its venue orders, and any fill not yet traded back.
  const recovered = await fix.recover(await ledger.messages(fix.name))
  if (ema.orders.size > 0) o.log('recovered from the ledger', { orders: ema.orders.size, executions: recovered })
  const endpoint = new FixSessionEndpoint({
    role: 'initiator', ...o.venue, ...(o.sessionLog !== undefined && { log: o.sessionLog }),
    ...(o.sessionStore === 'postgres' && { store: new PgSessionStore(o.db, `FIX.4.4-${o.venue.senderCompId}-${o.venue.targetCompId}`) })
  }, fix)
  await endpoint.start()
  for (let i = 0; i < 250 && !fix.loggedOn; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  if (!fix.loggedOn) {
    await endpoint.stop(0)
    throw new Error(`no FIX logon at ${o.venue.host}:${o.venue.port} as ${o.venue.senderCompId} within 5 s`)
  }
  const book = new HttpLocalBook(o.lmaUrl, o.market.marketContext)
  return {
    ema, fix,
    tick: async (now, horizon) => {
      await ema.tick(book, now, horizon)
      await fix.settled()
    },
    stop: () => endpoint.stop()
  }
}

const decimal = z.string().regex(/^\d+(\.\d+)?$/, 'a decimal such as 0.005')

/** One venue EMA of a configuration file (ema-fix --config): its party, its venue, its venue's units. */
export const FixEmaConfig = z.object({
  partyID: z.string().min(1),
  venue: z.string().regex(/^.+:\d+$/, 'host:port'),
  senderCompId: z.string().min(1),
  targetCompId: z.string().min(1),
  heartbeatSeconds: z.number().int().min(1).default(30),
  markup: decimal.default('0.005'),
  importLimit: decimal.default('50'),
  exportLimit: decimal.default('50'),
  units: z.object({ priceShift: z.number().int(), priceScale: z.number().int().min(0), quantityShift: z.number().int(), quantityScale: z.number().int().min(0) }).strict()
    .default({ priceShift: 3, priceScale: 0, quantityShift: -3, quantityScale: 4 }),
  storeDir: z.string().optional()
}).strict()
export type FixEmaConfig = z.infer<typeof FixEmaConfig>

/** `{ "emas": [...] }`: one EMA per venue, each its own party and CompIDs; an empty list runs none. */
export function readFixEmaFile (text: string, file: string): FixEmaConfig[] {
  return readEmaList(FixEmaConfig, text, file)
}

/** A reporting session: CompID@port, optionally for one party, optionally with drop copies. */
export const ReportingSpec = z.string().regex(/^[A-Za-z0-9_.-]+@\d+(:party=[^:]+)?(:drop)?$/, 'COMPID@PORT[:party=ID][:drop], e.g. REGULATOR@9880 or HOUSE1@9881:party=house-1:drop')
  .transform((s) => {
    const [head, ...rest] = s.split(':')
    const [targetCompId, port] = head!.split('@') as [string, string]
    const party = rest.find((r) => r.startsWith('party='))?.slice('party='.length)
    return { targetCompId, port: Number(port), ...(party !== undefined && { partyID: party }), dropCopies: rest.includes('drop') }
  })
export type ReportingSession = z.output<typeof ReportingSpec>

/** Reporting acceptors beside an LMA, one per counterparty or regulator. */
export async function startFixReporting (lma: LocalMarketAgent, sessions: ReportingSession[], o: { host: string, senderCompId: string, storeDir: string, log: Log, sessionLog?: SessionLog }): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<void>> = []
  for (const s of sessions) {
    const reporting = new FixTradeReporting(lma, { ...(s.partyID !== undefined && { partyID: s.partyID }), dropCopies: s.dropCopies, onError: (error) => o.log('FIX report not sent', { session: s.targetCompId, error: error.message }) })
    const endpoint = new FixSessionEndpoint({
      role: 'acceptor', host: o.host, port: s.port, senderCompId: o.senderCompId, targetCompId: s.targetCompId, heartbeatSeconds: 30, storeDir: join(o.storeDir, 'reporting'),
      ...(o.sessionLog !== undefined && { log: o.sessionLog })
    }, reporting)
    const { port } = await endpoint.start()
    o.log('FIX reporting session listening', { targetCompId: s.targetCompId, port, party: s.partyID ?? 'all', dropCopies: s.dropCopies })
    stops.push(async () => { reporting.close(); await endpoint.stop() })
  }
  return async () => { for (const stop of stops) await stop() }
}
