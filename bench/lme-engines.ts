/**
 * The engines under test, behind one small adapter each. Prices and sizes are the same integers
 * for all (limit-order-book takes them as decimal strings, as it requires).
 */
import { createRequire } from 'node:module'
import { OrderBook, type OrderBookListener } from '../market/lme/order-book.js'

const require = createRequire(import.meta.url)

export interface BenchEngine {
  readonly name: string
  /** Where its semantics differ from ours, so that checksums cannot agree. */
  readonly differs?: string
  reset: (books: number) => void
  add: (book: number, id: string, side: 0 | 1, price: number, quantity: number) => void
  cancel: (book: number, id: string) => void
  reduce: (book: number, id: string, quantity: number) => void
  /** Total traded quantity since reset. */
  volume: () => number
  /** Resting orders and quantity per side over all books, best-first depth of book 0. */
  depth: () => string
}

class Ours implements BenchEngine {
  readonly name = 'te-gateway'
  private books: OrderBook[] = []
  private traded = 0
  private readonly listener: OrderBookListener = {
    fill: (_maker, _takerId, _takerParty, _takerRemaining, _price, quantity) => { this.traded += quantity },
    cancel: () => {}
  }

  reset (books: number): void {
    this.books = Array.from({ length: books }, () => new OrderBook(this.listener, 'allow'))
    this.traded = 0
  }

  add (book: number, id: string, side: 0 | 1, price: number, quantity: number): void {
    this.books[book]!.enter(id, 'p', side === 0 ? 'buy' : 'sell', price, quantity)
  }

  cancel (book: number, id: string): void { this.books[book]!.cancel(id) }
  reduce (book: number, id: string, quantity: number): void { this.books[book]!.reduce(id, quantity) }
  volume (): number { return this.traded }
  depth (): string {
    const b = this.books[0]!
    return JSON.stringify([b.levels('buy').map((l) => [l.price, l.quantity]), b.levels('sell').map((l) => [l.price, l.quantity])]) +
      `|${this.books.reduce((n, x) => n + x.size, 0)}`
  }
}

class NodejsOrderBook implements BenchEngine {
  readonly name = 'nodejs-order-book'
  readonly differs = 'modify() of the size re-enters the order (its docs: "deemed as a new entry"), so it can lose time priority where ours keeps it; with reduces in the stream (M, K) the fills can differ'
  private readonly OrderBookClass = require('nodejs-order-book').OrderBook
  private books: any[] = []
  private traded = 0

  reset (books: number): void {
    this.books = Array.from({ length: books }, () => new this.OrderBookClass())
    this.traded = 0
  }

  add (book: number, id: string, side: 0 | 1, price: number, size: number): void {
    const r = this.books[book]!.limit({ id, side: side === 0 ? 'buy' : 'sell', size, price })
    this.traded += size - r.quantityLeft
  }

  cancel (book: number, id: string): void { this.books[book]!.cancel(id) }
  reduce (book: number, id: string, size: number): void { this.books[book]!.modify(id, { size }) }
  volume (): number { return this.traded }
  depth (): string {
    const [asks, bids] = this.books[0]!.depth() as [Array<[number, number]>, Array<[number, number]>]
    const count = this.books.reduce((n: number, b: any) => n + Object.keys(b.orders).length, 0)
    return JSON.stringify([bids.map(([p, q]) => [p, q]), [...asks].sort((x, y) => x[0] - y[0]).map(([p, q]) => [p, q])]) + `|${count}`
  }
}

class LimitOrderBookEngine implements BenchEngine {
  readonly name = 'limit-order-book'
  private readonly lib = require('limit-order-book')
  private books: any[] = []
  private traded = 0

  reset (books: number): void {
    this.books = Array.from({ length: books }, () => new this.lib.LimitOrderBook())
    this.traded = 0
  }

  add (book: number, id: string, side: 0 | 1, price: number, size: number): void {
    const r = this.books[book]!.add(new this.lib.LimitOrder(id, side === 0 ? 'bid' : 'ask', String(price), String(size)))
    this.traded += Number(r.taker.filled)
  }

  cancel (book: number, id: string): void { this.books[book]!.remove(id) }
  reduce (book: number, id: string, size: number): void { this.books[book]!.reduce(id, String(size)) }
  volume (): number { return this.traded }
  depth (): string {
    const b = this.books[0]!
    const levels = (q: any) => q.queue.map((l: any) => [Number(l.price), Number(l.volume)])
    const count = this.books.reduce((n: number, x: any) => n + Object.keys(x.orders).length, 0)
    return JSON.stringify([levels(b.bidLevels), levels(b.askLevels)]) + `|${count}`
  }
}

export const ENGINES: Record<string, () => BenchEngine> = {
  'te-gateway': () => new Ours(),
  'nodejs-order-book': () => new NodejsOrderBook(),
  'limit-order-book': () => new LimitOrderBookEngine()
}
