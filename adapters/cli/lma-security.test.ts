/**
 * `te-gateway lma`'s security options, through the real command line and HTTP: enrolment by
 * secret from a file, reserved ids, a callback network denied (here loopback, the demo's default
 * allows it), and owners published in market data.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, expect, it } from 'vitest'
import { enrolmentSecret } from '../../market/lma/enrolment.js'
import { MARKET, tender, testMarket } from '../../test/market.js'

const url = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL
const dir = mkdtempSync(join(tmpdir(), 'te-lma-security-'))
const schema = `sec_${randomBytes(4).toString('hex')}`
let child: ChildProcess | undefined

afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((resolve) => child!.once('exit', resolve))
    child.kill('SIGKILL')
    await gone
  }
  if (url !== undefined) {
    const pool = new pg.Pool({ connectionString: url })
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => pool.end())
  }
  rmSync(dir, { recursive: true, force: true })
})

function freePort (): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)) })
  })
}

it('te-gateway lma --enrolment secret --reserved-party-ids --callback-deny --public-owners', async () => {
  const alice = enrolmentSecret()
  const secrets = join(dir, 'enrolled.json')
  writeFileSync(secrets, JSON.stringify({ alice: alice.sha256, bob: enrolmentSecret().sha256 }))
  // A day ahead: gate closure never interferes, and it is within the default delivery horizon (P7D).
  const dtStart = new Date((Math.floor(Date.now() / 3_600_000) + 24) * 3_600_000).toISOString()
  const markets = join(dir, 'markets.json')
  writeFileSync(markets, JSON.stringify([testMarket()]))
  const port = await freePort()
  child = spawn(process.execPath, ['--import', 'tsx', 'adapters/cli/te-gateway.ts', 'lma', '--port', String(port), '--markets', markets,
    '--data-dir', join(dir, 'pglite'), '--schema', schema, '--log-level', 'warn',
    '--enrolment', 'secret', '--enrolment-secrets', secrets, '--reserved-party-ids', 'operator,house-*', '--callback-deny', '127.0.0.0/8,::1/128', '--public-owners'], {
    env: { ...process.env, ...(url !== undefined && { DATABASE_URL: url }) }, stdio: ['ignore', 'ignore', 'inherit']
  })
  const lma = `http://127.0.0.1:${port}`
  for (let i = 0; i < 600 && child.exitCode === null; i++) {
    try { if ((await fetch(`${lma}/health`)).ok) break } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const register = async (partyID: string, headers: Record<string, string> = {}, callbackURI?: string) => {
    const res = await fetch(`${lma}/lma/eiCreatePartyRegistration`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ requestID: `reg-${partyID}`, registreePartyID: partyID, eiRegistrationInfo: { partyRole: 'teua', ...(callbackURI !== undefined && { callbackURI }) } })
    })
    return { status: res.status, token: res.headers.get('x-party-token'), json: await res.json() as any }
  }
  expect((await register('operator')).status).toBe(403)
  expect((await register('house-7')).status).toBe(403)
  expect((await register('alice')).status).toBe(401)
  const denied = await register('alice', { 'enrolment-secret': alice.secret }, 'http://localhost:9/teua/alice')
  expect(denied.status).toBe(400)
  expect(denied.json.eiResponse.responseDescription).toMatch(/^eiRegistrationInfo\.callbackURI: localhost: address .* is in a denied network/)
  const ok = await register('alice', { 'enrolment-secret': alice.secret })
  expect(ok.status).toBe(200)
  const created = await fetch(`${lma}/lma/eiCreateTender`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ok.token}` },
    body: JSON.stringify({ requestID: 't1', partyID: 'alice', counterPartyID: 'lma', eiTender: [tender('a1', 'sell', '0.120', '1', dtStart)] })
  })
  expect(created.status).toBe(200)
  const book = await (await fetch(`${lma}/lma/market-data/book?marketContext=${encodeURIComponent(MARKET)}&dtStart=${dtStart}&duration=PT1H`)).json() as any
  expect(book.orders).toEqual([expect.objectContaining({ partyID: 'alice', tenderID: 'a1' })])
}, 120_000)
