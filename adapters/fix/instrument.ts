/**
 * How a local delivery interval is named at an external FIX venue, and how our exact decimals
 * become the venue's units and back.
 *
 * Naming. Symbol(55) has at most 8 characters: Parity's gateway takes no more. It is the interval's
 * UTC start as MMDDhhmm, so it is unique within a year for any interval length. SecurityID(48),
 * with SecurityIDSource(22) = 8 (exchange symbol), is the ISO 8601 interval `start/duration`.
 * That full name decides when both are given.
 *
 * Units. Each venue states its own units:
 *   - venue price = local price x 10^priceShift;
 *   - venue quantity = local quantity x 10^quantityShift;
 *   - priceScale and quantityScale are the venue's decimal places.
 * For example, a market in USD/kWh and kWh trading at a venue in USD/MWh and MWh with three
 * decimals has priceShift 3 and quantityShift -3. Shifts are powers of ten, so every conversion is
 * exact integer work.
 *
 * Nothing is silently rounded in the direction of a loss:
 *   - a limit price rounds against the EMA (a buy down, a sell up);
 *   - an order quantity rounds down to the venue's lot, never buying more than asked;
 *   - what comes back from the venue must be exact at the local scale, or it is refused.
 */
import { fromTicks, toTicks } from '../../schemas/decimal.js'
import { durationMs } from '../../market/lma/time.js'

export interface VenueUnits {
  priceShift: number
  priceScale: number
  quantityShift: number
  quantityScale: number
}

export interface FixInstrument {
  symbol: string
  securityID: string
  securityIDSource: '8'
}

const pad = (n: number) => String(n).padStart(2, '0')

/** The venue's name of a delivery interval. */
export function instrumentOf (dtStart: string, duration: string): FixInstrument {
  const start = new Date(dtStart)
  if (Number.isNaN(start.getTime())) throw new RangeError(`${dtStart} is not an instant`)
  durationMs(duration)
  const symbol = `${pad(start.getUTCMonth() + 1)}${pad(start.getUTCDate())}${pad(start.getUTCHours())}${pad(start.getUTCMinutes())}`
  return { symbol, securityID: `${start.toISOString()}/${duration}`, securityIDSource: '8' }
}

/** The delivery interval a venue's SecurityID names (start/duration); throws on anything else. */
export function intervalOf (securityID: string): { dtStart: string, duration: string } {
  const m = /^([^/]+)\/(P[^/]+)$/.exec(securityID)
  const start = m === null ? NaN : Date.parse(m[1]!)
  if (m === null || Number.isNaN(start)) throw new RangeError(`SecurityID ${securityID} is not an ISO 8601 interval start/duration`)
  durationMs(m[2]!)
  return { dtStart: new Date(start).toISOString(), duration: m[2]! }
}

/** Moves a decimal point: value x 10^shift, as ticks at `scale` (floor or ceiling when it does not fit). */
function shifted (value: string, shift: number, scale: number, round: 'down' | 'up' | 'exact'): bigint {
  // Read at enough digits for the value, then scale exactly.
  const digits = Math.max(0, (value.split('.')[1] ?? '').length)
  const raw = toTicks(value, digits)
  // value = raw x 10^-digits; at the target: raw x 10^(shift + scale - digits)
  const exponent = shift + scale - digits
  if (exponent >= 0) return raw * 10n ** BigInt(exponent)
  const divisor = 10n ** BigInt(-exponent)
  const q = raw / divisor
  const r = raw % divisor
  if (r === 0n) return q
  if (round === 'exact') throw new RangeError(`${value} is finer than ${scale} decimal places once scaled by 10^${shift}`)
  const floor = raw < 0n ? q - 1n : q
  return round === 'down' ? floor : floor + 1n
}

/** A limit price at the venue: a buy rounds down, a sell up (never a worse price than asked). */
export function toVenuePrice (local: string, side: 'buy' | 'sell', units: VenueUnits): string {
  return fromTicks(shifted(local, units.priceShift, units.priceScale, side === 'buy' ? 'down' : 'up'), units.priceScale)
}

/** An order quantity at the venue, rounded down to its lot; "0" when less than a lot. */
export function toVenueQuantity (local: string, units: VenueUnits): string {
  return fromTicks(shifted(local, units.quantityShift, units.quantityScale, 'down'), units.quantityScale)
}

/** A venue price (of a fill) at the local scale; refused if it does not fit exactly. */
export function fromVenuePrice (venue: string, localScale: number, units: VenueUnits): string {
  return fromTicks(shifted(venue, -units.priceShift, localScale, 'exact'), localScale)
}

/** A venue quantity (of a fill) at the local scale; refused if it does not fit exactly. */
export function fromVenueQuantity (venue: string, localScale: number, units: VenueUnits): string {
  return fromTicks(shifted(venue, -units.quantityShift, localScale, 'exact'), localScale)
}
