/**
 * The price-driven EMA: utility prices become tenders on the market's grid (pure), and against a
 * real LMA over HTTP an event is handled once per modification, replaced when modified, withdrawn
 * when cancelled, and a restarted EMA repeating itself changes nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HttpLmaClient } from '../../adapters/rest/lma-client.js'
import type { LocalMarketAgent } from '../lma/lma.js'
import { startTestLma, type TestLma } from '../../test/market-service.js'
import { testMarket } from '../../test/market.js'
import { plannedTenders, PriceEma, type PriceEmaConfig, type PriceEvent } from './price-ema.js'

const market = testMarket({ granularity: 'PT15M', duration: 'PT15M' })
const config = (over: Partial<PriceEmaConfig> = {}): PriceEmaConfig => ({
  partyID: 'ema-utility', lmaPartyID: 'lma', market, markup: '0.005', markdown: '0.01', importLimit: '100', exportLimit: '50', ...over
})
/** The recorded session's event: four 15-minute prices from 01:42:24, off the market's quarter-hour grid. */
const sessionEvent = (modificationNumber = 0, prices = ['0.12', '0.18', '0.31', '0.22'], status = 'far'): PriceEvent => ({
  eventID: 'cf581f2f', modificationNumber, status,
  prices: prices.map((price, k) => ({ dtStart: new Date(Date.parse('2026-06-20T11:42:24Z') + k * 900_000).toISOString(), duration: 'PT15M', price }))
})

describe('price EMA: utility prices -> tenders', () => {
  it('prices each market interval the event covers whole: sells at the highest price + markup, buys at the lowest - markdown', () => {
    const t = plannedTenders(sessionEvent(), config())
    // 11:45, 12:00 and 12:15 lie inside 11:42:24-12:42:24; 12:30-12:45 does not.
    expect(t.map((x) => [x.dtStart.slice(11, 16), x.side, x.price, x.quantity])).toEqual([
      ['11:45', 'sell', '0.185', '100'], ['11:45', 'buy', '0.110', '50'],
      ['12:00', 'sell', '0.315', '100'], ['12:00', 'buy', '0.170', '50'],
      ['12:15', 'sell', '0.315', '100'], ['12:15', 'buy', '0.210', '50']
    ])
  })

  it('rounds away from a loss, exactly: up for sells, down for buys', () => {
    const event: PriceEvent = { eventID: 'e', modificationNumber: 0, status: 'active', prices: [{ dtStart: '2026-06-20T12:00:00Z', duration: 'PT15M', price: '0.12341' }] }
    const [sell, buy] = plannedTenders(event, config({ markup: '0', markdown: '0' }))
    expect([sell!.price, buy!.price]).toEqual(['0.124', '0.123'])
    expect(plannedTenders(event, config({ markup: '0', markdown: '0.2' }))[1]!.price).toBe('-0.077')
    expect(plannedTenders(event, config({ importLimit: '0', exportLimit: '0' }))).toEqual([])
  })
})

let service: TestLma
let lma: LocalMarketAgent
let client: HttpLmaClient

beforeEach(async () => {
  service = await startTestLma(market, '2026-06-20T10:00:00Z')
  lma = service.lma
  client = (await HttpLmaClient.register(service.url, { partyID: 'ema-utility', partyRole: 'ema' })).client
}, 60_000)
afterEach(async () => { await service.close() })

const open = () => lma.tendersOf('ema-utility').filter((t) => t.status === 'open').map((t) => [t.instrument.dtStart.slice(11, 16), t.side, t.price])

describe('price EMA against the LMA', () => {
  it('handles each modification once, replaces a modified event, withdraws a cancelled one', async () => {
    const ema = new PriceEma(config(), client)
    expect(await ema.onEvent(sessionEvent(0))).toBe('created')
    expect(open()).toHaveLength(6)
    expect(await ema.onEvent(sessionEvent(0))).toBe('already handled')
    expect(lma.tendersOf('ema-utility')).toHaveLength(6)
    expect(await ema.onEvent(sessionEvent(1, ['0.10', '0.10', '0.10', '0.10']))).toBe('replaced')
    expect(open()).toEqual([['11:45', 'sell', '0.105'], ['11:45', 'buy', '0.090'], ['12:00', 'sell', '0.105'], ['12:00', 'buy', '0.090'], ['12:15', 'sell', '0.105'], ['12:15', 'buy', '0.090']])
    expect(await ema.onEvent(sessionEvent(0))).toBe('stale')
    expect(await ema.onEvent(sessionEvent(2, ['0.10', '0.10', '0.10', '0.10'], 'cancelled'))).toBe('cancelled')
    expect(open()).toEqual([])
  })

  it('tells its log of every tender it places, replaces and withdraws', async () => {
    const logged: Array<[string, Record<string, unknown> | undefined]> = []
    const ema = new PriceEma({ ...config(), log: (message, detail) => logged.push([message, detail]) }, client)
    await ema.onEvent(sessionEvent(0))
    await ema.onEvent(sessionEvent(1, ['0.10', '0.10', '0.10', '0.10']))
    await ema.onEvent(sessionEvent(2, undefined, 'cancelled'))
    expect(logged.map(([m, d]) => [m, d?.modificationNumber, ((d?.tenders ?? d?.tenderIDs) as unknown[]).length])).toEqual([
      ['tenders placed', 0, 6], ['tenders withdrawn', 0, 6], ['tenders placed, replacing', 1, 6], ['tenders withdrawn', 1, 6]
    ])
    expect(logged[2]![1]!.tenders).toContainEqual(expect.objectContaining({ side: 'sell', price: '0.105', dtStart: expect.stringMatching(/T11:45/) }))
  })

  it('a restarted EMA that sees the same event again changes nothing; a cancellation it does not remember still withdraws the tenders', async () => {
    expect(await new PriceEma(config(), client).onEvent(sessionEvent(0))).toBe('created')
    expect(await new PriceEma(config(), client).onEvent(sessionEvent(0))).toBe('created')
    expect(lma.tendersOf('ema-utility')).toHaveLength(6)
    expect(await new PriceEma(config(), client).onEvent(sessionEvent(1, undefined, 'cancelled'))).toBe('cancelled')
    expect(open()).toEqual([])
  })
})
