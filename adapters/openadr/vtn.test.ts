/**
 * Our VEN against our VTN over real HTTP: registration; a price event becomes the EMA's tenders;
 * the event modified, then cancelled; the VEN's opt responses recorded at the VTN. And bad input
 * to the VTN: 400 with a reason for what is not OpenADR, 452 for an unknown VEN, nothing changed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HttpLmaClient } from '../rest/lma-client.js'
import type { LocalMarketAgent } from '../../market/lma/lma.js'
import { startTestLma, type TestLma } from '../../test/market-service.js'
import { PriceEma } from '../../market/ema/price-ema.js'
import { testMarket } from '../../test/market.js'
import { readOadr, validateOadr, writeOadr } from './envelope.js'
import { poll } from './events.js'
import { OadrVen } from './ven.js'
import { OadrVtn, publishMarketPrices, vtnRoutes } from './vtn.js'
import { PgVtnStore } from '../postgres/openadr-store.js'
import Fastify from 'fastify'

const market = testMarket({ granularity: 'PT15M', duration: 'PT15M' })
const UTILITY = 'http://utility.example/markets/rtp'
const prices = (values: string[]) => values.map((price, k) => ({ dtStart: new Date(Date.parse('2026-06-20T12:00:00Z') + k * 900_000).toISOString(), duration: 'PT15M', price }))

let service: TestLma
let lma: LocalMarketAgent
let url: string
let vtn: OadrVtn

beforeEach(async () => {
  vtn = new OadrVtn({ vtnID: 'UTILITY-VTN', pollFreq: 'PT1S' })
  service = await startTestLma(market, '2026-06-20T10:00:00Z', { extend: async (app) => { await app.register(vtnRoutes, { vtn }) } })
  ;({ lma, url } = service)
}, 60_000)
afterEach(async () => { await service.close() })

const post = async (service: string, body: string) => {
  const res = await fetch(`${url}/OpenADR2/Simple/2.0b/${service}`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body })
  return { status: res.status, body: await res.text() }
}

describe('our VEN against our VTN', () => {
  it('registration, a price event -> tenders, its modification and its cancellation; opt responses recorded', async () => {
    const { client } = await HttpLmaClient.register(url, { partyID: 'ema-utility', partyRole: 'ema' })
    const ema = new PriceEma({ partyID: 'ema-utility', lmaPartyID: 'lma', market, markup: '0.005', markdown: '0.01', importLimit: '100', exportLimit: '50' }, client)
    const ven = new OadrVen({ vtnUrl: `${url}/OpenADR2/Simple/2.0b`, venName: 'ema-ven', ema })
    await ven.register()
    expect(ven.vtnID).toBe('UTILITY-VTN')
    expect(vtn.vens.get(ven.venID!)).toMatchObject({ venName: 'ema-ven' })
    const open = () => lma.tendersOf('ema-utility').filter((t) => t.status === 'open').map((t) => [t.instrument.dtStart.slice(11, 16), t.side, t.price])

    vtn.publishPrices(UTILITY, prices(['0.12', '0.18', '0.31']), new Date('2026-06-20T10:00:00Z'))
    expect(await ven.requestEvents()).toMatchObject([{ optType: 'optIn', outcome: 'created', modificationNumber: 0 }])
    expect(open()).toEqual([['12:00', 'sell', '0.125'], ['12:00', 'buy', '0.110'], ['12:15', 'sell', '0.185'], ['12:15', 'buy', '0.170'], ['12:30', 'sell', '0.315'], ['12:30', 'buy', '0.300']])
    expect(await ven.poll()).toEqual({ type: 'oadrResponse', handled: [] })

    vtn.publishPrices(UTILITY, prices(['0.10', '0.10', '0.10']), new Date('2026-06-20T10:01:00Z'))
    expect((await ven.poll()).handled).toMatchObject([{ outcome: 'replaced', modificationNumber: 1 }])
    expect(open().map((t) => t[2])).toEqual(['0.105', '0.090', '0.105', '0.090', '0.105', '0.090'])

    vtn.cancelPrices(UTILITY)
    expect((await ven.poll()).handled).toMatchObject([{ outcome: 'cancelled', modificationNumber: 2 }])
    expect(open()).toEqual([])
    expect(vtn.optResponses.map((r) => [r.venID, r.modificationNumber, r.optType])).toEqual([[ven.venID, 0, 'optIn'], [ven.venID, 1, 'optIn'], [ven.venID, 2, 'optIn']])
  })

  it('answers what is not OpenADR with 400 and a reason, an unknown VEN with 452, and changes nothing', async () => {
    vtn.publishPrices(UTILITY, prices(['0.12']))
    const malformed = await post('OadrPoll', '<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07"><oops>')
    expect(malformed).toMatchObject({ status: 400, body: expect.stringMatching(/malformed XML at line 1/) })
    const doctype = await post('OadrPoll', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "a">]>' + writeOadr(poll('VEN-1')).replace(/^<\?xml[^>]*>/, ''))
    expect(doctype).toMatchObject({ status: 400, body: expect.stringMatching(/DOCTYPE/) })
    const invalid = await post('OadrPoll', writeOadr(poll('VEN-1')).replace(/<ei:venID>VEN-1<\/ei:venID>/, '<ei:vtnID>VEN-1</ei:vtnID>'))
    expect(invalid).toMatchObject({ status: 400, body: expect.stringMatching(/oadr_20b\.xsd/) })
    const unknown = await post('OadrPoll', writeOadr(poll('VEN-NOBODY')))
    expect(unknown.status).toBe(200)
    expect((await validateOadr(unknown.body)).errors).toEqual([])
    const { type, message } = readOadr(unknown.body)
    expect(type).toBe('oadrResponse')
    expect(writeOadr(message)).toMatch(/<ei:responseCode>452<\/ei:responseCode>/)
    expect(vtn.vens.size).toBe(0)
    expect(vtn.optResponses).toEqual([])
  })

  it('publishes the local market\'s last trade price of each interval as it forms', async () => {
    const stop = publishMarketPrices(vtn, lma, () => new Date('2026-06-20T10:00:00Z'))
    const a = await HttpLmaClient.register(url, { partyID: 'seller' })
    const b = await HttpLmaClient.register(url, { partyID: 'buyer' })
    const tender = (party: string, side: 'buy' | 'sell', price: string, id: string) => ({
      requestID: `r-${id}`, partyID: party, counterPartyID: 'lma',
      eiTender: [{ tenderID: id, product: { dtStart: '2026-06-20T12:15:00Z', duration: 'PT15M', temixPower: { price, quantity: '1.0' }, uid: id, transactiveState: 'tender', marketContext: market.marketContext, side } }]
    })
    await a.client.call('eiCreateTender', 'eiCreatedTender', tender('seller', 'sell', '0.140', 's1'))
    await b.client.call('eiCreateTender', 'eiCreatedTender', tender('buyer', 'buy', '0.150', 'b1'))
    const { client } = await HttpLmaClient.register(url, { partyID: 'ema-utility', partyRole: 'ema' })
    const ven = new OadrVen({ vtnUrl: `${url}/OpenADR2/Simple/2.0b`, venName: 'der-1', ema: new PriceEma({ partyID: 'ema-utility', lmaPartyID: 'lma', market, markup: '0', markdown: '0', importLimit: '0', exportLimit: '1' }, client) })
    await ven.register()
    const [handled] = await ven.requestEvents()
    expect(handled).toMatchObject({ eventID: `prices-${market.marketContext}`, optType: 'optIn' })
    expect(lma.tendersOf('ema-utility').map((t) => [t.instrument.dtStart.slice(11, 16), t.side, t.price])).toEqual([['12:15', 'buy', '0.140']])
    stop()
  })

  it('keeps its VENs, their opt responses and its events in the ledger database: a restarted VTN still knows them and numbers on', async () => {
    const store = new PgVtnStore(service.db)
    const first = new OadrVtn({ vtnID: 'UTILITY-VTN', store })
    first.publishPrices(UTILITY, prices(['0.12']))
    const vtnApp = Fastify()
    let current = first
    await vtnApp.register(vtnRoutes, { vtn: { handle: (...args: Parameters<OadrVtn['handle']>) => current.handle(...args) } as unknown as OadrVtn })
    const vtnUrl = `${await vtnApp.listen({ port: 0, host: '127.0.0.1' })}/OpenADR2/Simple/2.0b`
    const ven = new OadrVen({ vtnUrl, venName: 'der-1', ema: { onEvent: async () => 'created' } as unknown as PriceEma })
    await ven.register()
    await ven.requestEvents()
    await first.stored()
    const restarted = new OadrVtn({ vtnID: 'UTILITY-VTN', store })
    await restarted.load()
    current = restarted
    expect(restarted.vens.get(ven.venID!)).toMatchObject({ venName: 'der-1' })
    // The event is known again: the VEN gets it once more (and takes it as handled); the next modification is 1, not 0 again.
    expect((await ven.poll()).type).toBe('oadrDistributeEvent')
    expect(await ven.poll()).toEqual({ type: 'oadrResponse', handled: [] })
    expect(restarted.publishPrices(UTILITY, prices(['0.13']))?.modificationNumber).toBe(1)
    const rows = await service.db.pool.query('SELECT ven_id, event_id, modification_number, opt_type FROM openadr_opt_responses')
    // The VEN answered the event each time it got it.
    expect(rows.rows).toEqual([0, 0].map((m) => ({ ven_id: ven.venID, event_id: `prices-${UTILITY}`, modification_number: m, opt_type: 'optIn' })))
    await vtnApp.close()
  })
})
