import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { apply, BookReplica, createMechanism, instrumentKey, type Command, type Instrument, type MechanismKind } from './index.js'

const I: Instrument = { marketContext: 'urn:m', dtStart: '2026-06-20T12:00:00.000Z', duration: 'PT1H' }
const J: Instrument = { ...I, dtStart: '2026-06-20T13:00:00.000Z' }

const command = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    id: fc.integer({ min: 0, max: 30 }), party: fc.constantFrom('a', 'b', 'c'), side: fc.constantFrom('buy' as const, 'sell' as const),
    price: fc.integer({ min: -5, max: 5 }), quantity: fc.integer({ min: 1, max: 9 }), tif: fc.constantFrom('GTC' as const, 'GTC' as const, 'IOC' as const, 'FOK' as const),
    book: fc.constantFrom(I, J)
  }).map(({ id, party, side, price, quantity, tif, book }): Command => ({ type: 'submit', order: { orderId: `o${id}`, partyId: party, instrument: book, side, price, quantity, timeInForce: tif } })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 30 }).map((id): Command => ({ type: 'cancel', orderId: `o${id}` })) },
  { weight: 2, arbitrary: fc.record({ id: fc.integer({ min: 0, max: 30 }), q: fc.integer({ min: 0, max: 9 }) }).map(({ id, q }): Command => ({ type: 'reduce', orderId: `o${id}`, quantity: q })) },
  { weight: 1, arbitrary: fc.constantFrom(I, J).map((instrument): Command => ({ type: 'close', instrument })) }
)

describe.each<MechanismKind>(['continuous', 'callAuction'])('book replica (%s)', (kind) => {
  it('rebuilt from the events alone, it reads as the mechanism does: orders, levels, seq, closed', () => {
    fc.assert(fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
      const m = createMechanism({ kind })
      const replica = new BookReplica()
      for (const c of commands) {
        const events = apply(m, c)
        replica.apply(events, c.type === 'submit' ? c.order.instrument : c.type === 'close' ? c.instrument : undefined)
      }
      for (const book of [I, J]) {
        expect(replica.snapshot(book)).toEqual(m.snapshot(book))
        expect(replica.snapshot(book, { depth: 1, orders: false })).toEqual(m.snapshot(book, { depth: 1, orders: false }))
      }
      for (let id = 0; id <= 30; id++) expect(replica.order(`o${id}`)).toEqual(m.order(`o${id}`))
      expect(replica.books().sort()).toEqual(m.books().sort())
    }), { numRuns: 300 })
  })

  it('refuses events out of sequence, and of a book it was never shown', () => {
    const m = createMechanism({ kind })
    const events = m.submit({ orderId: 'x', partyId: 'a', instrument: I, side: 'buy', price: 1, quantity: 1 })
    expect(() => new BookReplica().apply(events)).toThrow(/does not know/)
    const replica = new BookReplica()
    replica.apply(events, I)
    expect(() => replica.apply(events, I)).toThrow(/seq 1 after 1/)
    expect(instrumentKey(I)).toBe(events[0]!.book)
  })
})
