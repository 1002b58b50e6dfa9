/**
 * The venue EMA: its policy (net need from the local book, pure), and against a real LMA over
 * HTTP with a scripted external venue, how it keeps its venue orders in line with the need (new,
 * quantity-reducing replace, cancel) and trades fills back locally, each execution once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HttpLmaClient } from '../../adapters/rest/lma-client.js'
import { startTestLma, type TestLma } from '../../test/market-service.js'
import { testMarket } from '../../test/market.js'
import { netNeed, VenueEma, type Venue, type VenueEmaConfig } from './venue-ema.js'

const market = testMarket({ granularity: 'PT15M', duration: 'PT15M' })
const config: VenueEmaConfig = { partyID: 'ema-fix', lmaPartyID: 'lma', market, markup: '0.010', importLimit: '50', exportLimit: '20' }
const none = { bids: [], asks: [] }

describe('venue EMA policy: net need from the local book', () => {
  it('buys outside what local bids lack, below the lowest bid it covers less markup; sells outside what local offers lack', () => {
    const book = {
      bids: [{ price: '0.300', quantity: '10.0' }, { price: '0.250', quantity: '30.0' }, { price: '0.200', quantity: '40.0' }],
      asks: [{ price: '0.400', quantity: '5.0' }, { price: '0.450', quantity: '25.0' }]
    }
    // Import: 10 + 30 + 10 of the 0.200 bid (capped at 50), at 0.200 - 0.010. Export: 5 + 15 (capped at 20), at 0.450 + 0.010.
    expect(netNeed(book, none, config)).toEqual({ buy: { quantity: '50.0', limit: '0.190' }, sell: { quantity: '20.0', limit: '0.460' } })
  })

  it('leaves out its own tenders, and what crosses locally', () => {
    const book = { bids: [{ price: '0.300', quantity: '10.0' }], asks: [{ price: '0.290', quantity: '4.0' }, { price: '0.350', quantity: '6.0' }] }
    const own = { bids: [], asks: [{ price: '0.350', quantity: '6.0' }] }
    // The 0.290 offer meets the 0.300 bid locally: no need for the bid outside, none for that offer either.
    expect(netNeed(book, own, config)).toEqual({})
    expect(netNeed({ bids: [{ price: '0.005', quantity: '1.0' }], asks: [] }, none, config)).toEqual({})
  })
})

describe('venue EMA against the LMA', () => {
  let service: TestLma
  let ema: VenueEma
  const sent: string[] = []
  const venue: Venue = {
    newOrder: async (o) => { sent.push(`new ${o.clOrdID} ${o.side} ${o.quantity}@${o.limit}`) },
    cancel: async (o) => { sent.push(`cancel ${o.origClOrdID}`) },
    replace: async (o) => { sent.push(`replace ${o.origClOrdID}->${o.clOrdID} qty ${o.quantity}`) }
  }

  beforeEach(async () => {
    sent.length = 0
    service = await startTestLma(market, '2026-06-20T10:00:00Z')
    const { client } = await HttpLmaClient.register(service.url, { partyID: 'ema-fix', partyRole: 'ema' })
    ema = new VenueEma(config, venue, client, 'x')
  }, 60_000)
  afterEach(async () => { await service.close() })

  it('orders the need, reduces by replace, cancels what is not needed; trades a fill back locally once, whatever is resent', async () => {
    const at = '2026-06-20T12:00:00.000Z'
    await ema.rebalance(at, 'PT15M', { buy: { quantity: '30.0', limit: '0.190' } })
    expect(sent).toEqual(['new x-1 buy 30.0@0.190'])
    await ema.onExecution({ execID: 'e1', clOrdID: 'x-1', execType: '0', cumQty: '0.0', leavesQty: '30.0' })
    // Less is needed: a quantity-reducing replace; then the venue confirms it under the new ClOrdID.
    await ema.rebalance(at, 'PT15M', { buy: { quantity: '20.0', limit: '0.190' } })
    expect(sent.at(-1)).toBe('replace x-1->x-2 qty 20.0')
    await ema.onExecution({ execID: 'e2', clOrdID: 'x-2', origClOrdID: 'x-1', execType: '5', cumQty: '0.0', leavesQty: '20.0' })
    expect(ema.orders.get('x-2')).toMatchObject({ quantity: '20.0', state: 'working' })

    // A local bid waits for the import; the venue fills 8.0 at 0.180; the EMA resells at 0.190.
    const { client: house } = await HttpLmaClient.register(service.url, { partyID: 'house-1' })
    await house.call('eiCreateTender', 'eiCreatedTender', {
      requestID: 'h1', partyID: 'house-1', counterPartyID: 'lma',
      eiTender: [{ tenderID: 'h1', product: { dtStart: at, duration: 'PT15M', temixPower: { price: '0.200', quantity: '8.0' }, uid: 'h1', transactiveState: 'tender', marketContext: market.marketContext, side: 'buy' } }]
    })
    const fill = { execID: 'e3', clOrdID: 'x-2', execType: 'F', lastQty: '8.0', lastPx: '0.180', cumQty: '8.0', leavesQty: '12.0' }
    expect(await ema.onExecution(fill)).toBe(true)
    expect(await ema.onExecution(fill)).toBe(false)
    expect(service.lma.tendersOf('ema-fix').map((t) => [t.tenderID, t.side, t.price, t.status])).toEqual([['ema-fix-exec-x-2-e3', 'sell', '0.190', 'filled']])
    expect(service.lma.tendersOf('house-1').map((t) => t.status)).toEqual(['filled'])

    // No need left: the order is canceled.
    await ema.rebalance(at, 'PT15M', {})
    expect(sent.at(-1)).toBe('cancel x-2')
    await ema.onExecution({ execID: 'e4', clOrdID: 'x-3', origClOrdID: 'x-2', execType: '4', cumQty: '8.0', leavesQty: '0.0' })
    expect(ema.orders.get('x-2')).toMatchObject({ state: 'done', cumQty: '8.0' })
    await ema.rebalance(at, 'PT15M', {})
    expect(sent).toHaveLength(3)
  })

  it('cancels an order whose limit the need no longer allows, and orders anew', async () => {
    const at = '2026-06-20T12:15:00.000Z'
    await ema.rebalance(at, 'PT15M', { sell: { quantity: '5.0', limit: '0.400' } })
    await ema.onExecution({ execID: 'a', clOrdID: 'x-1', execType: '0', cumQty: '0.0', leavesQty: '5.0' })
    await ema.rebalance(at, 'PT15M', { sell: { quantity: '5.0', limit: '0.450' } })
    expect(sent).toEqual(['new x-1 sell 5.0@0.400', 'cancel x-1', 'new x-3 sell 5.0@0.450'])
  })
})
