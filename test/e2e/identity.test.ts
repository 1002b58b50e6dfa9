/**
 * Identities over real HTTP (issue 12, defect 6): a partyID is registered once and never again (a
 * canceled one stays retired, also after a restart); the LMA's own id and the operator's reserved
 * ids are refused; where the operator enrols by secret, only an enrolled party with its secret
 * registers.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../adapters/rest/app.js'
import { HttpLmaClient } from '../../adapters/rest/lma-client.js'
import { PgLedger } from '../../adapters/postgres/ledger.js'
import type { Database } from '../../adapters/postgres/database.js'
import { LocalMarketAgent, type LmaOptions } from '../../market/lma/lma.js'
import { enrolmentSecret, secretEnrolment } from '../../market/lma/enrolment.js'
import { ManualClock } from '../../market/lma/time.js'
import { dropTestDatabase, openTestDatabase } from '../database.js'
import { START, testMarket } from '../market.js'

let db: Database | undefined
let running: { lma: LocalMarketAgent, app: FastifyInstance, url: string } | undefined

/** Starts (or restarts) the LMA on the test database. */
async function up (options: Partial<LmaOptions> = {}): Promise<string> {
  db ??= await openTestDatabase()
  const lma = await LocalMarketAgent.open({ markets: [testMarket()], ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 1 })), clock: new ManualClock(START), ...options })
  const app = await buildApp({ lma, logger: false })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  running = { lma, app, url }
  return url
}

async function down (): Promise<void> {
  if (running === undefined) return
  await running.app.close()
  await running.lma.close()
  running = undefined
}

afterEach(async () => {
  await down()
  if (db !== undefined) await dropTestDatabase(db)
  db = undefined
})

let n = 0
async function post (url: string, name: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/lma/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ requestID: `r${++n}`, ...body }) })
  const answer = await res.json() as { eiResponse: { responseCode: string, responseDescription?: string } | Array<{ responseCode: string }>, registrationID?: string }
  return { status: res.status, token: res.headers.get('x-party-token'), answer }
}

const register = (url: string, partyID: string, headers: Record<string, string> = {}) =>
  post(url, 'eiCreatePartyRegistration', { registreePartyID: partyID, eiRegistrationInfo: { partyRole: 'teua' } }, headers)

describe('identities', () => {
  it('a canceled partyID stays retired, also after a restart; its old token is dead', async () => {
    let url = await up()
    const first = await register(url, 'alice')
    expect(first.status).toBe(200)
    const cancel = await post(url, 'eiCancelPartyRegistration', { registreePartyID: 'alice', registrarPartyID: 'lma', registrationID: [first.answer.registrationID] }, { authorization: `Bearer ${first.token}` })
    expect(cancel.status).toBe(200)
    const again = await register(url, 'alice')
    expect(again.status).toBe(409)
    expect(again.answer.eiResponse).toMatchObject({ responseCode: '409', responseDescription: expect.stringContaining('retired') })
    expect(again.token).toBeNull()
    await down()
    url = await up()
    expect((await register(url, 'alice')).status).toBe(409)
    const read = await post(url, 'eiRequestTransaction', { partyID: 'alice', requestorPartyID: 'alice' }, { authorization: `Bearer ${first.token}` })
    expect(read.status).toBe(401)
    // An active party's id is taken too, and a party that names no id gets a fresh one.
    expect((await register(url, 'bob')).status).toBe(200)
    expect((await register(url, 'bob')).status).toBe(409)
  })

  it('the LMA\'s own id and the reserved ids are refused (403), whatever their case', async () => {
    const url = await up({ reservedPartyIDs: ['operator', 'regulator', 'eml-cts-*'] })
    for (const id of ['lma', 'LMA', 'operator', 'Regulator', 'eml-cts-1', 'EML-CTS-42']) {
      const refused = await register(url, id)
      expect(refused.status, id).toBe(403)
      expect(refused.answer.eiResponse).toMatchObject({ responseCode: '403', responseDescription: expect.stringContaining('registreePartyID') })
    }
    expect((await register(url, 'dave')).status).toBe(200)
  })

  it('enrolment by secret: only an enrolled party with its own secret registers, once', async () => {
    const alice = enrolmentSecret()
    const bob = enrolmentSecret()
    const url = await up({ enrolment: secretEnrolment({ alice: alice.sha256, bob: bob.sha256 }) })
    const refusals = [
      await register(url, 'alice'),
      await register(url, 'alice', { 'enrolment-secret': 'guess' }),
      await register(url, 'alice', { 'enrolment-secret': bob.secret }),
      await register(url, 'mallory', { 'enrolment-secret': alice.secret })
    ]
    for (const r of refusals) {
      expect(r.status).toBe(401)
      expect(r.token).toBeNull()
    }
    // Naming no partyID cannot get round it.
    expect((await post(url, 'eiCreatePartyRegistration', { eiRegistrationInfo: { partyRole: 'teua' } }, { 'enrolment-secret': alice.secret })).status).toBe(400)
    const ok = await register(url, 'alice', { 'enrolment-secret': alice.secret })
    expect(ok.status).toBe(200)
    expect(ok.token).not.toBeNull()
    expect((await register(url, 'alice', { 'enrolment-secret': alice.secret })).status).toBe(409)
    // Our client sends the secret too.
    const { answer } = await HttpLmaClient.register(url, { partyID: 'bob', partyRole: 'teua', enrolmentSecret: bob.secret })
    expect(answer.registreePartyID).toBe('bob')
  })
})
