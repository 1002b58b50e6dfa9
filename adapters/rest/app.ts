/**
 * Builds the gateway's fastify app: external plugins (OpenAPI docs), then our routes.
 * Tests build it and use inject; the CLI (adapters/cli) listens.
 */
import Fastify, { type FastifyServerOptions } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { ctsDocuments } from './cts-documents.js'
import { lmaRoutes } from './lma.js'
import { marketDataRoutes } from './market-data.js'
import type { TickerTapeOptions } from './ticker-tape.js'
import { teuaRoutes } from './teua.js'
import { limitsWith, serverOptions, type Limits } from './limits.js'
import type { LocalMarketAgent } from '../../market/lma/lma.js'
import type { TransactiveEnergyUserAgent } from '../../market/teua/teua.js'

export interface AppOptions extends FastifyServerOptions {
  /** The gateway's limits (adapters/rest/limits.ts); unset ones keep their defaults. */
  limits?: Partial<Limits>
  /** Serve this LMA's endpoints under /lma. */
  lma?: LocalMarketAgent
  /** Serve these TEUAs' endpoints under /teua/{partyID}. */
  teuas?: Map<string, TransactiveEnergyUserAgent>
  /** Public market data names each order's partyID and tenderID (default: orders are anonymous). */
  publicOwners?: boolean
  /** The ticker tape's limits (market data stream). */
  tape?: TickerTapeOptions
}

export async function buildApp ({ lma, teuas, publicOwners, limits: overrides, tape, ...options }: AppOptions = {}) {
  const limits = limitsWith(overrides)
  const app = Fastify({ ...serverOptions(limits), ...options })

  // Before any route plugin, so that every scope inherits it: 5xx bodies never leak internals.
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed')
      return reply.code(status).send({ error: 'internal error' })
    }
    return reply.code(status).send({ error: error.message })
  })

  await app.register(swagger, {
    openapi: {
      info: { title: 'te-gateway', description: 'Transactive energy gateway (NIST CTS)', version: '0.1.0' },
      tags: [
        { name: 'lma', description: 'The Local Market Agent: the only door into the market (CTS payloads, JSON or XML)' },
        { name: 'market data', description: 'Ticker tape (Server-Sent Events) and book snapshots' },
        { name: 'teua', description: 'Transactive Energy User Agents: their SC-facing orders and their CTS callback' },
        { name: 'cts documents', description: 'Validate and convert CTS payloads' }
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the token answered at registration (x-party-token)' } } }
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  // Liveness: the process answers. Readiness: the LMA is loaded, its ledger answers.
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    if (lma === undefined) return { status: 'ready' }
    if (!lma.ready) return reply.code(503).send({ status: 'recovering' })
    try {
      await lma.ping()
      const outOfService = lma.marketsOutOfService()
      return outOfService.length === 0 ? { status: 'ready' } : { status: 'ready', outOfService }
    } catch {
      return reply.code(503).send({ status: 'ledger unreachable' })
    }
  })
  await app.register(ctsDocuments, { limits })
  if (lma !== undefined) {
    await app.register(lmaRoutes, { lma, limits })
    await app.register(marketDataRoutes, { lma, ...(publicOwners !== undefined && { publicOwners }), ...(tape !== undefined && { tape }) })
  }
  if (teuas !== undefined) await app.register(teuaRoutes, { teuas, limits })

  return app
}
