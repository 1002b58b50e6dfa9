/**
 * A market's rules, and the check of a tendered product against them: the product becomes one
 * order per delivery interval, in ticks, or a refusal that names what is wrong.
 */
import type { MarketRules } from '../../schemas/extensions.js'
import type { Product, TemixPower } from '../../schemas/emix.js'
import { toTicks } from '../../schemas/decimal.js'
import type { Instrument, MechanismKind, SelfTradePolicy, Side } from '../lme/index.js'
import { MarketRefusal } from './responses.js'
import { durationMs, hasZone, utc } from './time.js'

export interface MarketDefinition extends MarketRules {
  /** Self-trade prevention of the continuous mechanism (default cancelResting). */
  selfTrade?: SelfTradePolicy
  /** An LME service (`te-gateway lme`) that runs this market's mechanism; unset: in the LMA's process. One LME per market. */
  lmeUrl?: string
  /** How far ahead of now a delivery interval may start (ISO 8601 duration); default: the LMA's limit. */
  deliveryHorizon?: string
}

/** One interval of a tendered product, ready for the engine. */
export interface IntervalOrder {
  instrument: Instrument
  /** Index of the interval in the product (0 for a single-interval product). */
  index: number
  /** strm:uid of the stream interval, if the product is a stream. */
  uid?: string
  side: Side
  price: string
  quantity: string
  priceTicks: number
  quantityTicks: number
}

export class Market {
  readonly granularityMs: number
  readonly durationMs: number
  readonly gateClosureMs: number

  constructor (readonly rules: MarketDefinition) {
    this.granularityMs = durationMs(rules.granularity)
    this.durationMs = durationMs(rules.duration)
    this.gateClosureMs = durationMs(rules.gateClosure)
    if (this.granularityMs <= 0 || this.durationMs <= 0) throw new RangeError(`market ${rules.marketContext}: granularity and duration must be > 0`)
    if (this.durationMs % this.granularityMs !== 0) throw new RangeError(`market ${rules.marketContext}: duration must be a multiple of granularity`)
    if (rules.deliveryHorizon !== undefined) durationMs(rules.deliveryHorizon)
  }

  get marketContext (): string { return this.rules.marketContext }
  get mechanism (): MechanismKind { return this.rules.mechanism }

  /** Whether an interval starting at `dtStart` still takes orders at `now`. */
  isOpen (dtStart: string, now: Date): boolean {
    return now.getTime() < new Date(dtStart).getTime() - this.gateClosureMs
  }

  /** The instant its gate closes. */
  gateClosure (dtStart: string): Date {
    return new Date(new Date(dtStart).getTime() - this.gateClosureMs)
  }

  /**
   * Splits a tender's product into one order per interval, checking it against the market's
   * rules: state, currency, unit, grid, duration, gate closure, expiry, price and quantity scale.
   */
  intervalOrders (product: Product, now: Date, path: string): IntervalOrder[] {
    const refuse = (field: string, why: string): never => { throw new MarketRefusal('rejected', `${path}.${field}: ${why}`) }
    if (product.transactiveState !== 'tender') refuse('transactiveState', `a tender has transactiveState "tender", not "${product.transactiveState}"`)
    if (product.currency !== undefined && product.currency !== this.rules.currency) refuse('currency', `this market trades in ${this.rules.currency}`)
    if (product.dtStart === undefined) refuse('dtStart', 'a tender needs the start of its delivery interval')
    const dtStart = product.dtStart!
    if (!hasZone(dtStart)) refuse('dtStart', `"${dtStart}" must be an instant with a time zone (Z or an offset)`)
    const duration = product.duration ?? refuse('duration', 'a tender needs the duration of its delivery interval')
    let ms: number
    try { ms = durationMs(duration) } catch (error) { return refuse('duration', (error as Error).message) }
    if (ms !== this.durationMs) refuse('duration', `products of this market last ${this.rules.duration}`)
    const start = new Date(dtStart).getTime()
    if (start % this.granularityMs !== 0) refuse('dtStart', `${dtStart} is not on the market's ${this.rules.granularity} grid (UTC)`)
    if (product.expirationDate !== undefined && new Date(product.expirationDate).getTime() <= now.getTime()) refuse('expirationDate', 'has passed')
    this.checkUnit(product.temixPower, refuse, 'temixPower')

    const intervals = product.intervals ?? []
    const parts = intervals.length === 0
      ? [{ index: 0, uid: undefined, power: product.temixPower, field: 'temixPower' }]
      : intervals.map((interval, index) => ({ index, uid: interval.uid, power: { ...product.temixPower, ...definedOf(interval.temixPower) }, field: `intervals[${index}].temixPower` }))
    if (new Set(intervals.map((i) => i.uid)).size !== intervals.length) refuse('intervals', 'stream interval uids must be unique')

    return parts.map(({ index, uid, power, field }) => {
      this.checkUnit(power, refuse, field)
      const intervalStart = utc(new Date(start + index * this.durationMs))
      if (!this.isOpen(intervalStart, now)) {
        refuse(field, `the interval starting ${intervalStart} closed for trading at ${this.gateClosure(intervalStart).toISOString()}`)
      }
      if (power.price === undefined) refuse(`${field}.price`, 'a tender needs a price')
      if (power.quantity === undefined) refuse(`${field}.quantity`, 'a tender needs a quantity')
      const priceTicks = ticks(power.price!, this.rules.priceScale, (why) => refuse(`${field}.price`, why))
      const quantityTicks = ticks(power.quantity!, this.rules.quantityScale, (why) => refuse(`${field}.quantity`, why))
      const order: IntervalOrder = {
        instrument: { marketContext: this.marketContext, dtStart: intervalStart, duration: this.rules.duration },
        index, side: product.side, price: power.price!, quantity: power.quantity!, priceTicks, quantityTicks
      }
      if (uid !== undefined) order.uid = uid
      return order
    })
  }

  private checkUnit (power: TemixPower, refuse: (field: string, why: string) => never, field: string): void {
    if (power.powerReal !== undefined || power.powerApparent !== undefined || power.powerReactive !== undefined ||
      power.energyApparent !== undefined || power.energyReactive !== undefined) {
      refuse(field, 'this market trades real energy (energyReal)')
    }
    if (power.energyReal !== undefined && power.energyReal.siScaleCode !== this.rules.energyReal.siScaleCode) {
      refuse(`${field}.energyReal.siScaleCode`, `quantities are in ${this.rules.energyReal.siScaleCode === 'none' ? '' : this.rules.energyReal.siScaleCode}Wh`)
    }
  }
}

function definedOf<T extends object> (value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

function ticks (value: string, scale: number, refuse: (why: string) => never): number {
  let t: bigint
  try { t = toTicks(value, scale) } catch (error) { return refuse((error as Error).message) }
  if (t > BigInt(Number.MAX_SAFE_INTEGER) || t < BigInt(Number.MIN_SAFE_INTEGER)) refuse(`${value} is out of range`)
  return Number(t)
}
