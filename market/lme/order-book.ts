/**
 * A limit order book for one instrument: price-time priority, trades at the resting order's price,
 * partial fills on both sides, O(1) cancel and reduce (which keeps the order's place in its queue).
 *
 * In the manner of Parity's matcher, the book has a tiny surface and reports everything that
 * happens to a listener; it does no I/O and no formatting. Callers validate first: ids unique,
 * prices and quantities safe integers, quantity > 0.
 *
 * Structure: each side keeps its price levels in an array sorted so that the best level is last
 * (bids ascending, asks descending) and in a Map by price; each level is a doubly linked FIFO
 * of orders; an order id Map gives any order in O(1).
 */
import type { CancelReason, LevelSnapshot, OrderSnapshot, SelfTradePolicy, Side, TimeInForce } from './types.js'

export interface OrderBookListener {
  /** A trade: the resting (maker) order and the incoming (taker) order, at the maker's price. */
  fill: (maker: RestingOrder, takerId: string, takerPartyId: string, takerRemaining: number, price: number, quantity: number) => void
  /** An order, resting or incoming, lost `canceledQuantity`; `remaining` is what is left resting (0: gone). */
  cancel: (orderId: string, partyId: string, side: Side, canceledQuantity: number, remaining: number, reason: CancelReason) => void
}

export class RestingOrder {
  prev: RestingOrder | null = null
  next: RestingOrder | null = null
  constructor (
    readonly orderId: string,
    readonly partyId: string,
    readonly side: Side,
    readonly price: number,
    public remaining: number,
    public level: Level
  ) {}
}

export class Level {
  head: RestingOrder | null = null
  tail: RestingOrder | null = null
  quantity = 0
  orders = 0
  constructor (readonly price: number) {}

  push (order: RestingOrder): void {
    order.prev = this.tail
    order.next = null
    if (this.tail === null) this.head = order
    else this.tail.next = order
    this.tail = order
    this.quantity += order.remaining
    this.orders++
  }

  unlink (order: RestingOrder): void {
    if (order.prev === null) this.head = order.next
    else order.prev.next = order.next
    if (order.next === null) this.tail = order.prev
    else order.next.prev = order.prev
    order.prev = order.next = null
    this.quantity -= order.remaining
    this.orders--
  }
}

class BookSide {
  /** Sorted so that the best level is last. */
  readonly levels: Level[] = []
  readonly byPrice = new Map<number, Level>()
  /** +1 for bids (higher is better), -1 for asks. */
  constructor (private readonly direction: 1 | -1) {}

  best (): Level | undefined {
    return this.levels[this.levels.length - 1]
  }

  levelFor (price: number): Level {
    let level = this.byPrice.get(price)
    if (level === undefined) {
      level = new Level(price)
      this.byPrice.set(price, level)
      // Binary search for the first level better than the new one; insert before it.
      const key = price * this.direction
      let lo = 0
      let hi = this.levels.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (this.levels[mid]!.price * this.direction < key) lo = mid + 1
        else hi = mid
      }
      this.levels.splice(lo, 0, level)
    }
    return level
  }

  remove (level: Level): void {
    this.byPrice.delete(level.price)
    const last = this.levels.length - 1
    if (this.levels[last] === level) {
      this.levels.pop()
    } else {
      this.levels.splice(this.levels.lastIndexOf(level), 1)
    }
  }
}

export class OrderBook {
  private readonly bids = new BookSide(1)
  private readonly asks = new BookSide(-1)
  private readonly orders = new Map<string, RestingOrder>()

  constructor (
    private readonly listener: OrderBookListener,
    private readonly selfTrade: SelfTradePolicy = 'cancelResting'
  ) {}

  get size (): number {
    return this.orders.size
  }

  has (orderId: string): boolean {
    return this.orders.has(orderId)
  }

  order (orderId: string): RestingOrder | undefined {
    return this.orders.get(orderId)
  }

  /**
   * Enters an order. It is first matched against resting orders of the other side, best price
   * first and oldest first within a price, each trade at the resting order's price. If quantity
   * remains, a GTC order is added to the book; an IOC order's rest is canceled. A FOK order that
   * cannot fill completely at once is canceled whole before it trades.
   */
  enter (orderId: string, partyId: string, side: Side, price: number, quantity: number, timeInForce: TimeInForce = 'GTC'): void {
    if (timeInForce === 'FOK' && this.fillable(partyId, side, price, quantity) < quantity) {
      this.listener.cancel(orderId, partyId, side, quantity, 0, 'fok')
      return
    }
    const remaining = side === 'buy'
      ? this.match(orderId, partyId, price, quantity, this.asks, true)
      : this.match(orderId, partyId, price, quantity, this.bids, false)
    if (remaining === 0) return
    if (remaining < 0) return // canceled by self-trade prevention (cancelIncoming)
    if (timeInForce !== 'GTC') {
      this.listener.cancel(orderId, partyId, side, remaining, 0, 'ioc')
      return
    }
    const own = side === 'buy' ? this.bids : this.asks
    const level = own.levelFor(price)
    const order = new RestingOrder(orderId, partyId, side, price, remaining, level)
    level.push(order)
    this.orders.set(orderId, order)
  }

  /** Cancels a resting order. An unknown id does nothing and returns false. */
  cancel (orderId: string, reason: CancelReason = 'requested'): boolean {
    const order = this.orders.get(orderId)
    if (order === undefined) return false
    const canceled = order.remaining
    this.removeOrder(order)
    this.listener.cancel(order.orderId, order.partyId, order.side, canceled, 0, reason)
    return true
  }

  /**
   * Reduces a resting order to `quantity` (> 0 and below what remains), keeping its place in the
   * queue; 0 cancels it. An unknown id, or a quantity not below the remainder, does nothing and
   * returns false.
   */
  reduce (orderId: string, quantity: number): boolean {
    const order = this.orders.get(orderId)
    if (order === undefined || quantity >= order.remaining || quantity < 0) return false
    if (quantity === 0) return this.cancel(orderId)
    const canceled = order.remaining - quantity
    order.remaining = quantity
    order.level.quantity -= canceled
    this.listener.cancel(order.orderId, order.partyId, order.side, canceled, quantity, 'requested')
    return true
  }

  /** Cancels every resting order, bids then asks, best first (gate closure). */
  cancelAll (reason: CancelReason): void {
    for (const side of [this.bids, this.asks]) {
      for (let i = side.levels.length - 1; i >= 0; i--) {
        for (let o = side.levels[i]!.head; o !== null; o = o.next) {
          this.listener.cancel(o.orderId, o.partyId, o.side, o.remaining, 0, reason)
        }
      }
      side.levels.length = 0
      side.byPrice.clear()
    }
    this.orders.clear()
  }

  bestBid (): number | undefined {
    return this.bids.best()?.price
  }

  bestAsk (): number | undefined {
    return this.asks.best()?.price
  }

  levels (side: Side): LevelSnapshot[] {
    const levels = (side === 'buy' ? this.bids : this.asks).levels
    const out: LevelSnapshot[] = []
    for (let i = levels.length - 1; i >= 0; i--) {
      const l = levels[i]!
      out.push({ price: l.price, quantity: l.quantity, orders: l.orders })
    }
    return out
  }

  /** Resting orders in priority order: bids best first, then asks best first. */
  restingOrders (): OrderSnapshot[] {
    const out: OrderSnapshot[] = []
    for (const side of [this.bids, this.asks]) {
      for (let i = side.levels.length - 1; i >= 0; i--) {
        for (let o = side.levels[i]!.head; o !== null; o = o.next) {
          out.push({ orderId: o.orderId, partyId: o.partyId, side: o.side, price: o.price, remaining: o.remaining })
        }
      }
    }
    return out
  }

  /** Matches an incoming order; returns what remains, or -1 if self-trade prevention canceled it. */
  private match (orderId: string, partyId: string, limit: number, quantity: number, opposite: BookSide, buying: boolean): number {
    let remaining = quantity
    while (remaining > 0) {
      const level = opposite.best()
      if (level === undefined || (buying ? level.price > limit : level.price < limit)) break
      let order = level.head
      while (order !== null && remaining > 0) {
        const next = order.next
        if (order.partyId === partyId && this.selfTrade !== 'allow') {
          if (this.selfTrade === 'cancelIncoming') {
            this.listener.cancel(orderId, partyId, buying ? 'buy' : 'sell', remaining, 0, 'selfTrade')
            if (level.orders === 0) opposite.remove(level)
            return -1
          }
          const canceled = order.remaining
          this.removeOrder(order, false)
          this.listener.cancel(order.orderId, order.partyId, order.side, canceled, 0, 'selfTrade')
          order = next
          continue
        }
        const traded = order.remaining < remaining ? order.remaining : remaining
        remaining -= traded
        order.remaining -= traded
        level.quantity -= traded
        if (order.remaining === 0) {
          level.unlink(order)
          this.orders.delete(order.orderId)
        }
        this.listener.fill(order, orderId, partyId, remaining, level.price, traded)
        order = next
      }
      if (level.orders === 0) opposite.remove(level)
    }
    return remaining
  }

  /** How much of an order could fill at once, as matching would see it (self-trade rules included). */
  private fillable (partyId: string, side: Side, limit: number, wanted: number): number {
    const opposite = side === 'buy' ? this.asks : this.bids
    let available = 0
    for (let i = opposite.levels.length - 1; i >= 0 && available < wanted; i--) {
      const level = opposite.levels[i]!
      if (side === 'buy' ? level.price > limit : level.price < limit) break
      if (this.selfTrade === 'allow') {
        available += level.quantity
        continue
      }
      for (let o = level.head; o !== null && available < wanted; o = o.next) {
        if (o.partyId !== partyId) available += o.remaining
        else if (this.selfTrade === 'cancelIncoming') return available
      }
    }
    return available
  }

  private removeOrder (order: RestingOrder, dropEmptyLevel = true): void {
    const level = order.level
    level.unlink(order)
    this.orders.delete(order.orderId)
    if (dropEmptyLevel && level.orders === 0) (order.side === 'buy' ? this.bids : this.asks).remove(level)
  }
}
