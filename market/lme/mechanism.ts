/**
 * The LME's interface to the LMA: a market mechanism takes orders for instruments (one book per
 * delivery interval) and answers each command with the events it caused, every event numbered in
 * its book's own sequence. Mechanisms are deterministic: the same commands in the same order give
 * the same events, which is how the ledger rebuilds books after a restart (replay.ts).
 */
import type { BookSnapshot, Instrument, MechanismEvent, OrderCommand, OrderSnapshot, SelfTradePolicy } from './types.js'

export interface MarketMechanism {
  readonly kind: MechanismKind
  /** Enters an order into its instrument's book (created on first use): rejected, or accepted and then matched. */
  submit: (order: OrderCommand) => MechanismEvent[]
  /** Cancels the rest of an order. Unknown or finished orders: no events. */
  cancel: (orderId: string) => MechanismEvent[]
  /** Reduces an order to `quantity` (0 cancels), keeping its time priority. A quantity not below what remains, or not a safe integer: no events. */
  reduce: (orderId: string, quantity: number) => MechanismEvent[]
  /** Gate closure: the book takes no more orders; a call auction clears here. */
  closeInterval: (instrument: Instrument) => MechanismEvent[]
  /** A resting (or, in an auction, collected) order, if any. */
  order: (orderId: string) => (OrderSnapshot & { book: string }) | undefined
  /** The book as it is now; `view` limits it (e.g. the top of book: depth 1, no orders) so a caller pays only for what it reads. */
  snapshot: (instrument: Instrument, view?: SnapshotView) => BookSnapshot | undefined
  /** Keys (instrumentKey) of every book, open or closed. */
  books: () => string[]
}

export type MechanismKind = 'continuous' | 'callAuction'

export interface SnapshotView {
  /** Price levels per side (default all). */
  depth?: number
  /** Whether to list resting orders (default true). */
  orders?: boolean
}

export interface MechanismConfig {
  kind: MechanismKind
  /** Self-trade prevention of the continuous book (default cancelResting). */
  selfTrade?: SelfTradePolicy
}

/** Checks an order as every mechanism must; returns the reject reason and text, or undefined. */
export function invalidOrder (price: number, quantity: number): { reason: 'invalidPrice' | 'invalidQuantity', text: string } | undefined {
  if (!Number.isSafeInteger(price)) return { reason: 'invalidPrice', text: `price ${price} is not a whole number of ticks` }
  if (!Number.isSafeInteger(quantity) || quantity <= 0) return { reason: 'invalidQuantity', text: `quantity ${quantity} must be a whole number of ticks > 0` }
  return undefined
}

/** Checks the side and, for the continuous book, the time in force (callers outside TypeScript may send anything). */
export function rejectUnsupported (side: string, timeInForce: string, continuous: boolean): { reason: 'unsupported', text: string } | undefined {
  if (side !== 'buy' && side !== 'sell') return { reason: 'unsupported', text: `side ${side} is neither buy nor sell` }
  if (continuous && timeInForce !== 'GTC' && timeInForce !== 'IOC' && timeInForce !== 'FOK') return { reason: 'unsupported', text: `time in force ${timeInForce} is none of GTC, IOC, FOK` }
  return undefined
}

/**
 * -0 is a safe integer, but events must survive JSON (which writes it as 0) and still compare
 * equal on replay (isDeepStrictEqual tells -0 from 0): prices enter as 0.
 */
export function noNegativeZero (price: number): number {
  return price === 0 ? 0 : price
}
