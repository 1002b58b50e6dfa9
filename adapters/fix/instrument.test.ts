/**
 * Naming delivery intervals at a FIX venue and converting units exactly: Symbol within Parity's
 * 8 characters, SecurityID the ISO 8601 interval; prices and quantities shifted by powers of ten,
 * rounded only in the EMA's favour on the way out and refused when inexact on the way back.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromVenuePrice, fromVenueQuantity, instrumentOf, intervalOf, toVenuePrice, toVenueQuantity, type VenueUnits } from './instrument.js'

const mwh: VenueUnits = { priceShift: 3, priceScale: 2, quantityShift: -3, quantityScale: 3 }

describe('FIX instruments', () => {
  it('names an interval by its UTC start in 8 characters and by the ISO 8601 interval', () => {
    expect(instrumentOf('2026-06-20T14:15:00+02:00', 'PT15M')).toEqual({ symbol: '06201215', securityID: '2026-06-20T12:15:00.000Z/PT15M', securityIDSource: '8' })
    expect(intervalOf('2026-06-20T12:15:00.000Z/PT15M')).toEqual({ dtStart: '2026-06-20T12:15:00.000Z', duration: 'PT15M' })
    expect(() => intervalOf('06201215')).toThrow(/not an ISO 8601 interval/)
    expect(() => instrumentOf('tomorrow', 'PT1H')).toThrow(/not an instant/)
  })

  it('keeps every interval of a year apart, and reads back what it wrote', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 365 * 96 - 1 }), fc.integer({ min: 0, max: 365 * 96 - 1 }), (a, b) => {
      const at = (k: number) => new Date(Date.UTC(2026, 0, 1) + k * 900_000).toISOString()
      const [x, y] = [instrumentOf(at(a), 'PT15M'), instrumentOf(at(b), 'PT15M')]
      expect(x.symbol).toHaveLength(8)
      expect(x.symbol === y.symbol).toBe(a === b)
      expect(intervalOf(x.securityID).dtStart).toBe(at(a))
    }))
  })

  it('converts units exactly; rounds a limit price against the EMA and a quantity down to the lot', () => {
    expect(toVenuePrice('0.12345', 'buy', mwh)).toBe('123.45')
    expect(toVenuePrice('0.123456', 'buy', mwh)).toBe('123.45')
    expect(toVenuePrice('0.123456', 'sell', mwh)).toBe('123.46')
    expect(toVenueQuantity('2500.5', mwh)).toBe('2.500')
    expect(toVenueQuantity('0.4', mwh)).toBe('0.000')
    expect(fromVenuePrice('123.45', 5, mwh)).toBe('0.12345')
    expect(() => fromVenuePrice('123.45', 3, mwh)).toThrow(/finer than 3 decimal places/)
    expect(fromVenueQuantity('2.5', 1, mwh)).toBe('2500.0')
  })

  it('on a round trip through the venue\'s units, keeps whole lots and drops less than one lot, never more', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), (ticks) => {
      const local = `${ticks / 1000n}.${String(ticks % 1000n).padStart(3, '0')}`
      const back = BigInt(fromVenueQuantity(toVenueQuantity(local, mwh), 3, mwh).replace('.', ''))
      // A lot is 0.001 MWh = 1 kWh = 1000 local ticks.
      expect(back).toBe(ticks - ticks % 1000n)
    }))
  })
})
