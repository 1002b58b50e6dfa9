/**
 * The venue EMA (market/ema/venue-ema.ts) over FIX 4.4: its orders go out on our session layer
 * (adapters/fix/session) and the venue's ExecutionReports come back as executions.
 *   - An order is a NewOrderSingle: limit, GTC, Symbol and SecurityID per instrument.ts.
 *   - Less quantity is an OrderCancelReplaceRequest, at the same price.
 *   - No order is an OrderCancelRequest.
 * Amounts are converted exactly to the venue's units, and back. A market whose scales cannot hold
 * the venue's ticks is refused at start, so every fill converts exactly.
 *
 * Every application message, sent or received, is recorded (FixMessageLog: the ledger), and a
 * restarted EMA rebuilds its venue orders from it (recover). Executions are applied one at a time,
 * in the order received; a PossDup resend counts once (by ExecID).
 */
import type { MarketRules } from '../../schemas/extensions.js'
import type { FixMessageEntry } from '../postgres/fix-message-log.js'
import type { Execution, Venue, VenueEma } from '../../market/ema/venue-ema.js'
import { fromVenuePrice, fromVenueQuantity, instrumentOf, intervalOf, toVenuePrice, toVenueQuantity, type VenueUnits } from './instrument.js'
import { rawFields, required, SIDE } from './fields.js'
import type { FixApplication, FixSessionHandle, ReceivedMessage } from './session/endpoint.js'

/** Where FIX messages are recorded: the ledger (adapters/postgres/fix-message-log.ts). */
export interface FixMessageLog {
  record: (entry: FixMessageEntry) => Promise<void>
}

/** Refuses units a market cannot hold exactly: the venue's ticks must be local ticks. */
export function checkUnits (units: VenueUnits, market: MarketRules): void {
  if (market.priceScale < units.priceScale + units.priceShift) throw new Error(`the venue's price ticks (10^-${units.priceScale}, shift ${units.priceShift}) are finer than the market's (10^-${market.priceScale})`)
  if (market.quantityScale < units.quantityScale + units.quantityShift) throw new Error(`the venue's quantity ticks (10^-${units.quantityScale}, shift ${units.quantityShift}) are finer than the market's (10^-${market.quantityScale})`)
}

export class FixEma implements Venue, FixApplication {
  private session: FixSessionHandle | undefined
  private ema: VenueEma | undefined
  /** Executions are applied in the order received, one at a time. */
  private applying: Promise<unknown> = Promise.resolve()

  constructor (private readonly options: {
    name: string
    market: MarketRules
    units: VenueUnits
    log?: FixMessageLog
    onError?: (error: Error) => void
  }) {
    checkUnits(options.units, options.market)
  }

  /** The EMA whose orders this sends and to which executions go (they refer to each other). */
  attach (ema: VenueEma): void {
    this.ema = ema
  }

  /** The session's name in the ledger. */
  get name (): string {
    return this.options.name
  }

  get loggedOn (): boolean {
    return this.session !== undefined
  }

  onLogon (session: FixSessionHandle): void {
    this.session = session
  }

  onLogout (): void {
    this.session = undefined
  }

  onMessage (message: ReceivedMessage): void {
    const log = this.record({ session: this.options.name, direction: 'in', msgType: message.msgType, seqNum: message.seqNum, message: message.text })
    if (message.msgType === '9' || message.msgType === 'j' || message.msgType === '3') {
      // A refused cancel or replace leaves the order as it was; the next round asks again.
      const f = rawFields(message.text)
      this.options.onError?.(new Error(`the venue refused ${f.get(11) ?? f.get(45) ?? ''}: ${message.msgType === '9' ? 'OrderCancelReject' : message.msgType === 'j' ? 'BusinessMessageReject' : 'Reject'} ${f.get(58) ?? ''}`.trim()))
      return
    }
    if (message.msgType !== '8') return
    this.applying = this.applying
      .then(async () => {
        await log
        await this.ema?.onExecution(this.executionOf(message.text))
      })
      .catch((error: unknown) => this.options.onError?.(error as Error))
  }

  /**
   * Rebuilds the EMA's venue orders after a restart, from the FIX messages in the ledger (in the
   * order recorded): every order sent, then every execution received, applied again. Trading back
   * is idempotent at the LMA (its requestID is made of the ExecID). So a fill that arrived just
   * before a crash is traded back now, and one traded back already changes nothing.
   */
  async recover (messages: readonly FixMessageEntry[]): Promise<number> {
    const ema = this.ema
    if (ema === undefined) throw new Error('attach the EMA first')
    const { market, units } = this.options
    let applied = 0
    for (const m of messages) {
      if (m.direction === 'out' && m.msgType === 'D') {
        const body = JSON.parse(m.message) as { ClOrdID: string, Side: string, Price: string, OrderQtyData: { OrderQty: string }, Instrument: { SecurityID: string } }
        const { dtStart, duration } = intervalOf(body.Instrument.SecurityID)
        ema.orders.set(body.ClOrdID, {
          clOrdID: body.ClOrdID, side: body.Side === SIDE.buy ? 'buy' : 'sell', dtStart, duration, state: 'pending',
          quantity: fromVenueQuantity(body.OrderQtyData.OrderQty, market.quantityScale, units),
          limit: fromVenuePrice(body.Price, market.priceScale, units), cumQty: fromVenueQuantity('0', market.quantityScale, units)
        })
      }
      if (m.direction === 'in' && m.msgType === '8' && await ema.onExecution(this.executionOf(m.message))) applied++
    }
    return applied
  }

  /** Resolves once every execution received so far is applied. */
  settled (): Promise<unknown> {
    return this.applying
  }

  private executionOf (text: string): Execution {
    const f = rawFields(text)
    const { market, units } = this.options
    const last = f.get(32) !== undefined && f.get(31) !== undefined && Number(f.get(32)) !== 0
    return {
      execID: required(f, 17, 'ExecID'), clOrdID: required(f, 11, 'ClOrdID'), execType: required(f, 150, 'ExecType'),
      ...(f.get(41) !== undefined && { origClOrdID: f.get(41)! }),
      ...(last && { lastQty: fromVenueQuantity(f.get(32)!, market.quantityScale, units), lastPx: fromVenuePrice(f.get(31)!, market.priceScale, units) }),
      cumQty: fromVenueQuantity(required(f, 14, 'CumQty'), market.quantityScale, units),
      leavesQty: fromVenueQuantity(required(f, 151, 'LeavesQty'), market.quantityScale, units)
    }
  }

  private async send (msgType: string, body: Record<string, unknown>): Promise<void> {
    if (this.session === undefined) throw new Error(`no FIX session to ${this.options.name}: ${msgType} not sent`)
    const seqNum = await this.session.send(msgType, body)
    await this.record({ session: this.options.name, direction: 'out', msgType, seqNum, message: JSON.stringify(body) })
  }

  private recording: Promise<unknown> = Promise.resolve()

  /**
   * Records messages one after the other, in the order sent and received, so the ledger's order
   * is the session's. recover() relies on it: an order is in the ledger before its executions.
   */
  private record (entry: FixMessageEntry): Promise<void> {
    const log = this.options.log
    if (log === undefined) return Promise.resolve()
    const written = this.recording.then(() => log.record(entry))
    this.recording = written.catch(() => {})
    return written
  }

  private instrument (dtStart: string, duration: string) {
    const { symbol, securityID, securityIDSource } = instrumentOf(dtStart, duration)
    return { Symbol: symbol, SecurityID: securityID, SecurityIDSource: securityIDSource }
  }

  async newOrder (o: Parameters<Venue['newOrder']>[0]): Promise<boolean> {
    const quantity = toVenueQuantity(o.quantity, this.options.units)
    if (Number(quantity) === 0) return false
    await this.send('D', {
      ClOrdID: o.clOrdID, Instrument: this.instrument(o.dtStart, o.duration), Side: SIDE[o.side], TransactTime: new Date(),
      OrderQtyData: { OrderQty: quantity }, OrdType: '2', Price: toVenuePrice(o.limit, o.side, this.options.units), TimeInForce: '1'
    })
    return true
  }

  async cancel (o: Parameters<Venue['cancel']>[0]): Promise<void> {
    await this.send('F', {
      OrigClOrdID: o.origClOrdID, ClOrdID: o.clOrdID, Instrument: this.instrument(o.dtStart, o.duration), Side: SIDE[o.side], TransactTime: new Date(),
      OrderQtyData: { OrderQty: toVenueQuantity(o.quantity, this.options.units) }
    })
  }

  async replace (o: Parameters<Venue['replace']>[0]): Promise<void> {
    await this.send('G', {
      OrigClOrdID: o.origClOrdID, ClOrdID: o.clOrdID, Instrument: this.instrument(o.dtStart, o.duration), Side: SIDE[o.side], TransactTime: new Date(),
      OrderQtyData: { OrderQty: toVenueQuantity(o.quantity, this.options.units) }, OrdType: '2', Price: toVenuePrice(o.limit, o.side, this.options.units)
    })
  }
}
