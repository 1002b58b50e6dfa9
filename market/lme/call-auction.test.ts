import { isDeepStrictEqual } from 'node:util'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createMechanism, replay, type Command, type MechanismEvent } from './index.js'
import { clearingPrice } from './call-auction.js'
import { referenceClearing } from './reference-model.js'

const I = { marketContext: 'urn:mg1', dtStart: '2026-06-20T12:00:00.000Z', duration: 'PT1H' }
const o = (orderId: string, side: 'buy' | 'sell', price: number, quantity: number, partyId = orderId) => ({ orderId, partyId, side, price, quantity, instrument: I })
const fills = (events: MechanismEvent[]) => events.flatMap((e) => e.type === 'fill' ? [[e.maker.orderId, e.taker.orderId, e.price, e.quantity]] : [])

function auction (...orders: ReturnType<typeof o>[]) {
  const m = createMechanism({ kind: 'callAuction' })
  for (const order of orders) expect(m.submit(order)[0]!.type).toBe('accepted')
  return m.closeInterval(I)
}

describe('uniform-price call auction', () => {
  it('clears at the price of most volume; equal volume and balance on a range: its midpoint, rounded down', () => {
    // Demand 20 and supply 20 at both 102 and 103: midpoint 102.5 -> 102.
    const events = auction(o('b1', 'buy', 105, 10), o('b2', 'buy', 103, 10), o('b3', 'buy', 100, 10),
      o('s1', 'sell', 99, 10), o('s2', 'sell', 102, 10), o('s3', 'sell', 104, 10))
    expect(events.at(-1)).toMatchObject({ type: 'closed', clearingPrice: 102, volume: 20 })
    expect(fills(events)).toEqual([['b1', 's1', 102, 10], ['b2', 's2', 102, 10]])
    expect(events.filter((e) => e.type === 'canceled').map((e) => e.type === 'canceled' && e.orderId)).toEqual(['b3', 's3'])
  })

  it('with excess demand takes the highest such price and rations the marginal level by time', () => {
    const events = auction(o('b1', 'buy', 105, 6), o('b2', 'buy', 104, 6), o('b3', 'buy', 104, 6), o('s1', 'sell', 100, 10))
    expect(events.at(-1)).toMatchObject({ clearingPrice: 104, volume: 10 })
    expect(fills(events)).toEqual([['b1', 's1', 104, 6], ['b2', 's1', 104, 4]])
    expect(events).toContainEqual(expect.objectContaining({ type: 'canceled', orderId: 'b2', canceledQuantity: 2, reason: 'closed' }))
    expect(events).toContainEqual(expect.objectContaining({ type: 'canceled', orderId: 'b3', canceledQuantity: 6, reason: 'closed' }))
  })

  it('with excess supply takes the lowest such price', () => {
    const events = auction(o('s1', 'sell', 95, 6), o('s2', 'sell', 96, 6), o('s3', 'sell', 96, 6), o('b1', 'buy', 100, 10))
    expect(events.at(-1)).toMatchObject({ clearingPrice: 96, volume: 10 })
    expect(fills(events)).toEqual([['s1', 'b1', 96, 6], ['s2', 'b1', 96, 4]])
  })

  it('textbook case: the price of most volume, excess demand rationed at the margin, fills paired in priority order', () => {
    // Demand at 99/100/101/102: 100/100/50/20; supply: 40/70/110/110; volume: 40/70/50/20 -> 100 clears 70.
    const events = auction(o('b1', 'buy', 102, 20), o('b2', 'buy', 101, 30), o('b3', 'buy', 100, 50),
      o('s1', 'sell', 99, 40), o('s2', 'sell', 100, 30), o('s3', 'sell', 101, 40))
    expect(events.at(-1)).toMatchObject({ type: 'closed', clearingPrice: 100, volume: 70 })
    expect(fills(events)).toEqual([['b1', 's1', 100, 20], ['b2', 's1', 100, 20], ['b2', 's2', 100, 10], ['b3', 's2', 100, 20]])
    expect(events.filter((e) => e.type === 'canceled').map((e) => e.type === 'canceled' && [e.orderId, e.canceledQuantity])).toEqual([['b3', 30], ['s3', 40]])
  })

  it('rations the marginal level by time of arrival, not by size', () => {
    // Supply 10 at 50; buys at 50 of 8 (first), 20, 4: the first is filled, the second gets the rest, the third nothing.
    const events = auction(o('s1', 'sell', 50, 10), o('b1', 'buy', 50, 8), o('b2', 'buy', 50, 20), o('b3', 'buy', 50, 4))
    expect(fills(events)).toEqual([['s1', 'b1', 50, 8], ['s1', 'b2', 50, 2]])
  })

  it('rounds the midpoint down, also below zero, and exactly at the ends of the safe integers', () => {
    // Balanced at every price from -5 to -2: midpoint -3.5 -> -4.
    expect(clearingPrice([{ side: 'buy', price: -2, remaining: 5 }, { side: 'sell', price: -5, remaining: 5 }])).toEqual({ price: -4, volume: 5 })
    const max = Number.MAX_SAFE_INTEGER
    expect(clearingPrice([{ side: 'buy', price: max - 1, remaining: 5 }, { side: 'sell', price: max - 3, remaining: 5 }])).toEqual({ price: max - 2, volume: 5 })
    expect(clearingPrice([{ side: 'buy', price: max, remaining: 5 }, { side: 'sell', price: -max, remaining: 5 }])).toEqual({ price: 0, volume: 5 })
  })

  it('property: the clearing price follows the stated rule (naive reference) and no integer price executes more', () => {
    const orderArb = fc.record({ side: fc.constantFrom('buy' as const, 'sell' as const), price: fc.integer({ min: -6, max: 6 }), remaining: fc.integer({ min: 1, max: 12 }) })
    fc.assert(fc.property(fc.array(orderArb, { maxLength: 40, size: 'max' }), (orders) => {
      const clearing = clearingPrice(orders)
      expect(clearing).toEqual(referenceClearing(orders))
      if (clearing === undefined) return
      for (let p = -7; p <= 7; p++) {
        const demand = orders.filter((x) => x.side === 'buy' && x.price >= p).reduce((n, x) => n + x.remaining, 0)
        const supply = orders.filter((x) => x.side === 'sell' && x.price <= p).reduce((n, x) => n + x.remaining, 0)
        expect(Math.min(demand, supply)).toBeLessThanOrEqual(clearing.volume)
        if (p === clearing.price) expect(Math.min(demand, supply)).toBe(clearing.volume)
      }
    }), { numRuns: 500 })
  })

  it('property: the long side fills in priority order (better price, then arrival); each side fills the volume', () => {
    const orderArb = fc.record({ side: fc.constantFrom('buy' as const, 'sell' as const), price: fc.integer({ min: -4, max: 4 }), quantity: fc.integer({ min: 1, max: 9 }) })
    fc.assert(fc.property(fc.array(orderArb, { maxLength: 40, size: 'max' }), (orders) => {
      const events = auction(...orders.map((x, i) => o(`o${i}`, x.side, x.price, x.quantity)))
      const closed = events.at(-1)!
      if (closed.type !== 'closed' || closed.clearingPrice === undefined) {
        expect(fills(events)).toEqual([])
        return
      }
      const filled = new Map<string, number>()
      for (const e of events) if (e.type === 'fill') for (const s of [e.maker, e.taker]) filled.set(s.orderId, (filled.get(s.orderId) ?? 0) + e.quantity)
      for (const side of ['buy', 'sell'] as const) {
        const ranked = orders.map((x, i) => ({ ...x, id: `o${i}`, arrival: i })).filter((x) => x.side === side)
          .sort((a, b) => (side === 'buy' ? b.price - a.price : a.price - b.price) || a.arrival - b.arrival)
        expect(ranked.reduce((n, x) => n + (filled.get(x.id) ?? 0), 0)).toBe(closed.volume)
        // A prefix fills completely, at most one order in part, and nothing after it.
        let state: 'full' | 'after' = 'full'
        for (const x of ranked) {
          const f = filled.get(x.id) ?? 0
          if (state === 'full' && f === x.quantity) continue
          if (state === 'after') expect(f).toBe(0)
          state = 'after'
        }
      }
    }), { numRuns: 300 })
  })

  it('rejects a side that would pass the safe integers, and bad sides', () => {
    const m = createMechanism({ kind: 'callAuction' })
    m.submit(o('b1', 'buy', 1, Number.MAX_SAFE_INTEGER - 1))
    expect(m.submit(o('b2', 'buy', 1, 2))).toMatchObject([{ type: 'rejected', reason: 'invalidQuantity' }])
    expect(m.submit(o('s1', 'sell', 1, 2))).toMatchObject([{ type: 'accepted' }])
    expect(m.submit({ ...o('x', 'buy', 1, 1), side: 'ask' as 'sell' })).toMatchObject([{ type: 'rejected', reason: 'unsupported' }])
    m.reduce('b1', 1)
    expect(m.submit(o('b2', 'buy', 1, 2))).toMatchObject([{ type: 'accepted' }])
  })

  it('prefers the smaller imbalance among prices of equal volume', () => {
    expect(clearingPrice([{ side: 'buy', price: 105, remaining: 10 }, { side: 'buy', price: 104, remaining: 5 }, { side: 'sell', price: 100, remaining: 8 }]))
      .toEqual({ price: 105, volume: 8 })
  })

  it('clears nothing when nothing crosses, and cancels all', () => {
    const events = auction(o('b1', 'buy', 90, 10), o('s1', 'sell', 100, 10))
    expect(events.at(-1)).toEqual({ type: 'closed', book: expect.any(String), seq: 5, volume: 0 })
    expect(fills(events)).toEqual([])
  })

  it('takes cancels and reductions before the close; refuses IOC/FOK and late orders', () => {
    const m = createMechanism({ kind: 'callAuction' })
    m.submit(o('b1', 'buy', 100, 10))
    expect(m.reduce('b1', 4)).toMatchObject([{ type: 'canceled', canceledQuantity: 6, remaining: 4 }])
    expect(m.submit({ ...o('b2', 'buy', 100, 10), timeInForce: 'FOK' })).toMatchObject([{ type: 'rejected', reason: 'unsupported' }])
    m.submit(o('s1', 'sell', 100, 10))
    expect(m.snapshot(I)).toMatchObject({ bids: [{ price: 100, quantity: 4, orders: 1 }], asks: [{ price: 100, quantity: 10, orders: 1 }] })
    expect(fills(m.closeInterval(I))).toEqual([['b1', 's1', 100, 4]])
    expect(m.submit(o('b3', 'buy', 100, 1))).toMatchObject([{ type: 'rejected', reason: 'bookClosed' }])
  })

  it('property: conserves quantity, never trades beyond a limit, and replays to the same events', () => {
    const orderArb = fc.record({ side: fc.constantFrom('buy' as const, 'sell' as const), price: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(-0)), quantity: fc.integer({ min: 1, max: 9 }) })
    fc.assert(fc.property(fc.array(orderArb, { maxLength: 40, size: 'max' }), (orders) => {
      const commands: Command[] = orders.map((x, i) => ({ type: 'submit', order: o(`o${i}`, x.side, x.price, x.quantity) }))
      commands.push({ type: 'close', instrument: I })
      const events = replay(createMechanism({ kind: 'callAuction' }), commands)
      expect(isDeepStrictEqual(JSON.parse(JSON.stringify(events)), events)).toBe(true)
      expect(events.filter((e) => e.type !== 'accepted')).not.toHaveLength(0)
      expect(replay(createMechanism({ kind: 'callAuction' }), commands)).toEqual(events)
      const closed = events.at(-1)!
      const done = new Map<string, number>()
      for (const e of events) {
        if (e.type === 'fill') {
          for (const side of [e.maker, e.taker]) {
            done.set(side.orderId, (done.get(side.orderId) ?? 0) + e.quantity)
            const limit = orders[Number(side.orderId.slice(1))]!
            expect(side.side === 'buy' ? e.price <= limit.price : e.price >= limit.price).toBe(true)
          }
          expect(e.price).toBe(closed.type === 'closed' ? closed.clearingPrice : NaN)
        }
        if (e.type === 'canceled') done.set(e.orderId, (done.get(e.orderId) ?? 0) + e.canceledQuantity)
      }
      orders.forEach((x, i) => expect(done.get(`o${i}`)).toBe(x.quantity))
    }), { numRuns: 300 })
  })
})
