/**
 * Continuous double auction: one OrderBook per instrument, matching as orders arrive. The books
 * share one OrderStore, so an order id names one open order across all of them.
 */
import { OrderBook, OrderStore, type OrderBookListener } from './order-book.js'
import { invalidOrder, noNegativeZero, rejectUnsupported, type MarketMechanism, type SnapshotView } from './mechanism.js'
import {
  instrumentKey, type BookSnapshot, type CancelReason, type Instrument, type MechanismEvent, type OrderCommand,
  type OrderSnapshot, type SelfTradePolicy, type Side
} from './types.js'

/** One instrument's book, and the listener that turns what happens in it into numbered events. */
class Book implements OrderBookListener {
  readonly orderBook: OrderBook
  seq = 0
  matchNumber = 0
  closed = false
  /** Where the listener puts the events of the command being run. */
  out: MechanismEvent[] = []

  constructor (readonly key: string, readonly instrument: Instrument, selfTrade: SelfTradePolicy, store: OrderStore) {
    this.orderBook = new OrderBook(this, selfTrade, store)
  }

  fill (makerId: string, makerPartyId: string, makerRemaining: number, takerId: string, takerPartyId: string, takerRemaining: number,
    takerSide: Side, price: number, quantity: number): void {
    this.out.push({
      type: 'fill', book: this.key, seq: ++this.seq, matchNumber: ++this.matchNumber, price, quantity,
      maker: { orderId: makerId, partyId: makerPartyId, side: takerSide === 'buy' ? 'sell' : 'buy', remaining: makerRemaining },
      taker: { orderId: takerId, partyId: takerPartyId, side: takerSide, remaining: takerRemaining }
    })
  }

  cancel (orderId: string, partyId: string, side: Side, canceledQuantity: number, remaining: number, reason: CancelReason): void {
    this.out.push({ type: 'canceled', book: this.key, seq: ++this.seq, orderId, partyId, side, canceledQuantity, remaining, reason })
  }
}

export class ContinuousMechanism implements MarketMechanism {
  readonly kind = 'continuous' as const
  private readonly store = new OrderStore()
  private readonly byContext = new Map<string, Map<string, Map<string, Book>>>()
  /** Books by their number in the store. */
  private readonly byNumber: Book[] = []

  constructor (private readonly selfTrade: SelfTradePolicy = 'cancelResting') {}

  /**
   * Rejects an order that is invalid (price, quantity, side, time in force), late (its book is
   * closed), a duplicate (an open order has its id), or too large (its side's total would pass
   * Number.MAX_SAFE_INTEGER); otherwise accepts it and enters it in its book.
   */
  submit (order: OrderCommand): MechanismEvent[] {
    const book = this.bookFor(order.instrument)
    const events: MechanismEvent[] = []
    const timeInForce = order.timeInForce ?? 'GTC'
    const reject = invalidOrder(order.price, order.quantity) ?? rejectUnsupported(order.side, timeInForce, true) ??
      (book.closed
        ? { reason: 'bookClosed' as const, text: 'the interval is closed for trading' }
        : this.store.handles.has(order.orderId)
          ? { reason: 'duplicateOrderId' as const, text: `order ${order.orderId} exists` }
          : book.orderBook.total(order.side) + order.quantity > Number.MAX_SAFE_INTEGER
            ? { reason: 'invalidQuantity' as const, text: `the ${order.side} side's total would pass ${Number.MAX_SAFE_INTEGER} ticks` }
            : undefined)
    if (reject !== undefined) {
      events.push({ type: 'rejected', book: book.key, seq: ++book.seq, orderId: order.orderId, partyId: order.partyId, ...reject })
      return events
    }
    events.push({
      type: 'accepted', book: book.key, seq: ++book.seq, orderId: order.orderId, partyId: order.partyId,
      side: order.side, price: noNegativeZero(order.price), quantity: order.quantity, timeInForce
    })
    book.out = events
    book.orderBook.enter(order.orderId, order.partyId, order.side, noNegativeZero(order.price), order.quantity, timeInForce)
    return events
  }

  cancel (orderId: string): MechanismEvent[] {
    const book = this.bookOf(orderId)
    if (book === undefined) return []
    const events: MechanismEvent[] = []
    book.out = events
    book.orderBook.cancel(orderId)
    return events
  }

  reduce (orderId: string, quantity: number): MechanismEvent[] {
    const book = this.bookOf(orderId)
    if (book === undefined || !Number.isSafeInteger(quantity)) return []
    const events: MechanismEvent[] = []
    book.out = events
    book.orderBook.reduce(orderId, quantity)
    return events
  }

  closeInterval (instrument: Instrument): MechanismEvent[] {
    const book = this.bookFor(instrument)
    if (book.closed) return []
    const events: MechanismEvent[] = []
    book.out = events
    book.orderBook.cancelAll('closed')
    book.closed = true
    events.push({ type: 'closed', book: book.key, seq: ++book.seq, volume: 0 })
    return events
  }

  order (orderId: string): (OrderSnapshot & { book: string }) | undefined {
    const book = this.bookOf(orderId)
    const o = book?.orderBook.order(orderId)
    if (book === undefined || o === undefined) return undefined
    return { book: book.key, ...o }
  }

  snapshot (instrument: Instrument, view: SnapshotView = {}): BookSnapshot | undefined {
    const book = this.byContext.get(instrument.marketContext)?.get(instrument.dtStart)?.get(instrument.duration)
    if (book === undefined) return undefined
    return {
      instrument: book.instrument,
      seq: book.seq,
      closed: book.closed,
      bids: book.orderBook.levels('buy', view.depth),
      asks: book.orderBook.levels('sell', view.depth),
      orders: view.orders === false ? [] : book.orderBook.restingOrders()
    }
  }

  books (): string[] {
    return this.byNumber.map((b) => b.key)
  }

  private bookOf (orderId: string): Book | undefined {
    const n = this.store.bookOf(orderId)
    return n < 0 ? undefined : this.byNumber[n]
  }

  /** The instrument's book, created on first use. Found by marketContext, dtStart, duration in turn: no key string is built. */
  private bookFor (instrument: Instrument): Book {
    let starts = this.byContext.get(instrument.marketContext)
    if (starts === undefined) this.byContext.set(instrument.marketContext, starts = new Map())
    let durations = starts.get(instrument.dtStart)
    if (durations === undefined) starts.set(instrument.dtStart, durations = new Map())
    let book = durations.get(instrument.duration)
    if (book === undefined) {
      const key = instrumentKey(instrument)
      book = new Book(key, { ...instrument }, this.selfTrade, this.store)
      durations.set(instrument.duration, book)
      this.byNumber[book.orderBook.number] = book
    }
    return book
  }
}
