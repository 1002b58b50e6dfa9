/**
 * Supervisory controllers: what each participant buys or sells, and at what price. Pure logic:
 * the TEUA (or a simulation) asks a controller for its plan for one delivery interval, given what
 * the market shows and what is already bought or sold for that interval (its net position, buy +).
 * All arithmetic is in integer ticks of the market's scales; inputs and outputs are decimal strings.
 */
import { z } from 'zod'
import { fromTicks, toTicks } from '../../schemas/decimal.js'
import { Decimal } from '../../schemas/simple-types.js'

export interface Scales { priceScale: number, quantityScale: number }

export interface MarketView {
  dtStart: string
  bestBid?: string
  bestAsk?: string
  lastPrice?: string
  /** 0 for the first planning round of an interval, 1 for the next, ... */
  round: number
}

export interface Instruction {
  side: 'buy' | 'sell'
  price: string
  quantity: string
}

export interface SupervisoryController {
  readonly partyID: string
  readonly kind: 'load' | 'pv' | 'battery'
  /** What to tender for the interval, given the net position already held for it. */
  plan: (view: MarketView, position: string) => Instruction[]
  /** The interval was delivered with this net position (a battery's state of charge moves). */
  deliver: (dtStart: string, position: string) => void
  /** One line about its state, for the demo's summary. */
  describe: () => string
}

const Hourly = z.array(Decimal).length(24)
const Step = z.strictObject({ price: Decimal, quantity: Decimal })

export const ControllerConfig = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('load'), partyID: z.string().min(1),
    /** kWh needed in each hour of the day (UTC), 24 values. */
    profile: Hourly,
    /** Willingness to pay: buy the first `quantity` at up to `price`, the next step's at up to its price, ... */
    willingnessToPay: z.array(Step).min(1)
  }),
  z.strictObject({
    kind: z.literal('pv'), partyID: z.string().min(1),
    /** kWh forecast for each hour of the day (UTC). */
    forecast: Hourly,
    /** The first round's ask, lowered by `priceStep` each round down to `minimumPrice`. */
    askPrice: Decimal, priceStep: Decimal, minimumPrice: Decimal
  }),
  z.strictObject({
    kind: z.literal('battery'), partyID: z.string().min(1),
    capacity: Decimal, stateOfCharge: Decimal, minimumCharge: Decimal, maximumCharge: Decimal,
    /** Most energy in or out per interval. */
    maximumRate: Decimal,
    /** Share of bought energy that reaches the cells (e.g. "0.90"). */
    efficiency: Decimal,
    /** Charge at or below this price; discharge at or above that one. */
    buyBelow: Decimal, sellAbove: Decimal
  })
])
export type ControllerConfig = z.infer<typeof ControllerConfig>

export const MicrogridConfig = z.strictObject({ controllers: z.array(ControllerConfig).min(1) })

const hourOf = (dtStart: string) => new Date(dtStart).getUTCHours()
const min = (...xs: bigint[]) => xs.reduce((a, b) => (b < a ? b : a))
const max = (...xs: bigint[]) => xs.reduce((a, b) => (b > a ? b : a))

/** Parses and builds controllers; errors name their path (controllers[2].profile: ...). */
export function loadControllers (config: unknown, scales: Scales): SupervisoryController[] {
  const parsed = MicrogridConfig.safeParse(config)
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.map((p) => typeof p === 'number' ? `[${p}]` : `.${String(p)}`).join('').replace(/^\./, '')}: ${i.message}`).join('; '))
  return parsed.data.controllers.map((c, i) => {
    try {
      return createController(c, scales)
    } catch (error) {
      throw new Error(`controllers[${i}]: ${(error as Error).message}`)
    }
  })
}

export function createController (c: ControllerConfig, scales: Scales): SupervisoryController {
  const q = (v: string) => toTicks(v, scales.quantityScale)
  const p = (v: string) => toTicks(v, scales.priceScale)
  const Q = (t: bigint) => fromTicks(t, scales.quantityScale)
  const P = (t: bigint) => fromTicks(t, scales.priceScale)

  switch (c.kind) {
    case 'load': {
      const profile = c.profile.map(q)
      const steps = c.willingnessToPay.map((s) => ({ price: p(s.price), quantity: q(s.quantity) }))
      return {
        partyID: c.partyID, kind: 'load',
        plan (view, position) {
          let needed = profile[hourOf(view.dtStart)]! - q(position)
          const out: Instruction[] = []
          for (const step of steps) {
            if (needed <= 0n) break
            const quantity = min(step.quantity, needed)
            needed -= quantity
            out.push({ side: 'buy', price: P(step.price), quantity: Q(quantity) })
          }
          return out
        },
        deliver () {},
        describe: () => 'load'
      }
    }
    case 'pv': {
      const forecast = c.forecast.map(q)
      const [ask, step, floor] = [p(c.askPrice), p(c.priceStep), p(c.minimumPrice)]
      return {
        partyID: c.partyID, kind: 'pv',
        plan (view, position) {
          const left = forecast[hourOf(view.dtStart)]! + q(position)
          if (left <= 0n) return []
          return [{ side: 'sell', price: P(max(floor, ask - step * BigInt(view.round))), quantity: Q(left) }]
        },
        deliver () {},
        describe: () => 'pv'
      }
    }
    case 'battery': {
      let soc = q(c.stateOfCharge)
      const [lo, hi, rate, capacity] = [q(c.minimumCharge), q(c.maximumCharge), q(c.maximumRate), q(c.capacity)]
      if (hi > capacity || lo > hi || soc < lo || soc > hi) throw new Error('battery: need minimumCharge <= stateOfCharge <= maximumCharge <= capacity')
      const efficiency = toTicks(c.efficiency, 6)
      if (efficiency <= 0n || efficiency > 1_000_000n) throw new Error('battery: efficiency must be in (0, 1]')
      const [buyBelow, sellAbove] = [p(c.buyBelow), p(c.sellAbove)]
      const charged = (bought: bigint) => (bought * efficiency) / 1_000_000n
      return {
        partyID: c.partyID, kind: 'battery',
        plan (_view, position) {
          const held = q(position)
          // The net position n for the interval must keep |n| <= rate and the charge within
          // [lo, hi] after delivery (bought energy is charged at the efficiency).
          const highestNet = min(rate, ((hi - soc) * 1_000_000n) / efficiency)
          const lowestNet = max(-rate, lo - soc)
          const out: Instruction[] = []
          if (highestNet - held > 0n) out.push({ side: 'buy', price: P(buyBelow), quantity: Q(highestNet - held) })
          if (held - lowestNet > 0n) out.push({ side: 'sell', price: P(sellAbove), quantity: Q(held - lowestNet) })
          return out
        },
        deliver (_dtStart, position) {
          const held = q(position)
          soc += held > 0n ? charged(held) : held
        },
        describe: () => `state of charge ${Q(soc)} kWh`
      }
    }
  }
}
