/**
 * The EMA as a VEN of a utility's VTN, end to end, over real HTTPS with mutual TLS (a throwaway CA
 * made here). Our VEN talks to our VTN standing in for the utility, and the local market runs
 * beside them:
 *   - registration, and report registration;
 *   - a price event becomes the EMA's tenders;
 *   - TEUAs trade with them;
 *   - the trades go up as oadrUpdateReport, once;
 *   - the event is modified (tenders replaced), then cancelled (tenders canceled);
 *   - the VTN asks for a re-registration, then cancels the registration.
 * The second test does the same in push mode: the VTN POSTs events to the VEN's own endpoints,
 * which refuse what another VTN pushes.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HttpLmaClient } from '../../adapters/rest/lma-client.js'
import { FileReportedStore, OadrVen, type ReportedStore } from '../../adapters/openadr/ven.js'
import { tradesOf, type TradedInterval } from '../../adapters/openadr/reports.js'
import { venRoutes } from '../../adapters/openadr/ven-routes.js'
import { OadrVtn, vtnRoutes } from '../../adapters/openadr/vtn.js'
import { readOadr, writeOadr } from '../../adapters/openadr/envelope.js'
import { distributeEvent } from '../../adapters/openadr/events.js'
import { postTls } from '../../adapters/openadr/tls.js'
import { PgVtnStore } from '../../adapters/postgres/openadr-store.js'
import { PriceEma } from '../../market/ema/price-ema.js'
import { startTestLma, type TestLma } from '../market-service.js'
import { testMarket } from '../market.js'
import { ThrowawayCa, type Issued } from '../throwaway-ca.js'

const market = testMarket({ granularity: 'PT15M', duration: 'PT15M' })
const UTILITY = 'http://utility.example/markets/rtp'
const prices = (values: string[]) => values.map((price, k) => ({ dtStart: new Date(Date.parse('2026-06-20T12:00:00Z') + k * 900_000).toISOString(), duration: 'PT15M', price }))

let ca: ThrowawayCa
let certs: Record<'vtnServer' | 'vtnClient' | 'venServer' | 'venClient', Issued>
let service: TestLma
let vtn: OadrVtn
let vtnApp: FastifyInstance
let vtnUrl: string
const closers: Array<() => Promise<unknown>> = []
let emaClient: HttpLmaClient | undefined

beforeEach(async () => {
  ca ??= new ThrowawayCa()
  certs ??= { vtnServer: ca.issue('vtn', 'server'), vtnClient: ca.issue('vtn-push', 'client'), venServer: ca.issue('ven-push', 'server'), venClient: ca.issue('ven', 'client') }
  service = await startTestLma(market, '2026-06-20T10:00:00Z')
  emaClient = undefined
  vtn = new OadrVtn({ vtnID: 'UTILITY-VTN', store: new PgVtnStore(service.db), pushTls: { cert: certs.vtnClient.cert, key: certs.vtnClient.key, ca: ca.cert } })
  vtnApp = Fastify({ https: { key: certs.vtnServer.key, cert: certs.vtnServer.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: true } })
  await vtnApp.register(vtnRoutes, { vtn })
  vtnUrl = `${await vtnApp.listen({ port: 0, host: '127.0.0.1' })}/OpenADR2/Simple/2.0b`
}, 60_000)
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
  await vtnApp.close()
  await service.close()
})

/** The EMA: a party of the LMA (over HTTP) and a VEN of the utility (over mutual TLS). */
async function ema (reported: ReportedStore = new FileReportedStore(join(mkdtempSync(join(tmpdir(), 'te-oadr-')), 'reported.json'))): Promise<{ ven: OadrVen, open: () => string[][] }> {
  // A restarted EMA is the same party: it keeps its client (and token).
  emaClient ??= (await HttpLmaClient.register(service.url, { partyID: 'ema-utility', partyRole: 'ema' })).client
  const client = emaClient
  const priceEma = new PriceEma({ partyID: 'ema-utility', lmaPartyID: 'lma', market, markup: '0.005', markdown: '0.01', importLimit: '10', exportLimit: '5' }, client)
  const ven = new OadrVen({
    vtnUrl, venName: 'microgrid-ema', ema: priceEma, tls: { cert: certs.venClient.cert, key: certs.venClient.key, ca: ca.cert },
    reports: { market, reported }
  })
  const open = () => service.lma.tendersOf('ema-utility').filter((t) => t.status === 'open').map((t) => [t.instrument.dtStart.slice(11, 16), t.side, t.price, String(t.quantityTicks - t.filledTicks - t.canceledTicks)])
  return { ven, open }
}

/** A TEUA trading one tender at 12:00 or 12:15. */
async function trade (partyID: string, side: 'buy' | 'sell', at: string, price: string, quantity: string): Promise<void> {
  const { client } = await HttpLmaClient.register(service.url, { partyID })
  const answer = await client.call('eiCreateTender', 'eiCreatedTender', {
    requestID: `${partyID}-1`, partyID, counterPartyID: 'lma',
    eiTender: [{ tenderID: `${partyID}-1`, product: { dtStart: `2026-06-20T${at}:00Z`, duration: 'PT15M', temixPower: { price, quantity }, uid: `${partyID}-1`, transactiveState: 'tender', marketContext: market.marketContext, side } }]
  })
  expect(answer.status).toBe(200)
}

describe('EMA over OpenADR 2.0b, end to end with mutual TLS', () => {
  it('pull: registration, event -> tenders -> trades -> update reports, modification, cancellation, re-registration and cancellation of the registration', async () => {
    const { ven, open } = await ema()
    await ven.register()
    expect(await ven.registerReports()).toMatchObject({ reportSpecifierID: `${ven.venID!}-trades` })
    // Both reports it offers are asked for; the VEN sends the trades report, the usage one is for VTNs that take no other.
    expect([...vtn.reportRequests.values()]).toMatchObject([{ venID: ven.venID, reportName: 'x-TE_CLEARED_TRADES', rIDs: ['energy', 'price'] }, { venID: ven.venID, reportName: 'TELEMETRY_USAGE', rIDs: ['usage'] }])
    expect(ven.reportsUsageOnly).toBe(false)

    vtn.publishPrices(UTILITY, prices(['0.12', '0.18', '0.31']), new Date('2026-06-20T10:00:00Z'))
    expect((await ven.poll()).handled).toMatchObject([{ optType: 'optIn', outcome: 'created', modificationNumber: 0 }])
    expect(open()).toHaveLength(6)

    // Two TEUAs trade with the EMA: one buys 2.0 at 12:00 (EMA sells at 0.125), one sells 1.0 at 12:15 (EMA buys at 0.170).
    await trade('house-1', 'buy', '12:00', '0.130', '2.0')
    await trade('pv-1', 'sell', '12:15', '0.160', '1.0')
    expect(await ven.reportTrades()).toBe(2)
    expect(await ven.reportTrades()).toBe(0)
    expect(vtn.reports).toHaveLength(1)
    // One payload per interval (as deployed VTNs read reports); the VTN reads energy and price per trade, paired by its id.
    expect(vtn.reports[0]!.report.intervals!.map((i) => i.payloads.length)).toEqual([1, 1, 1, 1])
    expect(tradesOf(vtn.reports[0]!.report)).toEqual([
      { transactionID: expect.stringMatching(/./), dtStart: '2026-06-20T12:00:00.000Z', duration: 'PT15M', energy: '-2.0', price: '0.125' },
      { transactionID: expect.stringMatching(/./), dtStart: '2026-06-20T12:15:00.000Z', duration: 'PT15M', energy: '1.0', price: '0.170' }
    ])
    const stored = await service.db.pool.query('SELECT ven_id, report_request_id FROM openadr_reports')
    expect(stored.rows).toEqual([{ ven_id: ven.venID, report_request_id: `${ven.venID!}-${ven.venID!}-trades` }])

    // Modified: what is left of the tenders is replaced at the new prices.
    vtn.publishPrices(UTILITY, prices(['0.10', '0.10', '0.10']), new Date('2026-06-20T10:05:00Z'))
    expect((await ven.poll()).handled).toMatchObject([{ outcome: 'replaced', modificationNumber: 1 }])
    expect(open().map((t) => t.slice(1, 3))).toEqual([['sell', '0.105'], ['buy', '0.090'], ['sell', '0.105'], ['buy', '0.090'], ['sell', '0.105'], ['buy', '0.090']])
    // Cancelled: the EMA's tenders are withdrawn; its trades stand.
    vtn.cancelPrices(UTILITY)
    expect((await ven.poll()).handled).toMatchObject([{ outcome: 'cancelled', modificationNumber: 2 }])
    expect(open()).toEqual([])
    expect(service.lma.tendersOf('ema-utility').filter((t) => t.filledTicks > 0).map((t) => [t.side, t.filledTicks])).toEqual([['sell', 20], ['buy', 10]])
    const optResponses = await service.db.pool.query('SELECT modification_number, opt_type FROM openadr_opt_responses ORDER BY id')
    expect(optResponses.rows).toEqual([0, 1, 2].map((m) => ({ modification_number: m, opt_type: 'optIn' })))

    // The VTN asks for a re-registration: the VEN keeps its ids and registers its report again.
    const { venID, registrationID } = ven
    vtn.requestReregistration(venID!)
    expect((await ven.poll()).type).toBe('oadrRequestReregistration')
    expect(ven).toMatchObject({ venID, registrationID, reportRequest: { reportSpecifierID: `${venID!}-trades` } })
    // The VTN cancels the registration: the VEN confirms and forgets its ids; the VTN marks the VEN canceled.
    vtn.cancelRegistration(venID!)
    expect((await ven.poll()).type).toBe('oadrCancelPartyRegistration')
    expect(ven.venID).toBeUndefined()
    expect(vtn.vens.size).toBe(0)
    const canceled = await service.db.pool.query('SELECT canceled_at IS NOT NULL AS canceled FROM openadr_vens WHERE ven_id = $1', [venID])
    expect(canceled.rows).toEqual([{ canceled: true }])
    // Registered anew, it cancels on its own.
    await ven.register()
    expect(ven.venID).not.toBe(venID)
    await ven.cancelRegistration()
    expect(vtn.vens.size).toBe(0)
  })

  it('push: the VTN POSTs the event and its modification to the VEN\'s own endpoints; the VEN answers and creates its tenders', async () => {
    const { ven, open } = await ema()
    const venApp = Fastify({ https: { key: certs.venServer.key, cert: certs.venServer.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: true } })
    await venApp.register(venRoutes, { ven })
    closers.push(() => venApp.close())
    const pushUrl = `${await venApp.listen({ port: 0, host: '127.0.0.1' })}/OpenADR2/Simple/2.0b`
    ven.pushUrl = pushUrl
    await ven.register()
    expect(vtn.vens.get(ven.venID!)).toMatchObject({ transportAddress: pushUrl })
    vtn.publishPrices(UTILITY, prices(['0.12', '0.18', '0.31']), new Date('2026-06-20T10:00:00Z'))
    expect(await vtn.pushPending()).toBe(0)
    expect(open()).toHaveLength(6)
    expect(vtn.optResponses.map((r) => [r.modificationNumber, r.optType])).toEqual([[0, 'optIn']])
    // Nothing is delivered twice: a poll finds nothing new.
    expect(await ven.poll()).toEqual({ type: 'oadrResponse', handled: [] })
    vtn.publishPrices(UTILITY, prices(['0.10', '0.10', '0.10']), new Date('2026-06-20T10:05:00Z'))
    await vtn.pushPending()
    expect(open().map((t) => t[2])).toEqual(['0.105', '0.090', '0.105', '0.090', '0.105', '0.090'])
    expect(vtn.optResponses.map((r) => r.modificationNumber)).toEqual([0, 1])
    // Pushed by another VTN, or not OpenADR at all: refused, nothing changes.
    const before = JSON.stringify(open())
    const client = { cert: certs.vtnClient.cert, key: certs.vtnClient.key, ca: ca.cert }
    const foreign = writeOadr(distributeEvent({ requestID: 'x', vtnID: 'OTHER-VTN', events: [] }))
    expect(writeOadr(readOadr((await postTls(`${pushUrl}/EiEvent`, foreign, client, 5000)).body).message)).toMatch(/<ei:responseCode>452<\/ei:responseCode>/)
    expect(await postTls(`${pushUrl}/EiEvent`, '<nope/>', client, 5000)).toMatchObject({ status: 400 })
    expect(JSON.stringify(open())).toBe(before)
  })

  it('a crash after the VTN took a report, before the VEN noted it: the restarted VEN sends the same report again, and the VTN counts it once', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'te-oadr-')), 'reported.json')
    let crash = true
    const crashing = new FileReportedStore(file)
    const store: ReportedStore = {
      has: (id) => crashing.has(id), pending: () => crashing.pending(), setPending: (r) => crashing.setPending(r),
      add: async (ids) => { if (crash) throw new Error('killed'); await crashing.add(ids) }
    }
    const { ven } = await ema(store)
    await ven.register()
    await ven.registerReports()
    vtn.publishPrices(UTILITY, prices(['0.12', '0.18', '0.31']), new Date('2026-06-20T10:00:00Z'))
    await ven.poll()
    await trade('house-1', 'buy', '12:00', '0.130', '2.0')
    await expect(ven.reportTrades()).rejects.toThrow('killed')
    expect(vtn.reports).toHaveLength(1)
    // Meanwhile another trade; then the VEN restarts with what its file holds.
    await trade('pv-1', 'sell', '12:15', '0.160', '1.0')
    crash = false
    const restarted = (await ema(new FileReportedStore(file))).ven
    Object.assign(restarted, { vtnID: ven.vtnID, venID: ven.venID, registrationID: ven.registrationID, reportRequest: ven.reportRequest })
    expect(await restarted.reportTrades()).toBe(2)
    expect(await restarted.reportTrades()).toBe(0)
    const energy = vtn.reports.map((r) => (tradesOf(r.report) as TradedInterval[]).map((t) => t.energy))
    expect(energy).toEqual([['-2.0'], ['1.0']])
    const stored = await service.db.pool.query('SELECT count(*)::int AS n FROM openadr_reports')
    expect(stored.rows).toEqual([{ n: 2 }])
  })
})
