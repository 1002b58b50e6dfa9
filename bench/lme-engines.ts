/**
 * The engines under test, behind one small adapter each. Prices and sizes are the same integers
 * for all (limit-order-book takes them as decimal strings, as it requires). Adapters built with
 * `record` fold every fill (taker, maker, price, quantity, in order) into a checksum; the timed
 * runs use adapters without it.
 */
import { createRequire } from 'node:module'
import { OrderBook, OrderStore, type OrderBookListener } from '../market/lme/order-book.js'
import { ContinuousMechanism } from '../market/lme/continuous.js'
import type { Instrument, MechanismEvent } from '../market/lme/types.js'

const require = createRequire(import.meta.url)

export interface BenchEngine {
  readonly name: string
  /** Where its semantics differ from ours, so that fills may differ. */
  readonly differs?: string
  /** Empties the engine and makes `books` books (numbered from 0). */
  reset: (books: number) => void
  add: (book: number, id: string, side: 0 | 1, price: number, quantity: number) => void
  cancel: (book: number, id: string) => void
  /** Reduces a resting order to `quantity` (keeping its place in the queue, where the engine can). */
  reduce: (book: number, id: string, quantity: number) => void
  /** The fill checksum since reset (when recording), and the resting orders over all books. */
  checksum: () => string
  resting: () => number
}

/** FNV-1a over a fill's fields, folded into the running hash. */
export function foldFill (hash: number, takerId: string, makerId: string, price: number, quantity: number): number {
  const s = `${takerId}|${makerId}|${price}|${quantity};`
  let h = hash
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0
  return h
}

const FNV_OFFSET = 2166136261
const SIDE = ['buy', 'sell'] as const

/** Our OrderBook, the matching engine itself: what the peers are. All books share one store, as in a mechanism. */
class Ours implements BenchEngine {
  readonly name = 'te-gateway'
  private books: OrderBook[] = []
  private store = new OrderStore()
  private hash = FNV_OFFSET
  private readonly listener: OrderBookListener

  constructor (record: boolean) {
    this.listener = record
      ? { fill: (makerId, _mp, _mr, takerId, _tp, _tr, _ts, price, quantity) => { this.hash = foldFill(this.hash, takerId, makerId, price, quantity) }, cancel: () => {} }
      : { fill: () => {}, cancel: () => {} }
  }

  reset (books: number): void {
    this.store = new OrderStore()
    this.books = Array.from({ length: books }, () => new OrderBook(this.listener, 'allow', this.store))
    this.hash = FNV_OFFSET
  }

  add (book: number, id: string, side: 0 | 1, price: number, quantity: number): void {
    this.books[book]!.enter(id, 'p', SIDE[side], price, quantity)
  }

  cancel (book: number, id: string): void { this.books[book]!.cancel(id) }
  reduce (book: number, id: string, quantity: number): void { this.books[book]!.reduce(id, quantity) }
  checksum (): string { return this.hash.toString(16) }
  resting (): number { return this.store.size }
}

/**
 * Our MarketMechanism, what the LMA calls: validation, instruments by key, and an event object
 * per happening (accepted, fill, canceled), numbered per book.
 */
class OursMechanism implements BenchEngine {
  readonly name = 'te-gateway mechanism'
  private mechanism = new ContinuousMechanism('allow')
  private instruments: Instrument[] = []
  private hash = FNV_OFFSET
  constructor (private readonly record: boolean) {}

  reset (books: number): void {
    this.mechanism = new ContinuousMechanism('allow')
    const day = Date.UTC(2026, 5, 20)
    this.instruments = Array.from({ length: books }, (_, b) => ({ marketContext: 'urn:bench', dtStart: new Date(day + b * 300_000).toISOString(), duration: 'PT5M' }))
    this.hash = FNV_OFFSET
  }

  add (book: number, id: string, side: 0 | 1, price: number, quantity: number): void {
    const events = this.mechanism.submit({ orderId: id, partyId: 'p', instrument: this.instruments[book]!, side: SIDE[side], price, quantity })
    if (this.record) this.fold(events)
  }

  cancel (_book: number, id: string): void { this.mechanism.cancel(id) }
  reduce (_book: number, id: string, quantity: number): void { this.mechanism.reduce(id, quantity) }
  checksum (): string { return this.hash.toString(16) }
  resting (): number { return this.instruments.reduce((n, i) => n + (this.mechanism.snapshot(i)?.orders.length ?? 0), 0) }

  private fold (events: MechanismEvent[]): void {
    for (const e of events) if (e.type === 'fill') this.hash = foldFill(this.hash, e.taker.orderId, e.maker.orderId, e.price, e.quantity)
  }
}

interface NobResult { done: Array<{ id: string, size: number, price: number }>, partial: { id: string, price: number } | null, partialQuantityProcessed: number }

class NodejsOrderBook implements BenchEngine {
  readonly name = 'nodejs-order-book'
  readonly differs = 'its modify() of the size re-enters the order ("deemed as a new entry"), so a reduced order loses its time priority where ours keeps it; with reduces in the stream (M, K, K1, KW) the fills differ. It also refuses negative prices (not in these streams)'
  private readonly OrderBookClass = require('nodejs-order-book').OrderBook
  private books: any[] = []
  private hash = FNV_OFFSET
  constructor (private readonly record: boolean) {}

  reset (books: number): void {
    this.books = Array.from({ length: books }, () => new this.OrderBookClass())
    this.hash = FNV_OFFSET
  }

  add (book: number, id: string, side: 0 | 1, price: number, size: number): void {
    const r = this.books[book]!.limit({ id, side: SIDE[side], size, price }) as NobResult
    if (!this.record) return
    // done: the makers filled completely (size: what they had), then the taker if it filled;
    // partial: the last maker, filled in part, or the taker if it rests.
    for (const o of r.done) if (o.id !== id) this.hash = foldFill(this.hash, id, o.id, o.price, o.size)
    if (r.partial !== null && r.partial.id !== id) this.hash = foldFill(this.hash, id, r.partial.id, r.partial.price, r.partialQuantityProcessed)
  }

  cancel (book: number, id: string): void { this.books[book]!.cancel(id) }
  reduce (book: number, id: string, size: number): void { this.books[book]!.modify(id, { size }) }
  checksum (): string { return this.hash.toString(16) }
  resting (): number { return this.books.reduce((n: number, b: any) => n + Object.keys(b.orders).length, 0) }
}

class LimitOrderBookEngine implements BenchEngine {
  readonly name = 'limit-order-book'
  readonly differs = 'it refuses prices <= 0 (not in these streams) and computes with decimal.js strings'
  private readonly lib = require('limit-order-book')
  private books: any[] = []
  private hash = FNV_OFFSET
  constructor (private readonly record: boolean) {}

  reset (books: number): void {
    this.books = Array.from({ length: books }, () => new this.lib.LimitOrderBook())
    this.hash = FNV_OFFSET
  }

  add (book: number, id: string, side: 0 | 1, price: number, size: number): void {
    const r = this.books[book]!.add(new this.lib.LimitOrder(id, side === 0 ? 'bid' : 'ask', String(price), String(size)))
    if (!this.record) return
    for (const m of r.makers as Array<{ orderId: string, price: string, filled: string }>) this.hash = foldFill(this.hash, id, m.orderId, Number(m.price), Number(m.filled))
  }

  cancel (book: number, id: string): void { this.books[book]!.remove(id) }
  reduce (book: number, id: string, size: number): void { this.books[book]!.reduce(id, String(size)) }
  checksum (): string { return this.hash.toString(16) }
  resting (): number { return this.books.reduce((n: number, x: any) => n + Object.keys(x.orders).length, 0) }
}

export const ENGINES: Record<string, (record: boolean) => BenchEngine> = {
  'te-gateway': (record) => new Ours(record),
  'te-gateway mechanism': (record) => new OursMechanism(record),
  'nodejs-order-book': (record) => new NodejsOrderBook(record),
  'limit-order-book': (record) => new LimitOrderBookEngine(record)
}
