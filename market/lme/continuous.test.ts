import { isDeepStrictEqual } from 'node:util'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createMechanism, instrumentKey, replay, apply, type Command, type Instrument, type MechanismEvent, type SelfTradePolicy, type TimeInForce } from './index.js'
import { OrderBook, OrderStore } from './order-book.js'
import { ReferenceBook, type ModelEvent } from './reference-model.js'

const I = { marketContext: 'urn:mg1', dtStart: '2026-06-20T12:00:00.000Z', duration: 'PT1H' }
const J = { ...I, duration: 'PT15M' }
const MAX = Number.MAX_SAFE_INTEGER

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

  it.each(['continuous', 'callAuction'] as const)('%s: a snapshot view gives the top of book without the orders', (kind) => {
    const m = createMechanism({ kind })
    m.submit(order('b1', 'a', 'buy', 90, 1))
    m.submit(order('b2', 'b', 'buy', 95, 2))
    m.submit(order('s1', 'c', 'sell', 120, 3))
    m.submit(order('s2', 'd', 'sell', 110, 4))
    const full = m.snapshot(I)!
    const top = m.snapshot(I, { depth: 1, orders: false })!
    expect(top).toEqual({ ...full, bids: [{ price: 95, quantity: 2, orders: 1 }], asks: [{ price: 110, quantity: 4, orders: 1 }], orders: [] })
    expect(full.bids).toHaveLength(2)
    expect(full.orders).toHaveLength(4)
  })

  it('numbers every event in its book, and matches, per book', () => {
    const m = createMechanism({ kind: 'continuous' })
    const a = m.submit(order('s1', 'a', 'sell', 100, 5))
    const b = m.submit(order('b1', 'b', 'buy', 100, 5))
    expect([...a, ...b].map((e) => e.seq)).toEqual([1, 2, 3])
    expect(b[1]).toMatchObject({ type: 'fill', matchNumber: 1, maker: { orderId: 's1', side: 'sell', remaining: 0 }, taker: { orderId: 'b1', side: 'buy', remaining: 0 } })
    expect(m.submit(order('s2', 'a', 'sell', 100, 5, 'GTC', J))[0]).toMatchObject({ seq: 1 })
  })

  it('keeps intervals apart: the same start with another duration is another book', () => {
    const m = createMechanism({ kind: 'continuous' })
    m.submit(order('s1', 'a', 'sell', 100, 5))
    expect(fills(m.submit(order('b1', 'b', 'buy', 100, 5, 'GTC', J)))).toEqual([])
    expect(m.books()).toEqual([`${I.marketContext}|${I.dtStart}|PT1H`, `${I.marketContext}|${I.dtStart}|PT15M`])
    expect(m.order('s1')).toEqual({ book: m.books()[0], orderId: 's1', partyId: 'a', side: 'sell', price: 100, remaining: 5 })
    expect(m.order('b1')).toMatchObject({ book: m.books()[1], remaining: 5 })
  })

  it('negative prices trade like any other', () => {
    const m = createMechanism({ kind: 'continuous' })
    m.submit(order('s1', 'a', 'sell', -20, 5))
    m.submit(order('s2', 'a', 'sell', 0, 5))
    expect(fills(m.submit(order('b1', 'b', 'buy', -10, 5)))).toEqual([['s1', 'b1', -20, 5]])
    m.submit(order('b2', 'b', 'buy', -30, 5))
    m.submit(order('b3', 'b', 'buy', -1, 5))
    expect(m.snapshot(I)).toMatchObject({ bids: [{ price: -1 }, { price: -30 }], asks: [{ price: 0 }] })
  })

  it('prices at the ends of the safe integers are exact', () => {
    const m = createMechanism({ kind: 'continuous' })
    m.submit(order('s1', 'a', 'sell', MAX, 1))
    m.submit(order('s2', 'a', 'sell', MAX - 1, 1))
    m.submit(order('b1', 'b', 'buy', -MAX, 1))
    m.submit(order('b2', 'b', 'buy', -MAX + 1, 1))
    expect(m.snapshot(I)).toMatchObject({ bids: [{ price: -MAX + 1 }, { price: -MAX }], asks: [{ price: MAX - 1 }, { price: MAX }] })
    expect(fills(m.submit(order('b3', 'c', 'buy', MAX, 2)))).toEqual([['s2', 'b3', MAX - 1, 1], ['s1', 'b3', MAX, 1]])
    expect(fills(m.submit(order('s3', 'c', 'sell', -MAX, 2)))).toEqual([['b2', 's3', -MAX + 1, 1], ['b1', 's3', -MAX, 1]])
  })

  it('cancels, and reduces keeping queue priority', () => {
    const m = createMechanism({ kind: 'continuous' })
    m.submit(order('s1', 'a', 'sell', 100, 10))
    m.submit(order('s2', 'b', 'sell', 100, 10))
    expect(m.reduce('s1', 4)).toMatchObject([{ type: 'canceled', canceledQuantity: 6, remaining: 4, reason: 'requested' }])
    expect(m.reduce('s1', 4)).toEqual([])
    expect(m.reduce('s1', 1.5)).toEqual([])
    expect(fills(m.submit(order('b1', 'c', 'buy', 100, 6)))).toEqual([['s1', 'b1', 100, 4], ['s2', 'b1', 100, 2]])
    expect(m.cancel('s2')).toMatchObject([{ type: 'canceled', orderId: 's2', canceledQuantity: 8, remaining: 0 }])
    expect(m.cancel('s2')).toEqual([])
    expect(m.cancel('nope')).toEqual([])
    expect(m.snapshot(I)!.asks).toEqual([])
    // A finished order's id can be used again.
    expect(m.submit(order('s2', 'b', 'sell', 100, 1))[0]).toMatchObject({ type: 'accepted' })
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
    expect(m.submit(order('b4', 'b', 'buy', 100, 10, 'IOC'))).toMatchObject([{ type: 'accepted' }, { type: 'canceled', reason: 'ioc', canceledQuantity: 10 }])
  })

  it('self-trade prevention: cancel resting (default), cancel incoming, or allow', () => {
    const resting = createMechanism({ kind: 'continuous' })
    resting.submit(order('s1', 'a', 'sell', 100, 5))
    resting.submit(order('s2', 'b', 'sell', 100, 5))
    expect(resting.submit(order('b1', 'a', 'buy', 100, 5)).map((e) => e.type === 'fill' ? 'fill' : e.type === 'canceled' ? `canceled ${e.orderId} ${e.reason}` : e.type))
      .toEqual(['accepted', 'canceled s1 selfTrade', 'fill'])
    const incoming = createMechanism({ kind: 'continuous', selfTrade: 'cancelIncoming' })
    incoming.submit(order('s1', 'b', 'sell', 99, 2))
    incoming.submit(order('s2', 'a', 'sell', 100, 5))
    expect(incoming.submit(order('b1', 'a', 'buy', 100, 5))).toMatchObject([{ type: 'accepted' }, { type: 'fill', quantity: 2 }, { type: 'canceled', orderId: 'b1', canceledQuantity: 3, reason: 'selfTrade' }])
    expect(incoming.order('s2')).toBeDefined()
    const allow = createMechanism({ kind: 'continuous', selfTrade: 'allow' })
    allow.submit(order('s1', 'a', 'sell', 100, 5))
    expect(fills(allow.submit(order('b1', 'a', 'buy', 100, 5)))).toEqual([['s1', 'b1', 100, 5]])
  })

  it('FOK counts what self-trade prevention leaves', () => {
    const m = createMechanism({ kind: 'continuous' }) // cancelResting
    m.submit(order('s1', 'a', 'sell', 100, 5))
    m.submit(order('s2', 'b', 'sell', 100, 5))
    // Only 5 can fill (s1 is a's own): the FOK is killed, and s1 survives (nothing happens before the kill).
    expect(m.submit(order('b1', 'a', 'buy', 100, 6, 'FOK'))).toMatchObject([{ type: 'accepted' }, { type: 'canceled', orderId: 'b1', reason: 'fok' }])
    expect(m.order('s1')).toBeDefined()
  })

  it('rejects bad input, oversized sides, and orders after gate closure', () => {
    const m = createMechanism({ kind: 'continuous' })
    expect(m.submit(order('x', 'a', 'buy', 1.5, 1))).toMatchObject([{ type: 'rejected', reason: 'invalidPrice' }])
    expect(m.submit(order('x', 'a', 'buy', MAX + 1, 1))).toMatchObject([{ type: 'rejected', reason: 'invalidPrice' }])
    expect(m.submit(order('x', 'a', 'buy', Number.NaN, 1))).toMatchObject([{ type: 'rejected', reason: 'invalidPrice' }])
    expect(m.submit(order('x', 'a', 'buy', 1, 0))).toMatchObject([{ type: 'rejected', reason: 'invalidQuantity' }])
    expect(m.submit(order('x', 'a', 'buy', 1, -3))).toMatchObject([{ type: 'rejected', reason: 'invalidQuantity' }])
    expect(m.submit(order('x', 'a', 'buy', 1, Infinity))).toMatchObject([{ type: 'rejected', reason: 'invalidQuantity' }])
    expect(m.submit({ ...order('x', 'a', 'buy', 1, 1), side: 'bid' as 'buy' })).toMatchObject([{ type: 'rejected', reason: 'unsupported' }])
    expect(m.submit({ ...order('x', 'a', 'buy', 1, 1), timeInForce: 'GTD' as TimeInForce })).toMatchObject([{ type: 'rejected', reason: 'unsupported' }])
    m.submit(order('big', 'a', 'buy', 1, MAX - 1))
    expect(m.submit(order('x', 'a', 'buy', 2, 2))).toMatchObject([{ type: 'rejected', reason: 'invalidQuantity' }])
    expect(m.submit(order('x', 'a', 'buy', 2, 1))).toMatchObject([{ type: 'accepted' }])
    expect(m.snapshot(I)!.bids).toEqual([{ price: 2, quantity: 1, orders: 1 }, { price: 1, quantity: MAX - 1, orders: 1 }])
    m.submit(order('s1', 'a', 'sell', 100, 5))
    expect(m.submit(order('s1', 'a', 'sell', 100, 5))).toMatchObject([{ type: 'rejected', reason: 'duplicateOrderId' }])
    expect(m.submit(order('s1', 'a', 'sell', 100, 5, 'GTC', J))).toMatchObject([{ type: 'rejected', reason: 'duplicateOrderId' }])
    expect(m.closeInterval(I)).toMatchObject([
      { type: 'canceled', orderId: 'x', reason: 'closed' }, { type: 'canceled', orderId: 'big', reason: 'closed' },
      { type: 'canceled', orderId: 's1', reason: 'closed' }, { type: 'closed' }])
    expect(m.submit(order('b1', 'b', 'buy', 100, 5))).toMatchObject([{ type: 'rejected', reason: 'bookClosed' }])
    expect(m.closeInterval(I)).toEqual([])
    expect(m.snapshot(I)).toMatchObject({ closed: true, bids: [], asks: [], orders: [] })
  })

  it('an OrderBook whose store starts tiny grows without losing anything', () => {
    const events: string[] = []
    const store = new OrderStore(1, 1)
    const books = [0, 1].map(() => new OrderBook({
      fill: (maker, _mp, _mr, taker, _tp, _tr, _ts, price, quantity) => events.push(`${maker}>${taker}@${price}x${quantity}`),
      cancel: () => {}
    }, 'allow', store))
    for (let i = 0; i < 300; i++) books[i % 2]!.enter(`s${i}`, 'p', 'sell', 1000 + (i % 97), 1 + (i % 5))
    expect(store.size).toBe(300)
    expect(books[0]!.levels('sell')).toHaveLength(97)
    books[0]!.enter('b', 'q', 'buy', 2000, 10_000)
    expect(books[0]!.size).toBe(1) // everything of book 0 traded; the rest rests as a bid
    expect(books[1]!.size).toBe(150)
    expect(events).toHaveLength(150)
    expect(events[0]).toBe('s0>b@1000x1')
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
const opsArb = fc.array(opArb, { maxLength: 120, size: 'max' })

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

/** Runs ops on the engine and the reference model side by side, checking every command's events. */
function run (ops: Op[], selfTrade: SelfTradePolicy) {
  const m = createMechanism({ kind: 'continuous', selfTrade })
  const ref = new ReferenceBook(selfTrade)
  const commands: Command[] = []
  const submitted = new Map<string, { quantity: number, price: number, tif: TimeInForce }>()
  const perCommand: MechanismEvent[][] = []
  ops.forEach((op, i) => {
    const live = ref.ordered()
    let command: Command | undefined
    let expected: ModelEvent[] = []
    if (op.op === 'submit') {
      const id = `o${i}`
      submitted.set(id, { quantity: op.quantity, price: op.price, tif: op.tif })
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
    perCommand.push(events)
    expect(toModel(events)).toEqual(expected)
  })
  return { m, ref, commands, submitted, perCommand, allEvents: perCommand.flat() }
}

describe.each<SelfTradePolicy>(['cancelResting', 'cancelIncoming', 'allow'])('properties (self-trade: %s)', (selfTrade) => {
  it('agrees with the reference model event by event (price-time priority, resting price, partial fills, IOC, FOK, self-trade)', () => {
    fc.assert(fc.property(opsArb, (ops) => {
      const { m, ref } = run(ops, selfTrade)
      expect(m.snapshot(I)?.orders ?? []).toEqual(ref.ordered().map(({ orderId, partyId, side, price, remaining }) => ({ orderId, partyId, side, price, remaining })))
    }), { numRuns: 150 })
  })

  it('is never crossed at rest, levels sum their orders, and quantity is conserved: filled + resting + canceled = submitted', () => {
    fc.assert(fc.property(opsArb, (ops) => {
      const { m, submitted, allEvents } = run(ops, selfTrade)
      const snap = m.snapshot(I)
      const bid = snap?.bids[0]?.price
      const ask = snap?.asks[0]?.price
      if (bid !== undefined && ask !== undefined) expect(bid).toBeLessThan(ask)
      for (const [side, levels] of [['buy', snap?.bids ?? []], ['sell', snap?.asks ?? []]] as const) {
        for (const l of levels) {
          const at = (snap?.orders ?? []).filter((o) => o.side === side && o.price === l.price)
          expect(l).toEqual({ price: l.price, quantity: at.reduce((n, o) => n + o.remaining, 0), orders: at.length })
        }
      }
      const accounted = new Map<string, number>()
      const add = (id: string, q: number) => accounted.set(id, (accounted.get(id) ?? 0) + q)
      for (const e of allEvents) {
        if (e.type === 'fill') { add(e.maker.orderId, e.quantity); add(e.taker.orderId, e.quantity) }
        if (e.type === 'canceled') add(e.orderId, e.canceledQuantity)
      }
      for (const o of snap?.orders ?? []) add(o.orderId, o.remaining)
      for (const [id, { quantity }] of submitted) expect(accounted.get(id) ?? 0).toBe(quantity)
    }), { numRuns: 150 })
  })

  it('trades at the maker\'s price, never beyond the taker\'s limit; IOC and FOK never rest; FOK fills all or nothing', () => {
    fc.assert(fc.property(opsArb, (ops) => {
      const { m, submitted, commands, perCommand } = run(ops, selfTrade)
      commands.forEach((c, i) => {
        const events = perCommand[i]!
        for (const e of events) {
          if (e.type !== 'fill') continue
          expect(e.price).toBe(submitted.get(e.maker.orderId)!.price)
          const limit = submitted.get(e.taker.orderId)!.price
          expect(e.taker.side === 'buy' ? e.price <= limit : e.price >= limit).toBe(true)
        }
        if (c.type !== 'submit' || c.order.timeInForce !== 'FOK') return
        const filled = events.reduce((n, e) => n + (e.type === 'fill' ? e.quantity : 0), 0)
        expect(filled === 0 || filled === c.order.quantity).toBe(true)
        if (filled === 0) expect(events.at(-1)).toMatchObject({ type: 'canceled', orderId: c.order.orderId, canceledQuantity: c.order.quantity })
      })
      for (const o of m.snapshot(I)?.orders ?? []) expect(submitted.get(o.orderId)!.tif).toBe('GTC')
    }), { numRuns: 150 })
  })

  it('replay of the commands rebuilds the same book and the same events', () => {
    fc.assert(fc.property(opsArb, (ops) => {
      const { m, commands, allEvents } = run(ops, selfTrade)
      const fresh = createMechanism({ kind: 'continuous', selfTrade })
      expect(replay(fresh, commands)).toEqual(allEvents)
      expect(fresh.snapshot(I)).toEqual(m.snapshot(I))
    }), { numRuns: 60 })
  })
})

describe('properties over several books', () => {
  const instruments: Instrument[] = [I, J, { ...I, dtStart: '2026-06-20T13:00:00.000Z' }]
  const commandArb: fc.Arbitrary<Command> = fc.oneof(
    { weight: 12, arbitrary: fc.record({ id: fc.nat(40), party: fc.constantFrom('a', 'b'), b: fc.nat(2), side: fc.constantFrom('buy' as const, 'sell' as const), price: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(-0)), quantity: fc.integer({ min: 1, max: 9 }), tif: fc.constantFrom<TimeInForce>('GTC', 'GTC', 'IOC', 'FOK') })
      .map((x): Command => ({ type: 'submit', order: order(`o${x.id}`, x.party, x.side, x.price, x.quantity, x.tif, instruments[x.b]!) })) },
    { weight: 4, arbitrary: fc.nat(40).map((id): Command => ({ type: 'cancel', orderId: `o${id}` })) },
    { weight: 2, arbitrary: fc.record({ id: fc.nat(40), quantity: fc.integer({ min: -1, max: 9 }) }).map((x): Command => ({ type: 'reduce', orderId: `o${x.id}`, quantity: x.quantity })) },
    { weight: 1, arbitrary: fc.nat(2).map((b): Command => ({ type: 'close', instrument: instruments[b]! })) }
  )

  it('each book numbers its events 1, 2, 3, ... and its matches likewise; events survive JSON as they are; replay equals live', () => {
    fc.assert(fc.property(fc.array(commandArb, { maxLength: 150, size: 'max' }), (commands) => {
      const m = createMechanism({ kind: 'continuous' })
      const events = replay(m, commands)
      // The ledger stores events as JSON and compares replayed ones with isDeepStrictEqual (so no -0, no undefined fields).
      expect(isDeepStrictEqual(JSON.parse(JSON.stringify(events)), events)).toBe(true)
      const seq = new Map<string, number>()
      const match = new Map<string, number>()
      for (const e of events) {
        expect(e.seq).toBe((seq.get(e.book) ?? 0) + 1)
        seq.set(e.book, e.seq)
        if (e.type === 'fill') {
          expect(e.matchNumber).toBe((match.get(e.book) ?? 0) + 1)
          match.set(e.book, e.matchNumber)
        }
      }
      for (const i of instruments) expect(m.snapshot(i)?.seq ?? 0).toBe(seq.get(instrumentKey(i)) ?? 0)
      const fresh = createMechanism({ kind: 'continuous' })
      expect(replay(fresh, commands)).toEqual(events)
      for (const i of instruments) expect(fresh.snapshot(i)).toEqual(m.snapshot(i))
      expect(fresh.books()).toEqual(m.books())
    }), { numRuns: 150 })
  })
})
