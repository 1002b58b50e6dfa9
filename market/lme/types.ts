/**
 * The LME's vocabulary. Prices and quantities are integer ticks of the market's scale (see
 * schemas/decimal.ts), held as JavaScript numbers that must be safe integers: exact, and fast.
 * Prices may be negative (energy prices go negative); quantities are > 0.
 */

export type Side = 'buy' | 'sell'

/** GTC rests what is not filled; IOC cancels it; FOK fills all at once or nothing. */
export type TimeInForce = 'GTC' | 'IOC' | 'FOK'

/**
 * What to do when an incoming order would trade with a resting order of the same party:
 * cancel the resting order (and go on matching), cancel the rest of the incoming order, or allow it.
 */
export type SelfTradePolicy = 'cancelResting' | 'cancelIncoming' | 'allow'

/** A product of one market for one delivery interval: one order book. */
export interface Instrument {
  marketContext: string
  /** Interval start, an ISO 8601 instant (written in UTC by the LMA). */
  dtStart: string
  /** ISO 8601 duration: the same start with another duration is another book. */
  duration: string
}

export function instrumentKey (i: Instrument): string {
  return `${i.marketContext}|${i.dtStart}|${i.duration}`
}

export interface OrderCommand {
  /** Chosen by the caller (the LMA uses the tenderID); unique across the mechanism. */
  orderId: string
  partyId: string
  instrument: Instrument
  side: Side
  /** Limit price in ticks (any safe integer). */
  price: number
  /** Quantity in ticks (safe integer > 0). */
  quantity: number
  timeInForce?: TimeInForce
}

export type RejectReason = 'invalidPrice' | 'invalidQuantity' | 'duplicateOrderId' | 'bookClosed' | 'unsupported'

export type CancelReason =
  | 'requested' // the owner canceled (or reduced) it
  | 'ioc'       // immediate-or-cancel: the rest that did not fill at once
  | 'fok'       // fill-or-kill: it could not fill completely at once
  | 'selfTrade' // self-trade prevention
  | 'closed'    // gate closure: the interval's book closed

export interface FillSide {
  orderId: string
  partyId: string
  side: Side
  /** What is left of the order after this fill. */
  remaining: number
}

interface BookEvent {
  /** instrumentKey of the book. */
  book: string
  /** The book's own event sequence: 1, 2, 3, ... without gaps. */
  seq: number
}

export type MechanismEvent =
  | BookEvent & { type: 'accepted', orderId: string, partyId: string, side: Side, price: number, quantity: number, timeInForce: TimeInForce }
  | BookEvent & { type: 'rejected', orderId: string, partyId: string, reason: RejectReason, text: string }
  | BookEvent & { type: 'fill', matchNumber: number, price: number, quantity: number, maker: FillSide, taker: FillSide }
  | BookEvent & { type: 'canceled', orderId: string, partyId: string, side: Side, canceledQuantity: number, remaining: number, reason: CancelReason }
  | BookEvent & { type: 'closed', clearingPrice?: number, volume: number }

export interface LevelSnapshot {
  price: number
  quantity: number
  orders: number
}

export interface OrderSnapshot {
  orderId: string
  partyId: string
  side: Side
  price: number
  remaining: number
}

export interface BookSnapshot {
  instrument: Instrument
  /** The book's last event sequence number: a snapshot plus later events rebuilds the book. */
  seq: number
  closed: boolean
  /** Best first: bids by price descending, asks ascending. */
  bids: LevelSnapshot[]
  asks: LevelSnapshot[]
  /** Resting orders, in priority order per side (bids first). */
  orders: OrderSnapshot[]
}
