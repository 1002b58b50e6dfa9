/**
 * Builds the gateway's fastify app: external plugins (OpenAPI docs), then our routes.
 * Tests build it and use inject; server.ts listens.
 */
import Fastify, { type FastifyServerOptions } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { ctsDocuments } from './cts-documents.js'

export async function buildApp (options: FastifyServerOptions = {}) {
  const app = Fastify({ bodyLimit: 1024 * 1024, ...options })

  await app.register(swagger, {
    openapi: {
      info: { title: 'te-gateway', description: 'Transactive energy gateway (NIST CTS)', version: '0.1.0' },
      tags: [{ name: 'cts documents', description: 'Validate and convert CTS payloads' }]
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }))
  await app.register(ctsDocuments)

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed')
      return reply.code(status).send({ error: 'internal error' })
    }
    return reply.code(status).send({ error: error.message })
  })
  return app
}
