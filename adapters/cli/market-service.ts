/**
 * Starts an LMA with its store and HTTP server: what `te-gateway lma` and the demo share.
 */
import { join } from 'node:path'
import { rmSync } from 'node:fs'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../rest/app.js'
import { tickerTapeOptionsFromEnv } from '../rest/ticker-tape.js'
import { limitsWith, type Limits } from '../rest/limits.js'
import { httpTransactionDelivery } from '../rest/lma-client.js'
import { CallbackSender } from '../rest/callback-sender.js'
import type { SecuritySettings } from './lma-security.js'
import { RemoteEngine } from '../rest/lme-client.js'
import { emlCtsDelivery, emlCtsRoutes, type EmlCtsConfig } from '../rest/eml-cts/routes.js'
import { PARTY_PREFIX } from '../rest/eml-cts/dialect.js'
import { OadrVtn, publishMarketPrices, vtnRoutes } from '../openadr/vtn.js'
import { PgVtnStore } from '../postgres/openadr-store.js'
import { startFixReporting, type ReportingSession } from './fix.js'
import { openDatabase, type Database } from '../postgres/database.js'
import { PgLedger } from '../postgres/ledger.js'
import { LocalMarketAgent } from '../../market/lma/lma.js'
import type { MarketDefinition } from '../../market/lma/markets.js'
import type { Clock } from '../../market/lma/time.js'

export interface MarketServiceOptions {
  markets: MarketDefinition[]
  port: number
  host: string
  /** postgres://...; unset: embedded PGlite in dataDir. */
  databaseUrl?: string
  dataDir: string
  /** PostgreSQL schema (default public). */
  schema?: string
  /** Start from an empty store (the demo does). */
  fresh?: boolean
  clock?: Clock
  logLevel: string
  /** Serve the eml-cts binding too (adapters/rest/eml-cts). */
  emlCts?: EmlCtsConfig
  /** Serve an OpenADR 2.0b VTN with this VTN ID, publishing the market's prices. */
  openadrVtn?: string
  /** The limits (adapters/rest/limits.ts); unset ones keep their defaults. */
  limits?: Partial<Limits>
  /** Proxies whose X-Forwarded-For is believed (fastify trustProxy): per-address limits then see the clients. */
  trustProxy?: string
  /** FIX reporting acceptors (adapters/fix/reporting.ts), SenderCompID TE-GATEWAY, stores under dataDir/fix. */
  fixReporting?: ReportingSession[]
  /** Enrolment, reserved ids, the callbacks' network policy, public owners (adapters/cli/lma-security.ts); default: the demo's open settings. */
  security?: Partial<SecuritySettings>
}

export interface MarketService {
  lma: LocalMarketAgent
  app: FastifyInstance
  db: Database
  url: string
  close: () => Promise<void>
}

export async function startMarketService (options: MarketServiceOptions): Promise<MarketService> {
  const limits = limitsWith(options.limits)
  const lmes = options.markets.flatMap((m) => m.lmeUrl === undefined ? [] : [m.lmeUrl])
  if (new Set(lmes).size !== lmes.length) throw new Error('each market needs an LME of its own: two markets name the same lmeUrl')
  const url = options.databaseUrl === '' ? undefined : options.databaseUrl
  if (options.fresh === true) {
    if (url === undefined) rmSync(options.dataDir, { recursive: true, force: true })
    else if (options.schema !== undefined) {
      const pool = new pg.Pool({ connectionString: url })
      await pool.query(`DROP SCHEMA IF EXISTS ${options.schema} CASCADE`).finally(() => pool.end())
    }
  }
  const db = await openDatabase(url !== undefined
    ? { url, ...(options.schema !== undefined && { schema: options.schema }) }
    : { dataDir: options.dataDir })
  const scales = new Map(options.markets.map((m) => [m.marketContext, { priceScale: m.priceScale, quantityScale: m.quantityScale }]))
  const app0 = { log: undefined as FastifyInstance['log'] | undefined }
  // What the LMA says while it loads (a market out of service) is logged once the logger exists.
  const early: Array<() => void> = []
  const security = options.security ?? {}
  const callbacks = new CallbackSender(security.callbacks)
  const lma = await LocalMarketAgent.open({
    markets: options.markets,
    ledger: new PgLedger(db, (m) => scales.get(m)!),
    // eml-cts parties are told in their dialect, every other party in CTS JSON; both through one guarded sender.
    deliver: emlCtsDelivery(httpTransactionDelivery(callbacks), callbacks),
    checkCallbackURI: (uri) => callbacks.check(uri),
    ...(security.enrolment !== undefined && { enrolment: security.enrolment }),
    // The eml-cts binding's parties are registered by the operator: nobody else takes their ids.
    reservedPartyIDs: [...security.reservedPartyIDs ?? [], ...(options.emlCts !== undefined ? [`${PARTY_PREFIX}*`] : [])],
    engine: (market) => market.lmeUrl === undefined ? undefined : new RemoteEngine(market.lmeUrl),
    ...(options.clock !== undefined && { clock: options.clock }),
    limits: { tendersPerRequest: limits.tendersPerRequest, deliveryHorizon: limits.deliveryHorizon },
    log: (level, message, detail) => {
      if (app0.log !== undefined) app0.log[level](detail ?? {}, message)
      else early.push(() => app0.log![level](detail ?? {}, message))
    }
  })
  const app = await buildApp({
    lma, limits, tape: tickerTapeOptionsFromEnv(process.env), logger: { level: options.logLevel },
    ...(security.publicOwners !== undefined && { publicOwners: security.publicOwners }),
    ...(options.trustProxy !== undefined && { trustProxy: options.trustProxy })
  })
  if (options.emlCts !== undefined) await app.register(emlCtsRoutes, { lma, config: options.emlCts, limits })
  if (options.openadrVtn !== undefined) {
    const vtn = new OadrVtn({ vtnID: options.openadrVtn, store: new PgVtnStore(db) })
    await vtn.load()
    await app.register(vtnRoutes, { vtn })
    publishMarketPrices(vtn, lma)
  }
  app0.log = app.log
  for (const line of early) line()
  const address = await app.listen({ port: options.port, host: options.host })
  const stopReporting = options.fixReporting === undefined || options.fixReporting.length === 0
    ? async () => {}
    : await startFixReporting(lma, options.fixReporting, {
      host: options.host, senderCompId: 'TE-GATEWAY', storeDir: join(options.dataDir, 'fix'),
      log: (message, detail) => app.log.info(detail ?? {}, message)
    })
  const gate = setInterval(() => { lma.closeDueIntervals().catch((error: unknown) => app.log.error({ err: error }, 'gate closure failed')) }, 1000)
  return {
    lma, app, db, url: address,
    close: async () => {
      clearInterval(gate)
      await stopReporting()
      await app.close()
      await lma.close()
      callbacks.close()
      await db.close()
    }
  }
}
