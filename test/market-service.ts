/**
 * A test LMA over real HTTP: the test database (PostgreSQL in CI, else PGlite), one market, a
 * manual clock, the REST app listening on a free port. `extend` registers more routes first.
 */
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../adapters/rest/app.js'
import type { Limits } from '../adapters/rest/limits.js'
import { PgLedger } from '../adapters/postgres/ledger.js'
import type { Database } from '../adapters/postgres/database.js'
import { LocalMarketAgent, type LmaOptions } from '../market/lma/lma.js'
import type { MarketDefinition } from '../market/lma/markets.js'
import { ManualClock } from '../market/lma/time.js'
import { dropTestDatabase, openTestDatabase } from './database.js'

export interface TestLma {
  db: Database
  lma: LocalMarketAgent
  app: FastifyInstance
  url: string
  clock: ManualClock
  close: () => Promise<void>
}

export async function startTestLma (market: MarketDefinition, start: string, options: { extend?: (app: FastifyInstance) => Promise<void>, lma?: Partial<LmaOptions>, limits?: Partial<Limits> } = {}): Promise<TestLma> {
  const db = await openTestDatabase()
  const clock = new ManualClock(start)
  const lma = await LocalMarketAgent.open({ markets: [market], ledger: new PgLedger(db, () => ({ priceScale: market.priceScale, quantityScale: market.quantityScale })), clock, ...options.lma })
  const app = await buildApp({ lma, logger: false, ...(options.limits !== undefined && { limits: options.limits }) })
  await options.extend?.(app)
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    db, lma, app, url, clock,
    close: async () => {
      await app.close()
      await lma.close()
      await dropTestDatabase(db)
    }
  }
}
