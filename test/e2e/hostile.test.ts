/**
 * Hostile traffic beside honest traffic, over real HTTP. fast-check generates thousands of hostile
 * requests from valid templates: strings with lone surrogates, NUL and other controls, huge and
 * wrong-typed values, far-future intervals, other parties' ids, wrong content types, deep or
 * broken XML. They are sent in waves, each wave beside honest tenders of two other parties.
 *
 * Asserted: no hostile request gets a 5xx; every refusal of /lma is a CTS answer whose
 * responseCode equals its status; every honest request is answered 200; the LMA never fails a
 * ledger write (no reload); and a restart on the same ledger replays every book to the same state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { LocalMarketAgent } from '../../market/lma/lma.js'
import { PgLedger } from '../../adapters/postgres/ledger.js'
import { H12, H13, MARKET, START, tender, testMarket } from '../market.js'
import { startTestLma, type TestLma } from '../market-service.js'

const SEED = Number(process.env.HOSTILE_SEED ?? 20261206)
const WAVES = 60
const HOSTILE_PER_WAVE = 50
const HONEST_PER_WAVE = 4

interface HostileRequest { path: string, contentType?: string, token: 'attacker' | 'none' | 'garbage', body: string }

let market: TestLma
const errors: string[] = []
const tokens = new Map<string, string>()

async function register (partyID: string): Promise<string> {
  const res = await fetch(`${market.url}/lma/eiCreatePartyRegistration`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ requestID: `reg-${partyID}`, registreePartyID: partyID, eiRegistrationInfo: { partyRole: 'teua', callbackURI: `http://127.0.0.1:9/teua/${partyID}`, marketContext: [MARKET] } })
  })
  expect(res.status).toBe(200)
  return res.headers.get('x-party-token')!
}

beforeAll(async () => {
  market = await startTestLma(testMarket(), START, { lma: { log: (level, message, detail) => { if (level === 'error') errors.push(`${message} ${JSON.stringify(detail)}`) } } })
  for (const party of ['a', 'b', 'm']) tokens.set(party, await register(party))
}, 60_000)

afterAll(async () => { await market?.close() })

// ---- Hostile values -------------------------------------------------------------------------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))
const control = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f)).map((c) => String.fromCharCode(c))
const nasty = fc.oneof(loneSurrogate, control, fc.constantFrom('\u0000', '\ufffe', '\uffff', '\u2028', '\u202e', '<', '&', '"', '\\'))
/** A short id with a hostile character somewhere in it. */
const taintedString = fc.tuple(fc.string({ maxLength: 8 }), nasty, fc.string({ unit: 'binary', maxLength: 8 })).map(([a, n, b]) => `${a}${n}${b}`)
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: taintedString },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(10_000), 'y'.repeat(300)) },
  { weight: 2, arbitrary: fc.constantFrom(1e308, -1, 0, Number.MAX_SAFE_INTEGER + 2, 1.5, null, true, [], {}, [[]], { $ne: null }) },
  { weight: 2, arbitrary: fc.constantFrom('9999-12-31T00:00:00Z', '0000-01-01T00:00:00Z', '2026-06-20T12:00:00', '-P1D', 'P99999999Y', 'PT0S', '') },
  { weight: 2, arbitrary: fc.constantFrom('-0.100', '1e400', '99999999999999999999999999999.999', '0.0000001', 'NaN', 'Infinity', '0x10', ' 1', '1 ') },
  { weight: 2, arbitrary: fc.constantFrom('a', 'b', 'lma', 'm', 'a-t1', 'b-t1') }
)

// ---- Templates: valid requests of the attacker ----------------------------------------------

function templates (n: number): Array<{ path: string, body: Record<string, unknown> }> {
  return [
    { path: 'eiCreateTender', body: { requestID: `h${n}`, partyID: 'm', counterPartyID: 'lma', eiTender: [tender(`m-${n}`, n % 2 === 0 ? 'buy' : 'sell', '0.050', '1', n % 3 === 0 ? H13 : H12)] } },
    { path: 'eiCreatePartyRegistration', body: { requestID: `h${n}`, registreePartyID: `x${n}`, eiRegistrationInfo: { partyName: 'x', partyRole: 'teua', callbackURI: 'http://127.0.0.1:9/x', marketContext: [MARKET] } } },
    { path: 'eiCancelTender', body: { requestID: `h${n}`, partyID: 'm', tenderID: [`a-t${n % 20}`] } },
    { path: 'eiRequestTender', body: { requestID: `h${n}`, partyID: 'm', requestorPartyID: 'm' } },
    { path: 'eiRequestTransaction', body: { requestID: `h${n}`, partyID: 'm', requestorPartyID: 'm' } },
    { path: 'eiRequestPosition', body: { requestID: `h${n}`, requestorPartyID: 'm', positionPartyID: 'm', marketContext: MARKET, boundingInterval: { dtStart: H12, duration: 'PT1H' } } },
    { path: 'eiRequestQuote', body: { requestID: `h${n}`, requestorPartyID: 'm', publisherPartyID: 'lma' } },
    { path: 'eiRequestPartyRegistration', body: { requestID: `h${n}`, registreePartyID: 'a', requestorPartyID: 'm' } },
    { path: 'eiRequestMarketRules', body: { requestID: `h${n}` } },
    { path: 'eiRequestEiMarketContext', body: { requestID: `h${n}`, marketContext: [MARKET] } }
  ]
}

/** Every path to a leaf (or subtree) of a JSON value. */
function paths (value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix]
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value)
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))]
}

function replaced (value: unknown, path: Array<string | number>, by: unknown): unknown {
  if (path.length === 0) return by
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) }
  copy[path[0]!] = replaced(copy[path[0]!], path.slice(1), by)
  return copy
}

const xmlBody = fc.oneof(
  fc.integer({ min: 1_000, max: 100_000 }).map((depth) => `${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`),
  fc.constantFrom(
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    '<ei:eiCreateTender xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110"><ei:requestID>&#0;</ei:requestID></ei:eiCreateTender>',
    '<ei:eiCreateTender xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110"><ei:requestID>&#xD800;</ei:requestID></ei:eiCreateTender>',
    '<unclosed', '', '<a/><b/>'
  ),
  taintedString.map((s) => `<ei:eiRequestTender xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110"><ei:requestID>${s}</ei:requestID></ei:eiRequestTender>`)
)

const hostileRequest: fc.Arbitrary<HostileRequest> = fc.integer({ min: 0, max: 1_000_000 }).chain((n) => {
  const all = templates(n)
  return fc.record({
    template: fc.constantFrom(...all),
    kind: fc.constantFrom('mutated', 'mutated', 'mutated', 'mutated', 'raw', 'xml'),
    pick: fc.nat(),
    value: hostileValue,
    raw: fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('{', '[]', 'null', '1e999999', '"x"', '{"requestID":{"a":1}}', '{"__proto__":{"x":1},"requestID":"p"}')),
    xml: xmlBody,
    contentType: fc.constantFrom(undefined, 'application/json', 'application/json', 'application/json', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/xml', 'text/xml', 'text/plain', 'application/octet-stream', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded'),
    token: fc.constantFrom<HostileRequest['token']>('attacker', 'attacker', 'attacker', 'none', 'garbage')
  }).map(({ template, kind, pick, value, raw, xml, contentType, token }) => {
    if (kind === 'raw') return { path: template.path, contentType, token, body: raw }
    if (kind === 'xml') return { path: template.path, contentType: contentType?.includes('json') === true ? 'application/xml' : contentType, token, body: xml }
    const choices = paths(template.body)
    const body = JSON.stringify(replaced(template.body, choices[pick % choices.length]!, value))
    return { path: template.path, contentType, token, body }
  })
})

// ---- The run --------------------------------------------------------------------------------

async function sendHostile (r: HostileRequest): Promise<{ status: number, contentType: string, text: string }> {
  const headers: Record<string, string> = {}
  if (r.contentType !== undefined) headers['content-type'] = r.contentType
  if (r.token === 'attacker') headers.authorization = `Bearer ${tokens.get('m')!}`
  if (r.token === 'garbage') headers.authorization = 'Bearer not-a-token'
  const res = await fetch(`${market.url}/lma/${r.path}`, { method: 'POST', headers, body: r.body })
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() }
}

/** The responseCode of a CTS answer, JSON or XML; undefined if it is not one. */
function responseCodeOf (contentType: string, text: string): string | undefined {
  if (contentType.includes('json')) {
    try { return (JSON.parse(text) as { eiResponse?: { responseCode?: string } }).eiResponse?.responseCode } catch { return undefined }
  }
  return /<(?:\w+:)?responseCode>(\d+)</.exec(text)?.[1]
}

let honestCount = 0
async function sendHonest (party: 'a' | 'b'): Promise<number> {
  const n = honestCount++
  const side = party === 'a' ? 'sell' : 'buy'
  // a's asks 0.100-0.119, b's bids 0.090-0.109: about half of them cross.
  const price = (party === 'a' ? 100 + (n % 20) : 90 + (n % 20)) / 1000
  const res = await fetch(`${market.url}/lma/eiCreateTender`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(party)!}` },
    body: JSON.stringify({ requestID: `honest-${n}`, partyID: party, counterPartyID: 'lma', eiTender: [tender(`${party}-t${n}`, side, price.toFixed(3), '1', n % 2 === 0 ? H12 : H13)] })
  })
  await res.arrayBuffer()
  return res.status
}

function bookState (lma: LocalMarketAgent): unknown {
  return lma.books().map((instrument) => lma.snapshot(instrument))
}

describe('hostile requests beside honest traffic (property-based, over real HTTP)', () => {
  it(`${WAVES * HOSTILE_PER_WAVE} hostile requests: no 5xx, every refusal a CTS answer, no honest request refused, no reload, the ledger replays`, async () => {
    const hostile = fc.sample(hostileRequest, { numRuns: WAVES * HOSTILE_PER_WAVE, seed: SEED })
    const failures: string[] = []
    const honestStatuses: number[] = []
    for (let wave = 0; wave < WAVES; wave++) {
      const batch = hostile.slice(wave * HOSTILE_PER_WAVE, (wave + 1) * HOSTILE_PER_WAVE)
      const honest = Array.from({ length: HONEST_PER_WAVE }, (_, i) => sendHonest(i % 2 === 0 ? 'a' : 'b'))
      const answers = await Promise.all(batch.map(async (r) => ({ r, answer: await sendHostile(r) })))
      honestStatuses.push(...await Promise.all(honest))
      for (const { r, answer } of answers) {
        const what = `${r.path} ${r.contentType ?? '(no content type)'} ${r.token} ${JSON.stringify(r.body.slice(0, 200))}`
        if (answer.status >= 500) failures.push(`${answer.status} for ${what}: ${answer.text.slice(0, 200)}`)
        else if (answer.status >= 400 && responseCodeOf(answer.contentType, answer.text) !== String(answer.status)) {
          failures.push(`${answer.status} is not a CTS answer with that code for ${what}: ${answer.text.slice(0, 200)}`)
        }
      }
    }
    expect.soft(failures.slice(0, 10), `seed ${SEED}: ${failures.length} bad answers`).toEqual([])
    expect.soft(honestStatuses.filter((s) => s !== 200), 'honest requests refused').toEqual([])
    expect.soft(errors, 'the LMA failed a ledger write or reloaded').toEqual([])

    // A restart on the same ledger replays every book to what it was.
    const before = bookState(market.lma)
    await market.app.close()
    await market.lma.close()  // closed again by afterAll, which does nothing then
    const reopened = await LocalMarketAgent.open({ markets: [testMarket()], ledger: new PgLedger(market.db, () => ({ priceScale: 3, quantityScale: 1 })), clock: market.clock })
    try {
      expect(bookState(reopened)).toEqual(before)
    } finally {
      await reopened.close()
    }
  }, 300_000)
})
