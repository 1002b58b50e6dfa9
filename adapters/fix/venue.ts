/**
 * A FIX venue simulator: our LME (a continuous double auction, market/lme) behind our FIX session
 * layer, as the external market an EMA trades at in the demo and in tests. It takes, on the
 * session of one counterparty:
 *   - NewOrderSingle (limit): acknowledged (ExecType 0), then traded;
 *   - OrderCancelRequest: canceled (ExecType 4);
 *   - OrderCancelReplaceRequest: a quantity-reducing replace, ExecType 5. The order keeps its time
 *     priority. Anything else (a new price, more quantity) gets an OrderCancelReject.
 * Each fill of the counterparty's orders is an ExecutionReport (ExecType F), with an ExecID made of
 * the book's event sequence.
 *
 * Liquidity besides the counterparty's own comes from `seed`: resting orders of the venue house.
 * Instruments are named as adapters/fix/instrument.ts names them. Prices and quantities are
 * decimal strings in the venue's own units, at its scales.
 */
import { fromTicks, toTicks } from '../../schemas/decimal.js'
import { createMechanism, instrumentKey, type Instrument, type MarketMechanism, type MechanismEvent } from '../../market/lme/index.js'
import { instrumentOf, intervalOf } from './instrument.js'
import { rawFields, required, SIDE, sideOf } from './fields.js'
import type { FixApplication, FixSessionHandle, ReceivedMessage } from './session/endpoint.js'

export interface VenueScales {
  priceScale: number
  quantityScale: number
}

interface VenueOrder {
  /** OrderID(37): the book's order id, the same for the order's whole life. */
  orderID: string
  clOrdID: string
  side: 'buy' | 'sell'
  instrument: Instrument
  price: number
  quantity: number
  cumQty: number
  /** Σ lastQty × lastPx, for AvgPx. */
  notional: bigint
}

const HOUSE = 'venue-house'
const COUNTERPARTY = 'counterparty'

export class FixVenueSimulator implements FixApplication {
  readonly mechanism: MarketMechanism = createMechanism({ kind: 'continuous', selfTrade: 'cancelResting' })
  /** The counterparty's orders, by OrderID; and its current ClOrdID of each. */
  private readonly orders = new Map<string, VenueOrder>()
  private readonly byClOrdID = new Map<string, string>()
  private nextOrder = 0
  private session: FixSessionHandle | undefined

  constructor (private readonly scales: VenueScales, private readonly marketContext = 'venue') {}

  /** Rests an order of the venue house (liquidity the counterparty can trade with). House orders that cross each other are refused. */
  seed (dtStart: string, duration: string, side: 'buy' | 'sell', price: string, quantity: string): void {
    const book = this.mechanism.snapshot(this.instrument(dtStart, duration), { depth: 1, orders: false })
    const ticks = Number(toTicks(price, this.scales.priceScale))
    const opposite = side === 'buy' ? book?.asks[0]?.price : book?.bids[0]?.price
    if (opposite !== undefined && (side === 'buy' ? ticks >= opposite : ticks <= opposite)) throw new Error(`house ${side} at ${price} would cross the house's own ${side === 'buy' ? 'offer' : 'bid'}`)
    const events = this.mechanism.submit({
      orderId: `house-${++this.nextOrder}`, partyId: HOUSE, instrument: this.instrument(dtStart, duration), side,
      price: Number(toTicks(price, this.scales.priceScale)), quantity: Number(toTicks(quantity, this.scales.quantityScale))
    })
    this.report(events)
  }

  onLogon (session: FixSessionHandle): void {
    this.session = session
  }

  onMessage (message: ReceivedMessage, session: FixSessionHandle): void {
    this.session = session
    const f = rawFields(message.text)
    try {
      if (message.msgType === 'D') this.newOrder(f)
      else if (message.msgType === 'F') this.cancel(f)
      else if (message.msgType === 'G') this.replace(f)
      else this.send('j', { RefMsgType: message.msgType, BusinessRejectReason: 3, Text: `${message.msgType} is not taken by this venue`, RefSeqNum: message.seqNum })
    } catch (error) {
      this.send('j', { RefMsgType: message.msgType, BusinessRejectReason: 0, Text: (error as Error).message.slice(0, 200), RefSeqNum: message.seqNum })
    }
  }

  private instrument (dtStart: string, duration: string): Instrument {
    return { marketContext: this.marketContext, dtStart: new Date(dtStart).toISOString(), duration }
  }

  private newOrder (f: Map<number, string>): void {
    const clOrdID = required(f, 11, 'ClOrdID')
    const { dtStart, duration } = intervalOf(required(f, 48, 'SecurityID'))
    if (required(f, 40, 'OrdType') !== '2') throw new Error('only limit orders (OrdType 2) are taken')
    if (this.byClOrdID.has(clOrdID)) {
      this.execution(undefined, { clOrdID, execType: '8', ordStatus: '8', side: sideOf(required(f, 54, 'Side')), instrument: this.instrument(dtStart, duration), text: `duplicate ClOrdID ${clOrdID}` })
      return
    }
    const order: VenueOrder = {
      orderID: `V${++this.nextOrder}`, clOrdID, side: sideOf(required(f, 54, 'Side')), instrument: this.instrument(dtStart, duration),
      price: Number(toTicks(required(f, 44, 'Price'), this.scales.priceScale)), quantity: Number(toTicks(required(f, 38, 'OrderQty'), this.scales.quantityScale)), cumQty: 0, notional: 0n
    }
    this.orders.set(order.orderID, order)
    this.byClOrdID.set(clOrdID, order.orderID)
    this.report(this.mechanism.submit({ orderId: order.orderID, partyId: COUNTERPARTY, instrument: order.instrument, side: order.side, price: order.price, quantity: order.quantity }))
  }

  private known (f: Map<number, string>): VenueOrder | undefined {
    const orderID = this.byClOrdID.get(required(f, 41, 'OrigClOrdID'))
    return orderID === undefined ? undefined : this.orders.get(orderID)
  }

  private cancel (f: Map<number, string>): void {
    const order = this.known(f)
    const open = order === undefined ? undefined : this.mechanism.order(order.orderID)
    if (order === undefined || open === undefined) return this.cancelReject(f, '1', 'unknown or finished order')
    this.byClOrdID.set(required(f, 11, 'ClOrdID'), order.orderID)
    order.clOrdID = required(f, 11, 'ClOrdID')
    this.report(this.mechanism.cancel(order.orderID), f.get(41))
  }

  private replace (f: Map<number, string>): void {
    const order = this.known(f)
    const open = order === undefined ? undefined : this.mechanism.order(order.orderID)
    if (order === undefined || open === undefined) return this.cancelReject(f, '1', 'unknown or finished order')
    const quantity = Number(toTicks(required(f, 38, 'OrderQty'), this.scales.quantityScale))
    const price = Number(toTicks(required(f, 44, 'Price'), this.scales.priceScale))
    const remaining = quantity - order.cumQty
    if (price !== order.price || remaining >= open.remaining || remaining < 0) return this.cancelReject(f, '99', 'only quantity-reducing replaces at the same price are taken')
    const origClOrdID = order.clOrdID
    order.clOrdID = required(f, 11, 'ClOrdID')
    order.quantity = quantity
    this.byClOrdID.set(order.clOrdID, order.orderID)
    this.report(this.mechanism.reduce(order.orderID, remaining), origClOrdID, true)
  }

  private cancelReject (f: Map<number, string>, reason: string, text: string): void {
    this.send('9', {
      OrderID: this.byClOrdID.get(f.get(41) ?? '') ?? 'NONE', ClOrdID: f.get(11) ?? '', OrigClOrdID: f.get(41) ?? '', OrdStatus: '8',
      CxlRejResponseTo: f.get(35) === 'G' ? '2' : '1', CxlRejReason: Number(reason), Text: text
    })
  }

  /** The counterparty's ExecutionReports for what the book did. */
  private report (events: MechanismEvent[], origClOrdID?: string, replaced = false): void {
    for (const e of events) {
      if (e.type === 'accepted' && e.partyId === COUNTERPARTY) this.execution(this.orders.get(e.orderId), { execType: '0', ordStatus: '0', execSuffix: e.seq })
      if (e.type === 'rejected' && e.partyId === COUNTERPARTY) this.execution(this.orders.get(e.orderId), { execType: '8', ordStatus: '8', text: e.text, execSuffix: e.seq })
      if (e.type === 'canceled' && e.partyId === COUNTERPARTY) {
        const order = this.orders.get(e.orderId)
        if (order === undefined) continue
        const done = e.remaining === 0
        this.execution(order, { execType: replaced ? '5' : '4', ordStatus: replaced && !done ? (order.cumQty > 0 ? '1' : '0') : '4', execSuffix: e.seq, ...(origClOrdID !== undefined && { origClOrdID }), leaves: e.remaining })
      }
      if (e.type === 'fill') {
        for (const side of [e.maker, e.taker]) {
          const order = side.partyId === COUNTERPARTY ? this.orders.get(side.orderId) : undefined
          if (order === undefined) continue
          order.cumQty += e.quantity
          order.notional += BigInt(e.quantity) * BigInt(e.price)
          this.execution(order, { execType: 'F', ordStatus: side.remaining === 0 ? '2' : '1', execSuffix: e.seq, last: { qty: e.quantity, px: e.price }, leaves: side.remaining, role: side === e.maker ? 'm' : 't' })
        }
      }
    }
  }

  private execution (order: VenueOrder | undefined, r: {
    execType: string, ordStatus: string, execSuffix?: number, text?: string, origClOrdID?: string, leaves?: number,
    /** A fill between two orders of the counterparty gives two reports: m(aker) and t(aker). */
    role?: 'm' | 't', last?: { qty: number, px: number }, clOrdID?: string, side?: 'buy' | 'sell', instrument?: Instrument
  }): void {
    const { priceScale: ps, quantityScale: qs } = this.scales
    const instrument = order?.instrument ?? r.instrument!
    const { symbol, securityID, securityIDSource } = instrumentOf(instrument.dtStart, instrument.duration)
    const cum = order?.cumQty ?? 0
    const leaves = r.leaves ?? (order === undefined || r.execType === '8' ? 0 : order.quantity - cum)
    // AvgPx: the exact average, to 4 more places than the price (written, not computed, as a float).
    const avg = order === undefined || cum === 0 ? 0n : (order.notional * 10000n) / BigInt(cum)
    this.send('8', {
      OrderID: order?.orderID ?? 'NONE', ClOrdID: order?.clOrdID ?? r.clOrdID ?? '',
      ...(r.origClOrdID !== undefined && { OrigClOrdID: r.origClOrdID }),
      ExecID: `${instrumentKey(instrument)}#${r.execSuffix ?? 0}${r.role ?? ''}`.replace(/[^A-Za-z0-9#:.+-]/g, ''),
      ExecType: r.execType, OrdStatus: r.ordStatus,
      Instrument: { Symbol: symbol, SecurityID: securityID, SecurityIDSource: securityIDSource },
      Side: SIDE[order?.side ?? r.side ?? 'buy'],
      ...(order !== undefined && { OrderQtyData: { OrderQty: fromTicks(order.quantity, qs) }, OrdType: '2', Price: fromTicks(order.price, ps) }),
      ...(r.last !== undefined && { LastQty: fromTicks(r.last.qty, qs), LastPx: fromTicks(r.last.px, ps) }),
      LeavesQty: fromTicks(leaves, qs), CumQty: fromTicks(cum, qs), AvgPx: fromTicks(avg, ps + 4),
      TransactTime: new Date(),
      ...(r.text !== undefined && { Text: r.text })
    })
  }

  private send (msgType: string, body: Record<string, unknown>): void {
    const session = this.session
    if (session === undefined) return
    // The session sends in call order, so reports go out in the order they were made.
    session.send(msgType, body).catch(() => {})
  }
}
