/**
 * The conformance runner against our own LMA over real HTTP, on the test database (PostgreSQL in
 * CI): every check passes. Against deliberately broken LMAs, the named checks fail.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../adapters/rest/app.js'
import { httpTransactionDelivery } from '../adapters/rest/lma-client.js'
import { PgLedger } from '../adapters/postgres/ledger.js'
import type { Database } from '../adapters/postgres/database.js'
import { LocalMarketAgent } from '../market/lma/lma.js'
import { dropTestDatabase, openTestDatabase } from '../test/database.js'
import { testMarket } from '../test/market.js'
import { defaultCtsSchemaDir } from '../schemas/xsd-validation.js'
import { runConformance, type Check } from './run.js'
import { runEmlConformance } from './run-eml-cts.js'
import { emlCtsDelivery, emlCtsRoutes } from '../adapters/rest/eml-cts/routes.js'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

let db: Database | undefined
let lma: LocalMarketAgent | undefined
let app: FastifyInstance | undefined

afterEach(async () => {
  await app?.close()
  await lma?.close()
  if (db !== undefined) await dropTestDatabase(db)
  db = lma = app = undefined
})

/** Our LMA on a port of its own; `breakIt` may add hooks that make it misbehave. */
async function startLma (breakIt?: (app: FastifyInstance) => void): Promise<string> {
  db = await openTestDatabase()
  lma = await LocalMarketAgent.open({ markets: [testMarket()], ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 1 })), deliver: httpTransactionDelivery() })
  app = await buildApp({ lma, logger: false })
  breakIt?.(app)
  return app.listen({ port: 0, host: '127.0.0.1' })
}

/** Our LMA with the eml-cts binding, its parties 1 and 2 at the suite's TEUA endpoints on a free port. */
async function startEmlLma (breakIt?: (app: FastifyInstance) => void): Promise<{ target: string, callbackPort: number }> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const callbackPort = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))
  db = await openTestDatabase()
  lma = await LocalMarketAgent.open({ markets: [testMarket({ quantityScale: 0 })], ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 0 })), deliver: emlCtsDelivery(httpTransactionDelivery()) })
  app = await buildApp({ lma, logger: false })
  breakIt?.(app)
  await app.register(emlCtsRoutes, { lma, config: { parties: [1, 2].map((partyId, i) => ({ partyId, teuaURI: `http://127.0.0.1:${callbackPort}/teua/${i}` })) } })
  return { target: await app.listen({ port: 0, host: '127.0.0.1' }), callbackPort }
}

const failed = (checks: Check[]) => checks.filter((c) => !c.passed).map((c) => c.id)

describe('conformance run', () => {
  it('passes every check against our LMA', async () => {
    const target = await startLma()
    const checks = await runConformance({ target, schemasDir: defaultCtsSchemaDir() })
    expect(checks.filter((c) => !c.passed)).toEqual([])
    expect(checks.length).toBeGreaterThanOrEqual(16)
  }, 120_000)

  it('an LMA that drops refID fails refid-echo and answers-valid', async () => {
    const target = await startLma((app) => {
      app.addHook('onSend', async (request, _reply, payload) =>
        request.url.startsWith('/lma/') && typeof payload === 'string' ? payload.replace(/"refID":"[^"]*",?/, '') : payload)
    })
    const checks = await runConformance({ target })
    expect(failed(checks)).toEqual(expect.arrayContaining(['refid-echo', 'answers-valid']))
    expect(checks.find((c) => c.id === 'refid-echo')!.detail).toMatch(/refID undefined/)
  }, 120_000)

  it('an LMA that accepts quantity 0 fails invalid', async () => {
    const target = await startLma((app) => {
      app.addHook('preHandler', async (request) => {
        for (const t of (request.body as any)?.eiTender ?? []) if (t?.product?.temixPower?.quantity === '0') t.product.temixPower.quantity = '1'
      })
    })
    const checks = await runConformance({ target })
    expect(failed(checks)).toContain('invalid')
    expect(checks.find((c) => c.id === 'invalid')!.detail).toMatch(/quantity 0: HTTP 200, not 4xx/)
  }, 120_000)

  it('an LMA that answers 200 to a cancel of an unknown tender fails cancel and status-agrees', async () => {
    const target = await startLma((app) => {
      app.addHook('onSend', async (request, reply, payload) => {
        if (request.url === '/lma/eiCancelTender' && reply.statusCode === 404) reply.code(200)
        return payload
      })
    })
    const checks = await runConformance({ target })
    expect(failed(checks)).toEqual(expect.arrayContaining(['cancel', 'status-agrees']))
  }, 120_000)

  it('--binding eml-cts: passes every check against our LMA\'s eml-cts binding', async () => {
    const { target, callbackPort } = await startEmlLma()
    const checks = await runEmlConformance({ target, callbackPort })
    expect(checks.filter((c) => !c.passed)).toEqual([])
    expect(checks).toHaveLength(11)
  }, 120_000)

  it('--binding eml-cts: an LMA that answers a stream tender with inResponseTo null, as eml-cts does, fails eml-answers', async () => {
    const { target, callbackPort } = await startEmlLma((app) => {
      app.addHook('onSend', async (request, _reply, payload) => request.url === '/lma/createStreamTender' && typeof payload === 'string' ? payload.replace(/"inResponseTo":\{[^}]*\}/, '"inResponseTo":null') : payload)
    })
    const checks = await runEmlConformance({ target, callbackPort })
    expect(failed(checks)).toEqual(['eml-answers'])
    expect(checks.find((c) => c.id === 'eml-answers')!.detail).toMatch(/createStreamTender .*inResponseTo null/)
  }, 120_000)
})
