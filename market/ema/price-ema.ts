/**
 * An External Market Adaptor driven by a utility's prices (OpenADR ELECTRICITY_PRICE events, read
 * by adapters/openadr). Towards the LMA it is a party like any TEUA. For every market interval an
 * event prices, it offers:
 *   - to SELL what it can import through the connection (importLimit), at the utility price plus
 *     the markup;
 *   - to BUY what it can export (exportLimit), at the utility price minus the markdown.
 * The conservative choices are that a market interval is priced only when the event covers all
 * of it. A sell takes the highest utility price inside the interval, and a buy the lowest.
 * Prices round away from the EMA's loss: up for sells, down for buys, to the market's scale.
 *
 * A modified event replaces its tenders, and a cancelled one cancels them. Each
 * (eventID, modificationNumber) is handled once, whatever the VTN resends and across restarts:
 * requestIDs and tenderIDs are made from it, and the LMA answers a resent requestID with its
 * first answer and changes nothing.
 */
import type { MarketRules } from '../../schemas/extensions.js'
import { fromTicks, toTicks } from '../../schemas/decimal.js'
import { durationMs } from '../lma/time.js'
import type { LmaClient } from '../teua/teua.js'

export interface PriceEmaConfig {
  /** The EMA's party at the LMA. */
  partyID: string
  /** The LMA's party (counterPartyID of tenders). */
  lmaPartyID: string
  market: MarketRules
  /** Added to the utility price for what the EMA sells (imports); decimal, in the market's currency per unit. */
  markup: string
  /** Taken off the utility price for what the EMA buys (exports). */
  markdown: string
  /** What the connection can import in one market interval, in the market's quantity unit; "0" offers nothing. */
  importLimit: string
  exportLimit: string
  /** Told of every tender placed and withdrawn (an operator's log). */
  log?: (message: string, detail?: Record<string, unknown>) => void
}

/** A utility price for a span of time (an OpenADR interval). */
export interface UtilityPrice {
  dtStart: string
  duration: string
  /** Decimal, in the market's currency per unit. */
  price: string
}

export interface PriceEvent {
  eventID: string
  modificationNumber: number
  /** OpenADR eventStatus: "cancelled" withdraws the event. */
  status: string
  prices: UtilityPrice[]
}

export interface PlannedTender {
  tenderID: string
  side: 'buy' | 'sell'
  dtStart: string
  price: string
  quantity: string
}

/** The tenders an event asks for (pure: the same event and config give the same tenders). */
export function plannedTenders (event: PriceEvent, config: PriceEmaConfig): PlannedTender[] {
  const { market } = config
  const step = durationMs(market.duration)
  const grid = durationMs(market.granularity)
  const spans = event.prices.map((p) => ({ start: Date.parse(p.dtStart), end: Date.parse(p.dtStart) + durationMs(p.duration), p }))
  if (spans.length === 0) return []
  const from = Math.ceil(Math.min(...spans.map((s) => s.start)) / grid) * grid
  const to = Math.max(...spans.map((s) => s.end))
  // Enough digits for any utility price, so that rounding to the market's scale is exact integer work.
  const digits = Math.max(market.priceScale, ...event.prices.map((p) => (p.price.split('.')[1] ?? '').length))
  const unit = 10n ** BigInt(digits - market.priceScale)
  const out: PlannedTender[] = []
  for (let start = from; start + step <= to; start += grid) {
    const inside = spans.filter((s) => s.start < start + step && s.end > start)
    if (!covers(inside, start, start + step)) continue
    const ticks = inside.map((s) => toTicks(s.p.price, digits))
    const high = ticks.reduce((a, b) => (b > a ? b : a))
    const low = ticks.reduce((a, b) => (b < a ? b : a))
    const dtStart = new Date(start).toISOString()
    const slot = `${config.partyID}-${event.eventID}-m${event.modificationNumber}-${dtStart}`
    if (toTicks(config.importLimit, market.quantityScale) > 0n) {
      const sell = ceilDiv(high + toTicks(config.markup, digits), unit)
      out.push({ tenderID: `${slot}-sell`, side: 'sell', dtStart, price: fromTicks(sell, market.priceScale), quantity: config.importLimit })
    }
    if (toTicks(config.exportLimit, market.quantityScale) > 0n) {
      const buy = floorDiv(low - toTicks(config.markdown, digits), unit)
      out.push({ tenderID: `${slot}-buy`, side: 'buy', dtStart, price: fromTicks(buy, market.priceScale), quantity: config.exportLimit })
    }
  }
  return out
}

function covers (spans: Array<{ start: number, end: number }>, from: number, to: number): boolean {
  let reached = from
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.start > reached) return false
    reached = Math.max(reached, s.end)
  }
  return reached >= to
}

function floorDiv (a: bigint, b: bigint): bigint {
  const q = a / b
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q
}

function ceilDiv (a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b)
}

export interface HandledEvent {
  modificationNumber: number
  tenderIDs: string[]
  status: string
}

/** What became of one event message. */
export type EventOutcome = 'created' | 'replaced' | 'cancelled' | 'already handled' | 'stale'

/**
 * The EMA's side of price events. It remembers the latest modification of each event; the LMA's
 * ledger is what makes a repeat harmless, so a restarted EMA that sees an event again sends the
 * same requests and gets the first answers back.
 */
export class PriceEma {
  private readonly events = new Map<string, HandledEvent>()

  constructor (private readonly config: PriceEmaConfig, private readonly lma: LmaClient) {}

  /** The EMA's transactions, as the LMA's ledger has them (eiRequestTransaction). */
  async transactions (): Promise<Array<{ transactionID: string, dtStart: string, duration: string, side: 'buy' | 'sell', price: string, quantity: string }>> {
    const answer = await this.lma.call('eiRequestTransaction', 'eiReplyTransaction', {
      requestID: `${this.config.partyID}-transactions-${Date.now()}`, partyID: this.config.partyID, requestorPartyID: this.config.partyID, marketContext: [this.config.market.marketContext]
    })
    if (answer.status !== 200) throw new Error(`the LMA refused eiRequestTransaction: ${answer.payload.eiResponse.responseCode}`)
    return (answer.payload.eiTransaction ?? []).map((t) => ({
      transactionID: t.transactionID, dtStart: t.product.dtStart!, duration: t.product.duration!, side: t.product.side,
      price: t.product.temixPower.price!, quantity: t.product.temixPower.quantity!
    }))
  }

  handled (eventID: string): HandledEvent | undefined {
    return this.events.get(eventID)
  }

  async onEvent (event: PriceEvent): Promise<EventOutcome> {
    const known = this.events.get(event.eventID)
    if (known !== undefined && event.modificationNumber < known.modificationNumber) return 'stale'
    if (known !== undefined && event.modificationNumber === known.modificationNumber && known.status === event.status) return 'already handled'
    if (known !== undefined) await this.cancel(event.eventID, known)
    if (event.status === 'cancelled') {
      if (known === undefined) await this.cancelPlanned(event)
      this.events.set(event.eventID, { modificationNumber: event.modificationNumber, tenderIDs: [], status: event.status })
      return 'cancelled'
    }
    const planned = plannedTenders(event, this.config)
    if (planned.length > 0) {
      const { market } = this.config
      const answer = await this.lma.call('eiCreateTender', 'eiCreatedTender', {
        requestID: `${this.config.partyID}-${event.eventID}-m${event.modificationNumber}-create`, partyID: this.config.partyID, counterPartyID: this.config.lmaPartyID,
        eiTender: planned.map((t) => ({
          tenderID: t.tenderID,
          product: {
            dtStart: t.dtStart, duration: market.duration, temixPower: { price: t.price, energyReal: market.energyReal, quantity: t.quantity },
            uid: t.tenderID, transactiveState: 'tender', currency: market.currency, marketContext: market.marketContext, side: t.side
          }
        }))
      })
      if (answer.status !== 200) throw new Error(`the LMA refused the tenders of event ${event.eventID}: ${answer.payload.eiResponse.responseCode} ${answer.payload.eiResponse.responseDescription ?? ''}`)
      this.config.log?.(known === undefined ? 'tenders placed' : 'tenders placed, replacing', {
        eventID: event.eventID, modificationNumber: event.modificationNumber,
        tenders: planned.map((t) => ({ tenderID: t.tenderID, side: t.side, dtStart: t.dtStart, price: t.price, quantity: t.quantity }))
      })
    }
    this.events.set(event.eventID, { modificationNumber: event.modificationNumber, tenderIDs: planned.map((t) => t.tenderID), status: event.status })
    return known === undefined ? 'created' : 'replaced'
  }

  /** Cancels what remains of an event's tenders (those already filled or canceled are left as they are). */
  private async cancel (eventID: string, handled: HandledEvent): Promise<void> {
    if (handled.tenderIDs.length === 0) return
    const open = await this.lma.call('eiRequestTender', 'eiReplyTender', {
      requestID: `${this.config.partyID}-${eventID}-m${handled.modificationNumber}-read-${Date.now()}`, partyID: this.config.partyID, requestorPartyID: this.config.partyID, tenderID: handled.tenderIDs
    })
    const ids = (open.payload.eiTender ?? []).map((t) => t.tenderID)
    if (ids.length === 0) return
    const answer = await this.lma.call('eiCancelTender', 'eiCanceledTender', {
      requestID: `${this.config.partyID}-${eventID}-m${handled.modificationNumber}-cancel`, partyID: this.config.partyID, counterPartyID: this.config.lmaPartyID, tenderID: ids
    })
    if (answer.status !== 200) throw new Error(`the LMA refused to cancel the tenders of event ${eventID}: ${answer.payload.eiResponse.responseCode} ${answer.payload.eiResponse.responseDescription ?? ''}`)
    this.config.log?.('tenders withdrawn', { eventID, modificationNumber: handled.modificationNumber, tenderIDs: ids })
  }

  /** A cancellation of an event this EMA does not remember (it restarted): its tenders are named by the event. */
  private async cancelPlanned (event: PriceEvent): Promise<void> {
    for (let m = 0; m < event.modificationNumber; m++) {
      const ids = plannedTenders({ ...event, modificationNumber: m, status: 'active' }, this.config).map((t) => t.tenderID)
      await this.cancel(event.eventID, { modificationNumber: m, tenderIDs: ids, status: 'active' })
    }
  }
}
