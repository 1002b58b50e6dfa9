import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createController, loadControllers, type Instruction } from './controllers.js'
import { fromTicks, toTicks } from '../../schemas/decimal.js'

const scales = { priceScale: 3, quantityScale: 1 }
const H = (v: string) => Array.from({ length: 24 }, () => v)
const T12 = '2026-06-20T12:00:00.000Z'
const q = (v: string) => toTicks(v, 1)
const onScale = (i: Instruction) => { expect(q(i.quantity) > 0n).toBe(true); expect(() => toTicks(i.price, 3)).not.toThrow() }

describe('supervisory controllers', () => {
  it('a load buys what it still needs, split over its willingness-to-pay curve', () => {
    const load = createController({ kind: 'load', partyID: 'l', profile: H('3.0'), willingnessToPay: [{ price: '0.300', quantity: '2.0' }, { price: '0.150', quantity: '5.0' }] }, scales)
    expect(load.plan({ dtStart: T12, round: 0 }, '0.0')).toEqual([{ side: 'buy', price: '0.300', quantity: '2.0' }, { side: 'buy', price: '0.150', quantity: '1.0' }])
    expect(load.plan({ dtStart: T12, round: 1 }, '2.5')).toEqual([{ side: 'buy', price: '0.300', quantity: '0.5' }])
    expect(load.plan({ dtStart: T12, round: 1 }, '3.0')).toEqual([])
  })

  it('PV sells its forecast less what it sold, lowering its ask each round to its floor', () => {
    const pv = createController({ kind: 'pv', partyID: 'p', forecast: H('4.0'), askPrice: '0.120', priceStep: '0.030', minimumPrice: '0.050' }, scales)
    expect(pv.plan({ dtStart: T12, round: 0 }, '0.0')).toEqual([{ side: 'sell', price: '0.120', quantity: '4.0' }])
    expect(pv.plan({ dtStart: T12, round: 3 }, '-1.5')).toEqual([{ side: 'sell', price: '0.050', quantity: '2.5' }])
  })

  it('a battery buys low and sells high within its rate and charge limits', () => {
    const b = createController({ kind: 'battery', partyID: 'b', capacity: '10.0', stateOfCharge: '5.0', minimumCharge: '1.0', maximumCharge: '9.0', maximumRate: '3.0', efficiency: '1', buyBelow: '0.080', sellAbove: '0.200' }, scales)
    expect(b.plan({ dtStart: T12, round: 0 }, '0.0')).toEqual([{ side: 'buy', price: '0.080', quantity: '3.0' }, { side: 'sell', price: '0.200', quantity: '3.0' }])
    b.deliver(T12, '3.0')
    expect(b.describe()).toBe('state of charge 8.0 kWh')
    expect(b.plan({ dtStart: T12, round: 0 }, '0.0')).toEqual([{ side: 'buy', price: '0.080', quantity: '1.0' }, { side: 'sell', price: '0.200', quantity: '3.0' }])
  })

  it('property: a battery never plans, nor ends, beyond its limits', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(100), fc.boolean(), fc.nat(100)), { maxLength: 30 }), fc.integer({ min: 500_000, max: 1_000_000 }), (steps, eff) => {
      const efficiency = fromTicks(eff, 6)
      const b = createController({ kind: 'battery', partyID: 'b', capacity: '10.0', stateOfCharge: '5.0', minimumCharge: '1.0', maximumCharge: '9.0', maximumRate: '3.0', efficiency, buyBelow: '0.080', sellAbove: '0.200' }, scales)
      for (const [pick, buy, share] of steps) {
        const plan = b.plan({ dtStart: T12, round: 0 }, '0.0')
        plan.forEach(onScale)
        const offer = plan.find((i) => i.side === (buy ? 'buy' : 'sell'))
        // Some of the offer fills, then the interval is delivered.
        const filled = offer === undefined ? 0n : (q(offer.quantity) * BigInt(share)) / 100n
        b.deliver(T12, fromTicks(buy ? filled : -filled, 1))
        const soc = q(b.describe().split(' ')[3]!)
        expect(soc >= 10n && soc <= 90n, `soc ${soc} after ${pick}`).toBe(true)
      }
    }))
  })

  it('property: a load never buys beyond its need, PV never sells beyond its forecast', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: -50, max: 250 }), (need, held) => {
      const load = createController({ kind: 'load', partyID: 'l', profile: H(fromTicks(need, 1)), willingnessToPay: [{ price: '0.3', quantity: '3.0' }, { price: '0.1', quantity: '30.0' }] }, scales)
      const plan = load.plan({ dtStart: T12, round: 0 }, fromTicks(held, 1))
      plan.forEach(onScale)
      expect(plan.reduce((n, i) => n + q(i.quantity), 0n) <= BigInt(Math.max(0, need - held))).toBe(true)
      const pv = createController({ kind: 'pv', partyID: 'p', forecast: H(fromTicks(need, 1)), askPrice: '0.1', priceStep: '0.01', minimumPrice: '0' }, scales)
      const sells = pv.plan({ dtStart: T12, round: 2 }, fromTicks(-Math.abs(held), 1))
      sells.forEach(onScale)
      expect(sells.reduce((n, i) => n + q(i.quantity), 0n) <= BigInt(need)).toBe(true)
    }))
  })

  it('config errors name their path', () => {
    expect(() => loadControllers({ controllers: [{ kind: 'load', partyID: 'l', profile: H('1'), willingnessToPay: [] }] }, scales)).toThrow(/controllers\[0\]\.willingnessToPay/)
    expect(() => loadControllers({ controllers: [{ kind: 'pv', partyID: 'p', forecast: ['1'], askPrice: '0.1', priceStep: '0', minimumPrice: '0' }] }, scales)).toThrow(/controllers\[0\]\.forecast/)
    expect(() => loadControllers({ controllers: [{ kind: 'battery', partyID: 'b', capacity: '1', stateOfCharge: '5', minimumCharge: '0', maximumCharge: '1', maximumRate: '1', efficiency: '1', buyBelow: '0', sellAbove: '1' }] }, scales)).toThrow(/controllers\[0\]: battery/)
  })
})
