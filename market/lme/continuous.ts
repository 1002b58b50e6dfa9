/**
 * Continuous double auction: one OrderBook per instrument, matching as orders arrive.
 */
import { OrderBook, type OrderBookListener, type RestingOrder } from './order-book.js'
import { invalidOrder, type MarketMechanism } from './mechanism.js'
import {
  instrumentKey, type BookSnapshot, type CancelReason, type Instrument, type MechanismEvent, type OrderCommand,
  type OrderSnapshot, type SelfTradePolicy, type Side
} from './types.js'

class Book implements OrderBookListener {
  readonly orderBook: OrderBook
  seq = 0
  matchNumber = 0
  closed = false
  /** Where the listener puts the events of the command being run. */
  out: MechanismEvent[] = []

  constructor (readonly key: string, readonly instrument: Instrument, selfTrade: SelfTradePolicy,
    private readonly forget: (orderId: string) => void) {
    this.orderBook = new OrderBook(this, selfTrade)
  }

  fill (maker: RestingOrder, takerId: string, takerPartyId: string, takerRemaining: number, price: number, quantity: number): void {
    if (maker.remaining === 0) this.forget(maker.orderId)
    this.out.push({
      type: 'fill', book: this.key, seq: ++this.seq, matchNumber: ++this.matchNumber, price, quantity,
      maker: { orderId: maker.orderId, partyId: maker.partyId, side: maker.side, remaining: maker.remaining },
      taker: { orderId: takerId, partyId: takerPartyId, side: maker.side === 'buy' ? 'sell' : 'buy', remaining: takerRemaining }
    })
  }

  cancel (orderId: string, partyId: string, side: Side, canceledQuantity: number, remaining: number, reason: CancelReason): void {
    if (remaining === 0) this.forget(orderId)
    this.out.push({ type: 'canceled', book: this.key, seq: ++this.seq, orderId, partyId, side, canceledQuantity, remaining, reason })
  }

  run (command: () => void): MechanismEvent[] {
    this.out = []
    command()
    return this.out
  }
}

export class ContinuousMechanism implements MarketMechanism {
  readonly kind = 'continuous' as const
  private readonly byKey = new Map<string, Book>()
  /** Open orders (resting, or being entered) -> their book. */
  private readonly orderBooks = new Map<string, Book>()

  constructor (private readonly selfTrade: SelfTradePolicy = 'cancelResting') {}

  submit (order: OrderCommand): MechanismEvent[] {
    const book = this.bookFor(order.instrument)
    return book.run(() => {
      const invalid = invalidOrder(order.price, order.quantity)
      const reject = invalid ?? (book.closed
        ? { reason: 'bookClosed' as const, text: 'the interval is closed for trading' }
        : this.orderBooks.has(order.orderId) ? { reason: 'duplicateOrderId' as const, text: `order ${order.orderId} exists` } : undefined)
      if (reject !== undefined) {
        book.out.push({ type: 'rejected', book: book.key, seq: ++book.seq, orderId: order.orderId, partyId: order.partyId, ...reject })
        return
      }
      const timeInForce = order.timeInForce ?? 'GTC'
      book.out.push({
        type: 'accepted', book: book.key, seq: ++book.seq, orderId: order.orderId, partyId: order.partyId,
        side: order.side, price: order.price, quantity: order.quantity, timeInForce
      })
      this.orderBooks.set(order.orderId, book)
      book.orderBook.enter(order.orderId, order.partyId, order.side, order.price, order.quantity, timeInForce)
      if (!book.orderBook.has(order.orderId)) this.orderBooks.delete(order.orderId)
    })
  }

  cancel (orderId: string): MechanismEvent[] {
    const book = this.orderBooks.get(orderId)
    if (book === undefined) return []
    return book.run(() => book.orderBook.cancel(orderId))
  }

  reduce (orderId: string, quantity: number): MechanismEvent[] {
    const book = this.orderBooks.get(orderId)
    if (book === undefined || !Number.isSafeInteger(quantity)) return []
    return book.run(() => book.orderBook.reduce(orderId, quantity))
  }

  closeInterval (instrument: Instrument): MechanismEvent[] {
    const book = this.bookFor(instrument)
    if (book.closed) return []
    return book.run(() => {
      book.orderBook.cancelAll('closed')
      book.closed = true
      book.out.push({ type: 'closed', book: book.key, seq: ++book.seq, volume: 0 })
    })
  }

  order (orderId: string): (OrderSnapshot & { book: string }) | undefined {
    const book = this.orderBooks.get(orderId)
    const o = book?.orderBook.order(orderId)
    if (book === undefined || o === undefined) return undefined
    return { book: book.key, orderId, partyId: o.partyId, side: o.side, price: o.price, remaining: o.remaining }
  }

  snapshot (instrument: Instrument): BookSnapshot | undefined {
    const book = this.byKey.get(instrumentKey(instrument))
    if (book === undefined) return undefined
    return {
      instrument: book.instrument,
      seq: book.seq,
      closed: book.closed,
      bids: book.orderBook.levels('buy'),
      asks: book.orderBook.levels('sell'),
      orders: book.orderBook.restingOrders()
    }
  }

  books (): string[] {
    return [...this.byKey.keys()]
  }

  private bookFor (instrument: Instrument): Book {
    const key = instrumentKey(instrument)
    let book = this.byKey.get(key)
    if (book === undefined) {
      book = new Book(key, { ...instrument }, this.selfTrade, (id) => this.orderBooks.delete(id))
      this.byKey.set(key, book)
    }
    return book
  }
}
