/**
 * The limits, over real HTTP (the app listening on a free port; raw sockets for slow clients):
 * each is refused with the right status, and every refusal is the request's CTS answer payload
 * with an EiResponse whose responseCode equals the HTTP status.
 */
import { connect, type Socket } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import type { Limits } from './limits.js'
import { LocalMarketAgent } from '../../market/lma/lma.js'
import { PgLedger } from '../postgres/ledger.js'
import { ManualClock } from '../../market/lma/time.js'
import type { Database } from '../postgres/database.js'
import type { PayloadName } from '../../schemas/registry.js'
import { dropTestDatabase, openTestDatabase } from '../../test/database.js'
import { H12, H14, MARKET, START, tender, testMarket } from '../../test/market.js'
import { validJsonAnswer, validXmlAnswer } from '../../test/cts-answers.js'
import { toXml } from '../../schemas/codec.js'
import { emlCtsRoutes } from './eml-cts/routes.js'

let db: Database
let lma: LocalMarketAgent
const apps: FastifyInstance[] = []
const sockets: Socket[] = []
let parties = 0

beforeAll(async () => {
  db = await openTestDatabase()
  // The second market has a delivery horizon of its own (3 hours); the first the LMA's limit.
  lma = await LocalMarketAgent.open({
    markets: [testMarket(), testMarket({ marketContext: `${MARKET}/near`, deliveryHorizon: 'PT3H' }), testMarket({ marketContext: `${MARKET}/whole`, quantityScale: 0 })],
    ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 1 })), clock: new ManualClock(START), limits: { tendersPerRequest: 3 }
  })
}, 60_000)
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  for (const app of apps.splice(0)) await app.close()
})
afterAll(async () => {
  await lma.close()
  await dropTestDatabase(db)
})

/** The LMA's REST app with these limits, listening on a free port; its base URL. */
async function serve (limits: Partial<Limits> = {}, extend?: (app: FastifyInstance) => Promise<void>): Promise<string> {
  const app = await buildApp({ lma, limits, logger: false })
  apps.push(app)
  await extend?.(app)
  return await app.listen({ port: 0, host: '127.0.0.1' })
}

async function register (url: string): Promise<{ partyID: string, token: string }> {
  const partyID = `limits-${++parties}`
  const res = await fetch(`${url}/lma/eiCreatePartyRegistration`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ requestID: `reg-${partyID}`, registreePartyID: partyID, eiRegistrationInfo: { partyRole: 'teua' } })
  })
  expect(res.status, await res.clone().text()).toBe(200)
  return { partyID, token: res.headers.get('x-party-token')! }
}

const post = (url: string, token: string | undefined, body: string | Uint8Array, contentType = 'application/json', headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', body, headers: { 'content-type': contentType, ...(token !== undefined && { authorization: `Bearer ${token}` }), ...headers } })

/** Checks a refusal: the status, a valid CTS answer of `name` whose responseCode is that status, a description matching. */
async function expectRefusal (res: Response, status: number, name: PayloadName, description: RegExp): Promise<void> {
  const text = await res.text()
  expect(res.status, text.slice(0, 300)).toBe(status)
  const answer = (res.headers.get('content-type') ?? '').includes('xml') ? validXmlAnswer(name, text) : validJsonAnswer(name, JSON.parse(text))
  const response = Array.isArray((answer as { eiResponse: unknown }).eiResponse) ? (answer as { eiResponse: unknown[] }).eiResponse[0] : (answer as { eiResponse: unknown }).eiResponse
  expect(response).toMatchObject({ responseCode: String(status), responseDescription: expect.stringMatching(description) })
}

const createTender = (partyID: string, requestID: string, tenders: unknown[]) => JSON.stringify({ requestID, partyID, counterPartyID: 'lma', eiTender: tenders })

describe('bodies', () => {
  it('refuses a body over the size limit with 413, an unknown content type with 415, as CTS answers', async () => {
    const url = await serve({ bodyBytes: 10_000 })
    const { partyID, token } = await register(url)
    const big = createTender(partyID, 'big', [tender('t1', 'buy', '0.100', '1', H12, { uid: 'x'.repeat(20_000) })])
    await expectRefusal(await post(`${url}/lma/eiCreateTender`, token, big), 413, 'eiCreatedTender', /larger than 10000 bytes/)
    await expectRefusal(await post(`${url}/lma/eiCreateTender`, token, 'requestID=x', 'application/x-www-form-urlencoded'), 415, 'eiCreatedTender', /application\/json or application\/xml/)
    await expectRefusal(await post(`${url}/lma/eiCreateTender`, token, 'hello', 'text/plain'), 415, 'eiCreatedTender', /application\/json/)
  })

  it('reads UTF-8 only: another charset is 415, bytes that are not UTF-8 are 400; UTF-8 with a charset is read', async () => {
    const url = await serve()
    const { partyID, token } = await register(url)
    const body = createTender(partyID, 'u16', [tender('u16', 'buy', '0.100', '1')])
    const utf16 = Buffer.from(body, 'utf16le')
    await expectRefusal(await post(`${url}/lma/eiCreateTender`, token, utf16, 'application/json; charset=utf-16'), 415, 'eiCreatedTender', /charset utf-16/)
    const latin1 = Buffer.from(createTender(partyID, 'l1', [tender('café', 'buy', '0.100', '1')]), 'latin1')
    await expectRefusal(await post(`${url}/lma/eiCreateTender`, token, latin1, 'application/json'), 400, 'eiCreatedTender', /not valid UTF-8/)
    const xml = toXml('eiCreateTender', JSON.parse(body))
    await expectRefusal(await post(`${url}/lma/eiCreateTender`, token, xml.replace(/^<\?xml[^>]*\?>/, '<?xml version="1.0" encoding="ISO-8859-1"?>'), 'application/xml'), 415, 'eiCreatedTender', /encoding iso-8859-1/)
    const ok = await post(`${url}/lma/eiCreateTender`, token, createTender(partyID, 'u8', [tender('u8-é', 'buy', '0.100', '1')]), 'application/json; charset=UTF-8')
    expect(ok.status, await ok.clone().text()).toBe(200)
    expect(validJsonAnswer('eiCreatedTender', await ok.json()).tenderID).toEqual(['u8-é'])
  })

  it('refuses XML nested deeper than the limit with a CTS 400, before parsing it', async () => {
    const url = await serve()
    const { partyID, token } = await register(url)
    const deep = `<?xml version="1.0"?><pyld:eiCreateTender xmlns:pyld="http://docs.oasis-open.org/ns/energyinterop/201110/payloads"><pyld:requestID>deep</pyld:requestID>${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}</pyld:eiCreateTender>`
    await expectRefusal(await post(`${url}/lma/eiCreateTender`, token, deep, 'application/xml'), 400, 'eiCreatedTender', /nests deeper than 64/)
    // The ordinary document still goes through.
    const xml = toXml('eiCreateTender', JSON.parse(createTender(partyID, 'shallow', [tender('shallow', 'buy', '0.100', '1')])))
    expect((await post(`${url}/lma/eiCreateTender`, token, xml, 'application/xml')).status).toBe(200)
  })
})

describe('order entry', () => {
  it('refuses more tenders in one request than the limit (a stream counts its intervals) with 422', async () => {
    const url = await serve()
    const { partyID, token } = await register(url)
    const four = [1, 2, 3, 4].map((k) => tender(`many-${k}`, 'buy', '0.100', '1'))
    await expectRefusal(await post(`${url}/lma/eiCreateTender`, token, createTender(partyID, 'many', four)), 422, 'eiCreatedTender', /4 interval tenders in one request; this market takes at most 3/)
    const stream = tender('stream', 'buy', '0.100', '1', H12, { intervals: [1, 2, 3, 4].map((k) => ({ uid: String(k), temixPower: { price: '0.100', quantity: '1' } })) })
    await expectRefusal(await post(`${url}/lma/eiCreateTender`, token, createTender(partyID, 'stream', [stream])), 422, 'eiCreatedTender', /at most 3/)
    expect((await post(`${url}/lma/eiCreateTender`, token, createTender(partyID, 'three', four.slice(0, 3)))).status).toBe(200)
  })

  it('refuses a delivery interval beyond the horizon (the LMA\'s, or the market\'s own) with 422', async () => {
    const url = await serve()
    const { partyID, token } = await register(url)
    await expectRefusal(await post(`${url}/lma/eiCreateTender`, token, createTender(partyID, 'y9999', [tender('y9999', 'buy', '0.100', '1', '9999-12-31T23:00:00Z')])), 422, 'eiCreatedTender', /beyond this market's delivery horizon of P7D/)
    await expectRefusal(await post(`${url}/lma/eiCreateTender`, token, createTender(partyID, 'd8', [tender('d8', 'buy', '0.100', '1', '2026-06-28T11:00:00Z')])), 422, 'eiCreatedTender', /horizon/)
    expect((await post(`${url}/lma/eiCreateTender`, token, createTender(partyID, 'd6', [tender('d6', 'buy', '0.100', '1', '2026-06-26T11:00:00Z')]))).status).toBe(200)
    const near = (id: string, dtStart: string) => tender(id, 'buy', '0.100', '1', dtStart, { marketContext: `${MARKET}/near` })
    await expectRefusal(await post(`${url}/lma/eiCreateTender`, token, createTender(partyID, 'near14', [near('near14', H14)])), 422, 'eiCreatedTender', /horizon of PT3H/)
    expect((await post(`${url}/lma/eiCreateTender`, token, createTender(partyID, 'near12', [near('near12', H12)]))).status).toBe(200)
  })
})

describe('rates and registrations', () => {
  it('rate-limits registrations per address: 429 with Retry-After, as a CTS answer', async () => {
    const url = await serve({ addressRegistrations: 3, registrationWindowMs: 60_000 })
    for (let k = 0; k < 3; k++) await register(url)
    const res = await post(`${url}/lma/eiCreatePartyRegistration`, undefined, JSON.stringify({ requestID: 'reg-4th', registreePartyID: 'limits-4th', eiRegistrationInfo: { partyRole: 'teua' } }))
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    await expectRefusal(res, 429, 'eiCreatedPartyRegistration', /rate limited/)
    expect(lma.party('limits-4th')).toBeUndefined()
  })

  it('caps the active registrations: one more is 422; a cancellation makes room', async () => {
    const url = await serve({ activeParties: lma.activeParties + 2 })
    await register(url)
    const last = await register(url)
    const over = await post(`${url}/lma/eiCreatePartyRegistration`, undefined, JSON.stringify({ requestID: 'reg-over', registreePartyID: 'limits-over', eiRegistrationInfo: { partyRole: 'teua' } }))
    await expectRefusal(over, 422, 'eiCreatedPartyRegistration', /maximum of \d+ active registrations/)
    const cancel = await post(`${url}/lma/eiCancelPartyRegistration`, last.token, JSON.stringify({ requestID: 'cancel-last', registrationID: [lma.party(last.partyID)!.registrationID], registreePartyID: last.partyID, registrarPartyID: 'lma' }))
    expect(cancel.status, await cancel.clone().text()).toBe(200)
    await register(url)
  })

  it('rate-limits authenticated requests per party and the others per address: 429 with Retry-After', async () => {
    const url = await serve({ partyRequests: 3, addressRequests: 2, rateWindowMs: 60_000 })
    const a = await register(url)
    const b = await register(url)
    const quote = (party: { partyID: string, token: string } | undefined, n: number) =>
      post(`${url}/lma/eiRequestQuote`, party?.token, JSON.stringify({ requestID: `q${n}`, requestorPartyID: party?.partyID ?? 'x', publisherPartyID: 'lma' }))
    for (let k = 0; k < 3; k++) expect((await quote(a, k)).status).toBe(200)
    const limited = await quote(a, 4)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    await expectRefusal(limited, 429, 'eiReplyQuote', /rate limited/)
    // Another party is not held back by the first.
    expect((await quote(b, 5)).status).toBe(200)
    // Without a token: per address (two here), then 429 rather than 401.
    const rules = () => post(`${url}/lma/eiRequestMarketRules`, undefined, JSON.stringify({ requestID: 'rules' }))
    expect((await rules()).status).toBe(200)
    expect((await rules()).status).toBe(200)
    await expectRefusal(await rules(), 429, 'eiReplyMarketRules', /rate limited/)
    await expectRefusal(await quote(undefined, 6), 429, 'eiReplyQuote', /rate limited/)
  })
})

describe('slow clients', () => {
  /** A raw connection to the app; resolves when the server closes it, with what it answered. */
  function rawConnection (url: string, send: string): { socket: Socket, closed: Promise<string> } {
    const { hostname, port } = new URL(url)
    const socket = connect(Number(port), hostname)
    sockets.push(socket)
    let received = ''
    socket.on('data', (d) => { received += d.toString() })
    socket.on('error', () => {})
    socket.write(send)
    return { socket, closed: new Promise((resolve) => socket.on('close', () => resolve(received))) }
  }

  it('closes connections whose body or headers never finish, and idle keep-alive connections', async () => {
    const url = await serve({ requestTimeoutMs: 400, headersTimeoutMs: 300, keepAliveTimeoutMs: 300, addressRequests: 10_000 })
    const partialBodies = Array.from({ length: 250 }, () => rawConnection(url,
      `POST /lma/eiRequestMarketRules HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"requestID": "sl`))
    const partialHeaders = Array.from({ length: 250 }, () => rawConnection(url, 'POST /lma/eiRequestMarketRules HTTP/1.1\r\nhost: x\r\nx-slow: '))
    const answers = await Promise.all([...partialBodies, ...partialHeaders].map((c) => c.closed))
    for (const a of answers) expect(a).toMatch(/^(HTTP\/1\.1 408|$)/)
    const body = JSON.stringify({ requestID: 'ka' })
    const idle = rawConnection(url, `POST /lma/eiRequestMarketRules HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
    expect(await idle.closed).toMatch(/^HTTP\/1\.1 200/)
  }, 30_000)
})

describe('the other faces', () => {
  it('the eml-cts binding refuses in its dialect, the TEUA callback as eiCreatedTransaction, with the status as responseCode', async () => {
    const url = await serve({ bodyBytes: 2000 }, async (app) => {
      await app.register(emlCtsRoutes, { lma, config: { marketContext: `${MARKET}/whole`, parties: [{ partyId: 1, teuaURI: 'http://127.0.0.1:9/teua/0' }] }, limits: { bodyBytes: 2000, xmlDepth: 64, partyRequests: 1000, addressRequests: 100, rateWindowMs: 1000, addressRegistrations: 20, registrationWindowMs: 60_000, activeParties: 10_000 } })
    })
    const eml = async (res: Response, status: number, description: RegExp) => {
      expect(res.status).toBe(status)
      expect(((await res.json()) as { response: unknown }).response).toMatchObject({ responseCode: status, responseDescription: expect.stringMatching(description) })
    }
    await eml(await post(`${url}/lma/createTender`, undefined, 'x', 'text/plain'), 415, /application\/json/)
    await eml(await post(`${url}/lma/createTender`, undefined, Buffer.from('{}', 'utf16le'), 'application/json; charset=utf-16'), 415, /charset utf-16/)
    await eml(await post(`${url}/lma/createTender`, undefined, JSON.stringify({ pad: 'x'.repeat(3000) })), 413, /larger than 2000 bytes/)
    await eml(await post(`${url}/lma/createTender`, undefined, '{"partyId": '), 400, /malformed JSON/)

    // No TEUA is served here: the refusals come from the plumbing and the route, before any TEUA.
    const teuaUrl = await (async () => {
      const app = await buildApp({ teuas: new Map(), limits: { bodyBytes: 2000 }, logger: false })
      apps.push(app)
      return await app.listen({ port: 0, host: '127.0.0.1' })
    })()
    const created = async (res: Response, status: number, description: RegExp) => {
      const text = await res.text()
      expect(res.status, text).toBe(status)
      expect(validJsonAnswer('eiCreatedTransaction', JSON.parse(text))).toMatchObject({ partyID: 't1', eiResponse: { responseCode: String(status), responseDescription: expect.stringMatching(description) } })
    }
    await created(await post(`${teuaUrl}/teua/t1/eiCreateTransaction`, undefined, Buffer.from('{}', 'utf16le'), 'application/json; charset=utf-16'), 415, /charset utf-16/)
    await created(await post(`${teuaUrl}/teua/t1/eiCreateTransaction`, undefined, 'x'.repeat(3000), 'application/json'), 413, /larger than 2000 bytes/)
    await created(await post(`${teuaUrl}/teua/t1/eiCreateTransaction`, undefined, '{}', 'application/json'), 404, /no TEUA t1 here/)
  })
})

describe('errors', () => {
  it('a refusal whose description quotes the request is still a CTS answer (the quote cut inside a surrogate pair)', async () => {
    const url = await serve()
    // Not XML at all: the reader's message quotes the text, cut in the middle of a surrogate pair.
    for (const text of ['\u{6D5E5}', 'ab\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}']) {
      const res = await post(`${url}/lma/eiRequestMarketRules`, undefined, text, 'application/xml')
      await expectRefusal(res, 400, 'eiReplyMarketRules', /./)
    }
  })

  it('answers a failure of ours with a CTS 500 that says nothing of it, and logs it', async () => {
    const url = await serve()
    const { partyID, token } = await register(url)
    const fault = vi.spyOn(lma, 'requestTender').mockImplementation(() => { throw new Error('secret: connection string postgres://admin:pw@db') })
    try {
      const res = await post(`${url}/lma/eiRequestTender`, token, JSON.stringify({ requestID: 'boom', partyID, requestorPartyID: partyID }))
      const text = await res.clone().text()
      expect(text).not.toMatch(/secret|postgres|at /)
      await expectRefusal(res, 500, 'eiReplyTender', /^internal error$/)
    } finally {
      fault.mockRestore()
    }
  })
})
