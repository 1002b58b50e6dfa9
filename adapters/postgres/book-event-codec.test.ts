import { isDeepStrictEqual } from 'node:util'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { apply, createMechanism, instrumentKey, type Command, type Instrument, type MechanismKind } from '../../market/lme/index.js'
import { compactBookEvent, expandBookEvent } from './book-event-codec.js'

const I: Instrument = { marketContext: 'urn:m', dtStart: '2026-06-20T12:00:00.000Z', duration: 'PT1H' }
const command = fc.oneof(
  { weight: 6, arbitrary: fc.record({ id: fc.integer({ min: 0, max: 20 }), party: fc.constantFrom('a', 'b'), side: fc.constantFrom('buy' as const, 'sell' as const),
    price: fc.integer({ min: -3, max: 3 }), quantity: fc.integer({ min: 1, max: 5 }), tif: fc.constantFrom(undefined, 'GTC' as const, 'IOC' as const, 'FOK' as const) })
    .map(({ id, party, side, price, quantity, tif }): Command => ({ type: 'submit', order: { orderId: `o${id}`, partyId: party, instrument: I, side, price, quantity, ...(tif !== undefined && { timeInForce: tif }) } })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 20 }).map((id): Command => ({ type: 'cancel', orderId: `o${id}` })) },
  { weight: 1, arbitrary: fc.record({ id: fc.integer({ min: 0, max: 20 }), q: fc.integer({ min: 0, max: 5 }) }).map(({ id, q }): Command => ({ type: 'reduce', orderId: `o${id}`, quantity: q })) },
  { weight: 1, arbitrary: fc.constant<Command>({ type: 'close', instrument: I }) }
)

describe.each<MechanismKind>(['continuous', 'callAuction'])('book events as stored (%s)', (kind) => {
  it('expand(compact(x)) is x, through JSON, for any command stream', () => {
    fc.assert(fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
      const m = createMechanism({ kind })
      const book = instrumentKey(I)
      for (const c of commands) {
        const events = apply(m, c)
        const stored = JSON.parse(JSON.stringify(compactBookEvent(book, c, events)))
        const back = expandBookEvent(book, I, stored)
        if (!isDeepStrictEqual(back, { command: c, events })) expect(back).toEqual({ command: c, events })
      }
    }), { numRuns: 200 })
  })
})

describe('book events as stored', () => {
  it('drops the book, the instrument and what an accepted event repeats of its order', () => {
    const book = instrumentKey(I)
    const c: Command = { type: 'submit', order: { orderId: 'x', partyId: 'a', instrument: I, side: 'buy', price: 5, quantity: 2 } }
    const events = apply(createMechanism({ kind: 'continuous' }), c)
    expect(compactBookEvent(book, c, events)).toEqual({ command: { type: 'submit', order: { orderId: 'x', partyId: 'a', side: 'buy', price: 5, quantity: 2 } }, events: [{ type: 'accepted', seq: 1 }] })
  })

  it('reads rows written in full (before the compact form)', () => {
    const book = instrumentKey(I)
    const c: Command = { type: 'submit', order: { orderId: 'x', partyId: 'a', instrument: I, side: 'sell', price: -1, quantity: 3, timeInForce: 'GTC' } }
    const events = apply(createMechanism({ kind: 'continuous' }), c)
    expect(expandBookEvent(book, I, JSON.parse(JSON.stringify({ command: c, events })))).toEqual({ command: c, events })
  })
})
