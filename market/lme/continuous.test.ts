import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createMechanism, replay, apply, type Command, type MechanismEvent, type SelfTradePolicy, type TimeInForce } from './index.js'
import { ReferenceBook, type ModelEvent } from './reference-model.js'

const I = { marketContext: 'urn:mg1', dtStart: '2026-06-20T12:00:00.000Z', duration: 'PT1H' }
const J = { ...I, duration: 'PT15M' }

function order (orderId: string, partyId: string, side: 'buy' | 'sell', price: number, quantity: number, timeInForce: TimeInForce = 'GTC', instrument = I) {
  return { orderId, partyId, side, price, quantity, timeInForce, instrument }
}

const fills = (events: MechanismEvent[]) => events.filter((e) => e.type === 'fill').map((e) => e.type === 'fill' && [e.maker.orderId, e.taker.orderId, e.price, e.quantity])

describe('continuous double auction', () => {
  it('trades at the resting price, best price first, then oldest first', () => {
    const m = createMechanism({ kind: 'continuous' })
    m.submit(order('s1', 'a', 'sell', 110, 10))
    m.submit(order('s2', 'b', 'sell', 105, 10))
    m.submit(order('s3', 'c', 'sell', 105, 10))
    const events = m.submit(order('b1', 'd', 'buy', 120, 25))
    expect(fills(events)).toEqual([['s2', 'b1', 105, 10], ['s3', 'b1', 105, 10], ['s1', 'b1', 110, 5]])
    expect(m.snapshot(I)!.asks).toEqual([{ price: 110, quantity: 5, orders: 1 }])
    expect(m.snapshot(I)!.bids).toEqual([])
  })

  it('numbers every event in its book, and matches, per book', () => {
    const m = createMechanism({ kind: 'continuous' })
    const a = m.submit(order('s1', 'a', 'sell', 100, 5))
    const b = m.submit(order('b1', 'b', 'buy', 100, 5))
    expect([...a, ...b].map((e) => e.seq)).toEqual([1, 2, 3])
    expect(b[1]).toMatchObject({ type: 'fill', matchNumber: 1, maker: { orderId: 's1', remaining: 0 }, taker: { orderId: 'b1', side: 'buy', remaining: 0 } })
  })

  it('keeps intervals apart: the same start with another duration is another book', () => {
    const m = createMechanism({ kind: 'continuous' })
    m.submit(order('s1', 'a', 'sell', 100, 5))
    expect(fills(m.submit(order('b1', 'b', 'buy', 100, 5, 'GTC', J)))).toEqual([])
    expect(m.books()).toHaveLength(2)
  })

  it('negative prices trade like any other', () => {
    const m = createMechanism({ kind: 'continuous' })
    m.submit(order('s1', 'a', 'sell', -20, 5))
    expect(fills(m.submit(order('b1', 'b', 'buy', -10, 5)))).toEqual([['s1', 'b1', -20, 5]])
  })

  it('cancels, and reduces keeping queue priority', () => {
    const m = createMechanism({ kind: 'continuous' })
    m.submit(order('s1', 'a', 'sell', 100, 10))
    m.submit(order('s2', 'b', 'sell', 100, 10))
    expect(m.reduce('s1', 4)).toMatchObject([{ type: 'canceled', canceledQuantity: 6, remaining: 4, reason: 'requested' }])
    expect(fills(m.submit(order('b1', 'c', 'buy', 100, 6)))).toEqual([['s1', 'b1', 100, 4], ['s2', 'b1', 100, 2]])
    expect(m.cancel('s2')).toMatchObject([{ type: 'canceled', orderId: 's2', canceledQuantity: 8, remaining: 0 }])
    expect(m.cancel('s2')).toEqual([])
    expect(m.cancel('nope')).toEqual([])
    expect(m.snapshot(I)!.asks).toEqual([])
  })

  it('IOC never rests; FOK fills completely or not at all', () => {
    const m = createMechanism({ kind: 'continuous' })
    m.submit(order('s1', 'a', 'sell', 100, 10))
    expect(m.submit(order('b1', 'b', 'buy', 100, 15, 'IOC')).map((e) => e.type)).toEqual(['accepted', 'fill', 'canceled'])
    m.submit(order('s2', 'a', 'sell', 100, 10))
    const fok = m.submit(order('b2', 'b', 'buy', 100, 11, 'FOK'))
    expect(fok).toMatchObject([{ type: 'accepted' }, { type: 'canceled', reason: 'fok', canceledQuantity: 11 }])
    expect(m.snapshot(I)!.asks).toEqual([{ price: 100, quantity: 10, orders: 1 }])
    expect(fills(m.submit(order('b3', 'b', 'buy', 100, 10, 'FOK')))).toEqual([['s2', 'b3', 100, 10]])
  })

  it('self-trade prevention: cancel resting (default), cancel incoming, or allow', () => {
    const resting = createMechanism({ kind: 'continuous' })
    resting.submit(order('s1', 'a', 'sell', 100, 5))
    resting.submit(order('s2', 'b', 'sell', 100, 5))
    expect(resting.submit(order('b1', 'a', 'buy', 100, 5)).map((e) => e.type === 'fill' ? 'fill' : e.type === 'canceled' ? `canceled ${e.orderId} ${e.reason}` : e.type))
      .toEqual(['accepted', 'canceled s1 selfTrade', 'fill'])
    const incoming = createMechanism({ kind: 'continuous', selfTrade: 'cancelIncoming' })
    incoming.submit(order('s1', 'a', 'sell', 100, 5))
    expect(incoming.submit(order('b1', 'a', 'buy', 100, 5))).toMatchObject([{ type: 'accepted' }, { type: 'canceled', orderId: 'b1', reason: 'selfTrade' }])
    expect(incoming.order('s1')).toBeDefined()
    const allow = createMechanism({ kind: 'continuous', selfTrade: 'allow' })
    allow.submit(order('s1', 'a', 'sell', 100, 5))
    expect(fills(allow.submit(order('b1', 'a', 'buy', 100, 5)))).toEqual([['s1', 'b1', 100, 5]])
  })

  it('rejects bad input and orders after gate closure', () => {
    const m = createMechanism({ kind: 'continuous' })
    expect(m.submit(order('x', 'a', 'buy', 1.5, 1))).toMatchObject([{ type: 'rejected', reason: 'invalidPrice' }])
    expect(m.submit(order('x', 'a', 'buy', 1, 0))).toMatchObject([{ type: 'rejected', reason: 'invalidQuantity' }])
    m.submit(order('s1', 'a', 'sell', 100, 5))
    expect(m.submit(order('s1', 'a', 'sell', 100, 5))).toMatchObject([{ type: 'rejected', reason: 'duplicateOrderId' }])
    expect(m.closeInterval(I)).toMatchObject([{ type: 'canceled', orderId: 's1', reason: 'closed' }, { type: 'closed' }])
    expect(m.submit(order('b1', 'b', 'buy', 100, 5))).toMatchObject([{ type: 'rejected', reason: 'bookClosed' }])
    expect(m.closeInterval(I)).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// Properties against the naive reference model

type Op =
  | { op: 'submit', party: string, side: 'buy' | 'sell', price: number, quantity: number, tif: TimeInForce }
  | { op: 'cancel', pick: number }
  | { op: 'reduce', pick: number, fraction: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('submit' as const), party: fc.constantFrom('a', 'b', 'c'), side: fc.constantFrom('buy' as const, 'sell' as const), price: fc.integer({ min: -3, max: 6 }), quantity: fc.integer({ min: 1, max: 20 }), tif: fc.constantFrom<TimeInForce>('GTC', 'GTC', 'GTC', 'IOC', 'FOK') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reduce' as const), pick: fc.nat(), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) }
)

function toModel (events: MechanismEvent[]): ModelEvent[] {
  return events.map((e): ModelEvent => {
    switch (e.type) {
      case 'accepted': return { type: 'accepted', orderId: e.orderId }
      case 'fill': return { type: 'fill', makerId: e.maker.orderId, takerId: e.taker.orderId, price: e.price, quantity: e.quantity }
      case 'canceled': return { type: 'canceled', orderId: e.orderId, canceledQuantity: e.canceledQuantity, remaining: e.remaining, reason: e.reason }
      default: throw new Error(`unexpected ${e.type}`)
    }
  })
}

function run (ops: Op[], selfTrade: SelfTradePolicy) {
  const m = createMechanism({ kind: 'continuous', selfTrade })
  const ref = new ReferenceBook(selfTrade)
  const commands: Command[] = []
  const submitted = new Map<string, number>()
  const allEvents: MechanismEvent[] = []
  ops.forEach((op, i) => {
    const live = ref.ordered()
    let command: Command | undefined
    let expected: ModelEvent[] = []
    if (op.op === 'submit') {
      const id = `o${i}`
      submitted.set(id, op.quantity)
      command = { type: 'submit', order: order(id, op.party, op.side, op.price, op.quantity, op.tif) }
      expected = ref.submit(id, op.party, op.side, op.price, op.quantity, op.tif)
    } else if (live.length > 0) {
      const target = live[op.pick % live.length]!
      if (op.op === 'cancel') {
        command = { type: 'cancel', orderId: target.orderId }
        expected = ref.cancel(target.orderId)
      } else {
        const quantity = Math.floor(target.remaining * op.fraction)
        command = { type: 'reduce', orderId: target.orderId, quantity }
        expected = ref.reduce(target.orderId, quantity)
      }
    }
    if (command === undefined) return
    commands.push(command)
    const events = apply(m, command)
    allEvents.push(...events)
    expect(toModel(events)).toEqual(expected)
  })
  return { m, ref, commands, submitted, allEvents }
}

describe.each<SelfTradePolicy>(['cancelResting', 'cancelIncoming', 'allow'])('properties (self-trade: %s)', (selfTrade) => {
  it('agrees with the reference model event by event (price-time priority, resting price, partial fills, IOC, FOK, self-trade)', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
      const { m, ref } = run(ops, selfTrade)
      expect(m.snapshot(I)?.orders ?? []).toEqual(ref.ordered().map(({ orderId, partyId, side, price, remaining }) => ({ orderId, partyId, side, price, remaining })))
    }), { numRuns: 200 })
  })

  it('is never crossed at rest, and conserves quantity: filled + resting + canceled = submitted', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
      const { m, submitted, allEvents } = run(ops, selfTrade)
      const snap = m.snapshot(I)
      const bid = snap?.bids[0]?.price
      const ask = snap?.asks[0]?.price
      if (bid !== undefined && ask !== undefined) expect(bid).toBeLessThan(ask)
      const accounted = new Map<string, number>()
      const add = (id: string, q: number) => accounted.set(id, (accounted.get(id) ?? 0) + q)
      for (const e of allEvents) {
        if (e.type === 'fill') { add(e.maker.orderId, e.quantity); add(e.taker.orderId, e.quantity) }
        if (e.type === 'canceled') add(e.orderId, e.canceledQuantity)
      }
      for (const o of snap?.orders ?? []) add(o.orderId, o.remaining)
      for (const [id, quantity] of submitted) expect(accounted.get(id) ?? 0).toBe(quantity)
    }), { numRuns: 200 })
  })

  it('replay of the commands rebuilds the same book and the same events', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
      const { m, commands, allEvents } = run(ops, selfTrade)
      const fresh = createMechanism({ kind: 'continuous', selfTrade })
      expect(replay(fresh, commands)).toEqual(allEvents)
      expect(fresh.snapshot(I)).toEqual(m.snapshot(I))
    }), { numRuns: 100 })
  })
})
