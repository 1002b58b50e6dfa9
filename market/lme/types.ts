/**
 * The LME's vocabulary. Prices and quantities are integer ticks of the market's scale (see
 * schemas/decimal.ts), held as JavaScript numbers that must be safe integers: exact, and fast
 * (no bigint in the hot path). Prices may be negative (energy prices go negative); quantities are
 * > 0; each side of a book holds at most Number.MAX_SAFE_INTEGER ticks, so that every sum the
 * engine makes is exact too.
 */

export type Side = 'buy' | 'sell'

/** GTC rests what is not filled; IOC cancels it; FOK fills all at once or nothing. */
export type TimeInForce = 'GTC' | 'IOC' | 'FOK'

/**
 * What to do when an incoming order would trade with a resting order of the same party:
 * cancel the resting order (and go on matching), cancel the rest of the incoming order, or allow it.
 */
export type SelfTradePolicy = 'cancelResting' | 'cancelIncoming' | 'allow'

/**
 * A product of one market for one delivery interval: one order book. The fields are compared as
 * strings, so callers write them canonically (the LMA writes dtStart with toISOString()).
 */
export interface Instrument {
  marketContext: string
  /** Interval start, an ISO 8601 instant in UTC. */
  dtStart: string
  /** ISO 8601 duration: the same start with another duration is another book. */
  duration: string
}

export function instrumentKey (i: Instrument): string {
  return `${i.marketContext}|${i.dtStart}|${i.duration}`
}

export interface OrderCommand {
  /** Chosen by the caller (the LMA makes one per tender: o1, o2, ...); unique among the mechanism's open orders (a finished order's id may return). */
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

/**
 * What a command caused, in the order it happened. A submit gives `rejected`, or `accepted` and
 * then its fills and cancels; a cancel or reduce gives one `canceled` (or nothing, for an order
 * that is not open); a gate closure gives the auction's fills, a `canceled` for every order
 * left, then `closed`.
 */
export type MechanismEvent =
  /** The order entered its book (the full quantity, before any fill). */
  | BookEvent & { type: 'accepted', orderId: string, partyId: string, side: Side, price: number, quantity: number, timeInForce: TimeInForce }
  /** The order was refused whole; nothing else happened. */
  | BookEvent & { type: 'rejected', orderId: string, partyId: string, reason: RejectReason, text: string }
  /** A trade at `price` between the resting (maker) and the incoming (taker) order; matchNumber counts the book's trades. */
  | BookEvent & { type: 'fill', matchNumber: number, price: number, quantity: number, maker: FillSide, taker: FillSide }
  /** An order lost `canceledQuantity`; `remaining` is what is still open (0: gone). */
  | BookEvent & { type: 'canceled', orderId: string, partyId: string, side: Side, canceledQuantity: number, remaining: number, reason: CancelReason }
  /** Gate closure: the book takes no more orders. An auction states its clearing price (if it cleared) and volume; a continuous book says volume 0. */
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
