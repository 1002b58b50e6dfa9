/**
 * Callback URIs cannot turn the LMA against its own network (issue 12, defect 5), over real HTTP:
 * registration refuses what is not http(s) and denied networks; delivery follows no redirect,
 * gives up on a callback that hangs or answers without end, and checks the address a name
 * resolves to when it connects.
 */
import { createServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { CallbackSender } from '../../adapters/rest/callback-sender.js'
import { httpTransactionDelivery } from '../../adapters/rest/lma-client.js'
import { emlCtsDelivery } from '../../adapters/rest/eml-cts/routes.js'
import type { TransactionDelivery } from '../../market/lma/lma.js'
import { startTestLma, type TestLma } from '../market-service.js'
import { tender, testMarket, START } from '../market.js'

/** A local HTTP server that records what reaches it. */
async function server (handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen = { requests: 0, closed: 0 }
  const s: Server = createServer((req, res) => { seen.requests++; req.socket.once('close', () => { seen.closed++ }); handle(req, res) })
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  return { s, seen, url: `http://127.0.0.1:${(s.address() as { port: number }).port}` }
}

let victim: Awaited<ReturnType<typeof server>>
let redirector: Awaited<ReturnType<typeof server>>
let hanger: Awaited<ReturnType<typeof server>>
let flood: Awaited<ReturnType<typeof server>>
let service: TestLma
/** Every delivery attempt, as it ended: the party and true/false, or the error. */
const attempts: Array<{ partyID: string, outcome: boolean | string }> = []

beforeAll(async () => {
  victim = await server((_req, res) => res.end('{}'))
  redirector = await server((req, res) => { req.resume(); res.writeHead(307, { location: `${victim.url}/internal/eiCreateTransaction` }).end() })
  hanger = await server((req) => { req.resume() })
  flood = await server((req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'application/json' })
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    const more = () => { while (!res.destroyed && res.write(chunk)); }
    res.on('drain', more)
    more()
  })
  const sender = new CallbackSender({ timeoutMs: 500, maxResponseBytes: 16 * 1024 })
  const inner = httpTransactionDelivery(sender)
  const deliver: TransactionDelivery = async (party, message) => {
    try {
      const outcome = await inner(party, message)
      attempts.push({ partyID: party.partyID, outcome })
      return outcome
    } catch (error) {
      attempts.push({ partyID: party.partyID, outcome: String(error) })
      throw error
    }
  }
  service = await startTestLma(testMarket(), START, { lma: { deliver, retryMs: 60_000, checkCallbackURI: (uri) => sender.check(uri) } })
}, 60_000)

afterAll(async () => {
  await service?.close()
  for (const x of [victim, redirector, hanger, flood]) {
    x?.s.closeAllConnections()
    await new Promise((resolve) => x?.s.close(resolve))
  }
})

let n = 0
async function register (partyID: string, callbackURI: string) {
  const res = await fetch(`${service.url}/lma/eiCreatePartyRegistration`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ requestID: `reg-${++n}`, registreePartyID: partyID, eiRegistrationInfo: { partyRole: 'teua', callbackURI } })
  })
  return { status: res.status, token: res.headers.get('x-party-token'), answer: await res.json() as { eiResponse: { responseCode: string, responseDescription: string } } }
}

describe('callback URIs', () => {
  it('registration refuses other schemes, credentials, link-local and metadata addresses: 400 naming the field', async () => {
    const refused = [
      'file:///etc/passwd', 'gopher://127.0.0.1:6379/_FLUSHALL', 'javascript:alert(1)', 'ftp://127.0.0.1/x',
      'http://169.254.169.254/latest/meta-data', 'http://2852039166/', 'http://[fe80::1]/', 'http://[::ffff:169.254.169.254]/',
      'http://[fd00:ec2::254]/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://[2002:a9fe:a9fe::1]/', 'http://0.0.0.0:80/', 'http://user:secret@127.0.0.1:9/'
    ]
    for (const [i, uri] of refused.entries()) {
      const r = await register(`bad-${i}`, uri)
      expect(r.status, uri).toBe(400)
      expect(r.token).toBeNull()
      expect(r.answer.eiResponse).toMatchObject({ responseCode: '400', responseDescription: expect.stringMatching(/^eiRegistrationInfo\.callbackURI: /) })
    }
    // Loopback is allowed by default (the demo runs on one machine).
    expect((await register('local', 'http://127.0.0.1:9/teua/local')).status).toBe(200)
  })

  it('delivery follows no redirect, and gives up on a callback that hangs or answers without end', async () => {
    const r = await register('redirected', `${redirector.url}/teua/r`)
    const h = await register('hanging', `${hanger.url}/teua/h`)
    const f = await register('flooding', `${flood.url}/teua/f`)
    const tenderAs = async (partyID: string, token: string | null, t: ReturnType<typeof tender>) => {
      const res = await fetch(`${service.url}/lma/eiCreateTender`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ requestID: `t-${++n}`, partyID, counterPartyID: 'lma', eiTender: [t] })
      })
      expect(res.status).toBe(200)
    }
    await tenderAs('redirected', r.token, tender('r1', 'sell', '0.100', '2'))
    await tenderAs('hanging', h.token, tender('h1', 'buy', '0.100', '1'))
    await tenderAs('flooding', f.token, tender('f1', 'buy', '0.100', '1'))
    const ended = (partyID: string) => attempts.filter((a) => a.partyID === partyID)
    await vi.waitFor(() => {
      expect(ended('redirected').length).toBeGreaterThanOrEqual(2)
      expect(ended('hanging').length).toBeGreaterThanOrEqual(1)
      expect(ended('flooding').length).toBeGreaterThanOrEqual(1)
    }, { timeout: 20_000, interval: 50 })
    // The 307 is an unsuccessful answer; its target never hears of the transaction.
    expect(ended('redirected').map((a) => a.outcome)).toEqual([false, false])
    expect(redirector.seen.requests).toBe(2)
    expect(victim.seen.requests).toBe(0)
    // The hanging and the flooding callbacks are cut off: a deadline, a size cap; their connections closed.
    expect(ended('hanging')[0]!.outcome).toMatch(/did not answer within 500 ms/)
    expect(ended('flooding')[0]!.outcome).toMatch(/more than 16384 bytes/)
    await vi.waitFor(() => { expect(hanger.seen.closed).toBe(1); expect(flood.seen.closed).toBe(1) }, { timeout: 10_000, interval: 20 })
    expect(service.lma.unacknowledged()).toHaveLength(4)
  })

  it('the eml-cts binding delivers through the same guard: no redirect followed', async () => {
    const deliver = emlCtsDelivery(async () => { throw new Error('not an eml-cts party') }, new CallbackSender({ timeoutMs: 2000 }))
    const party = { partyID: 'eml-cts-1', registrationID: 'r', tokenSha256: '', marketContexts: [], registeredAt: START, callbackURI: `${redirector.url}/teua/0` }
    const { product } = tender('eml-cts-1-t1', 'buy', '0.120', '1')
    const before = redirector.seen.requests
    expect(await deliver(party, { requestID: 'tx-1', partyID: 'eml-cts-1', counterPartyID: 'eml-cts-2', eiTransaction: [{ transactionID: 'tx-1', tenderID: 'eml-cts-1-t1', product: { ...product, transactiveState: 'transaction' } }] })).toBe(false)
    expect(redirector.seen.requests).toBe(before + 1)
    expect(victim.seen.requests).toBe(0)
  })

  it('a name is checked after it resolves, when the connection is made: denied loopback is not reached through localhost', async () => {
    const target = await server((_req, res) => res.end('{}'))
    try {
      const port = target.url.split(':').at(-1)
      const strict = new CallbackSender({ deny: ['127.0.0.0/8', '::1/128'], timeoutMs: 2000 })
      expect(await strict.check(`http://localhost:${port}/teua/x`)).toMatch(/localhost: address .* is in a denied network/)
      await expect(strict.postJson(`http://localhost:${port}/eiCreateTransaction`, {})).rejects.toThrow(/resolves only to refused addresses/)
      await expect(strict.postJson(`http://127.0.0.1:${port}/eiCreateTransaction`, {})).rejects.toThrow(/denied network/)
      // Only the listed networks, when the operator lists them.
      const only = new CallbackSender({ allow: ['10.0.0.0/8'] })
      await expect(only.postJson(`${target.url}/eiCreateTransaction`, {})).rejects.toThrow(/not in an allowed network/)
      expect(target.seen.requests).toBe(0)
      // The default policy reaches it, and answers its status and JSON.
      expect(await new CallbackSender().postJson(`http://localhost:${port}/eiCreateTransaction`, {})).toEqual({ status: 200, json: {} })
    } finally {
      target.s.closeAllConnections()
      await new Promise((resolve) => target.s.close(resolve))
    }
  })
})
