/**
 * Uniform-price call auction (sealed double auction): orders for an interval are collected until
 * its gate closes, then all of them clear at one price.
 *
 * Clearing price, among the prices of the collected orders:
 *   1. the price that executes the most volume, min(demand at or above it, supply at or below it);
 *   2. among those, the one with the smallest imbalance |demand - supply|;
 *   3. among those, if every candidate has excess demand, the highest; if every one has excess
 *      supply, the lowest; otherwise the midpoint of the lowest and highest, rounded down to a tick.
 * Allocation: buys above the price and sells below it fill completely. On the long side the
 * marginal quantity is rationed by priority: better price first, then time of arrival. Filled
 * quantities pair up in priority order of both sides into fills at the clearing price (the earlier
 * order of a pair is the maker). What does not fill is canceled with reason 'closed'.
 * Self-trades are not prevented here (they net to nothing in a party's position).
 * Only GTC orders make sense in a call; IOC and FOK are rejected as unsupported.
 */
import { invalidOrder, noNegativeZero, rejectUnsupported, type MarketMechanism, type SnapshotView } from './mechanism.js'
import { instrumentKey, type BookSnapshot, type Instrument, type LevelSnapshot, type MechanismEvent, type OrderCommand, type OrderSnapshot, type Side } from './types.js'

interface CollectedOrder {
  orderId: string
  partyId: string
  side: Side
  price: number
  remaining: number
  arrival: number
}

class AuctionBook {
  readonly orders = new Map<string, CollectedOrder>()
  seq = 0
  arrivals = 0
  closed = false
  /** Collected quantity per side: kept within MAX_SAFE_INTEGER, so that every sum is exact. */
  buyTotal = 0
  sellTotal = 0
  constructor (readonly key: string, readonly instrument: Instrument) {}
}

export interface Clearing {
  price: number
  volume: number
}

/**
 * The uniform clearing price and volume of a set of orders, or undefined if nothing crosses.
 * Candidates are the orders' limit prices; demand at p is the buy quantity limited at or above
 * p, supply the sell quantity limited at or below it (sorted sweeps: O(n log n)). Sums are exact
 * as long as each side's total is a safe integer, which the mechanism enforces.
 */
export function clearingPrice (orders: Iterable<{ side: Side, price: number, remaining: number }>): Clearing | undefined {
  const buys: Array<{ price: number, remaining: number }> = []
  const sells: Array<{ price: number, remaining: number }> = []
  for (const o of orders) (o.side === 'buy' ? buys : sells).push(o)
  if (buys.length === 0 || sells.length === 0) return undefined
  const byPrice = (a: { price: number }, b: { price: number }) => a.price < b.price ? -1 : a.price > b.price ? 1 : 0
  buys.sort(byPrice)
  sells.sort(byPrice)
  const prices = [...new Set([...buys, ...sells].map((o) => o.price))].sort((a, b) => a < b ? -1 : a > b ? 1 : 0)
  const demand: number[] = new Array<number>(prices.length)
  const supply: number[] = new Array<number>(prices.length)
  for (let i = prices.length - 1, j = buys.length - 1, acc = 0; i >= 0; i--) {
    while (j >= 0 && buys[j]!.price >= prices[i]!) acc += buys[j--]!.remaining
    demand[i] = acc
  }
  for (let i = 0, j = 0, acc = 0; i < prices.length; i++) {
    while (j < sells.length && sells[j]!.price <= prices[i]!) acc += sells[j++]!.remaining
    supply[i] = acc
  }
  // 1. most volume; 2. least |imbalance|; the candidates left, ascending by price.
  let volume = 0
  let least = Infinity
  let candidates: number[] = []
  for (let i = 0; i < prices.length; i++) {
    const v = Math.min(demand[i]!, supply[i]!)
    if (v === 0 || v < volume) continue
    const imbalance = Math.abs(demand[i]! - supply[i]!)
    if (v > volume || imbalance < least) {
      volume = v
      least = imbalance
      candidates = [i]
    } else if (imbalance === least) candidates.push(i)
  }
  if (candidates.length === 0) return undefined
  // 3. market pressure: all excess demand -> the highest; all excess supply -> the lowest;
  //    otherwise the midpoint of the lowest and highest, rounded down (exact, via bigint).
  const low = candidates[0]!
  const high = candidates[candidates.length - 1]!
  if (candidates.every((i) => demand[i]! > supply[i]!)) return { price: prices[high]!, volume }
  if (candidates.every((i) => demand[i]! < supply[i]!)) return { price: prices[low]!, volume }
  return { price: Number((BigInt(prices[low]!) + BigInt(prices[high]!)) >> 1n), volume }
}

export class CallAuctionMechanism implements MarketMechanism {
  readonly kind = 'callAuction' as const
  private readonly byKey = new Map<string, AuctionBook>()
  private readonly orderBooks = new Map<string, AuctionBook>()

  submit (order: OrderCommand): MechanismEvent[] {
    const book = this.bookFor(order.instrument)
    const invalid = invalidOrder(order.price, order.quantity)
    const reject = invalid ?? rejectUnsupported(order.side, 'GTC', false) ??
      (book.closed ? { reason: 'bookClosed' as const, text: 'the interval is closed for trading' } : undefined) ??
      (this.orderBooks.has(order.orderId) ? { reason: 'duplicateOrderId' as const, text: `order ${order.orderId} exists` } : undefined) ??
      ((order.timeInForce ?? 'GTC') !== 'GTC' ? { reason: 'unsupported' as const, text: `${order.timeInForce} orders are not supported by the call auction` } : undefined) ??
      ((order.side === 'buy' ? book.buyTotal : book.sellTotal) + order.quantity > Number.MAX_SAFE_INTEGER
        ? { reason: 'invalidQuantity' as const, text: `the ${order.side} side's total would pass ${Number.MAX_SAFE_INTEGER} ticks` }
        : undefined)
    if (reject !== undefined) {
      return [{ type: 'rejected', book: book.key, seq: ++book.seq, orderId: order.orderId, partyId: order.partyId, ...reject }]
    }
    book.orders.set(order.orderId, { orderId: order.orderId, partyId: order.partyId, side: order.side, price: noNegativeZero(order.price), remaining: order.quantity, arrival: ++book.arrivals })
    if (order.side === 'buy') book.buyTotal += order.quantity
    else book.sellTotal += order.quantity
    this.orderBooks.set(order.orderId, book)
    return [{ type: 'accepted', book: book.key, seq: ++book.seq, orderId: order.orderId, partyId: order.partyId, side: order.side, price: noNegativeZero(order.price), quantity: order.quantity, timeInForce: 'GTC' }]
  }

  cancel (orderId: string): MechanismEvent[] {
    return this.reduce(orderId, 0)
  }

  reduce (orderId: string, quantity: number): MechanismEvent[] {
    const book = this.orderBooks.get(orderId)
    const order = book?.orders.get(orderId)
    if (book === undefined || order === undefined || !Number.isSafeInteger(quantity) || quantity < 0 || quantity >= order.remaining) return []
    const canceled = order.remaining - quantity
    order.remaining = quantity
    if (order.side === 'buy') book.buyTotal -= canceled
    else book.sellTotal -= canceled
    if (quantity === 0) {
      book.orders.delete(orderId)
      this.orderBooks.delete(orderId)
    }
    return [{ type: 'canceled', book: book.key, seq: ++book.seq, orderId, partyId: order.partyId, side: order.side, canceledQuantity: canceled, remaining: quantity, reason: 'requested' }]
  }

  closeInterval (instrument: Instrument): MechanismEvent[] {
    const book = this.bookFor(instrument)
    if (book.closed) return []
    book.closed = true
    const events: MechanismEvent[] = []
    const clearing = clearingPrice(book.orders.values())
    if (clearing !== undefined) {
      const priority = (side: Side) => [...book.orders.values()]
        .filter((o) => o.side === side && (side === 'buy' ? o.price >= clearing.price : o.price <= clearing.price))
        .sort((a, b) => (side === 'buy' ? b.price - a.price : a.price - b.price) || a.arrival - b.arrival)
      const allocate = (orders: CollectedOrder[]) => {
        let left = clearing.volume
        return orders.map((o) => {
          const q = Math.min(o.remaining, left)
          left -= q
          return { order: o, quantity: q }
        }).filter((a) => a.quantity > 0)
      }
      const buys = allocate(priority('buy'))
      const sells = allocate(priority('sell'))
      let matchNumber = 0
      let b = 0
      let s = 0
      while (b < buys.length && s < sells.length) {
        const buy = buys[b]!
        const sell = sells[s]!
        const q = Math.min(buy.quantity, sell.quantity)
        buy.quantity -= q
        sell.quantity -= q
        buy.order.remaining -= q
        sell.order.remaining -= q
        const [maker, taker] = buy.order.arrival < sell.order.arrival ? [buy.order, sell.order] : [sell.order, buy.order]
        events.push({
          type: 'fill', book: book.key, seq: ++book.seq, matchNumber: ++matchNumber, price: clearing.price, quantity: q,
          maker: { orderId: maker.orderId, partyId: maker.partyId, side: maker.side, remaining: maker.remaining },
          taker: { orderId: taker.orderId, partyId: taker.partyId, side: taker.side, remaining: taker.remaining }
        })
        if (buy.quantity === 0) b++
        if (sell.quantity === 0) s++
      }
    }
    for (const o of [...book.orders.values()].sort((x, y) => x.arrival - y.arrival)) {
      if (o.remaining > 0) {
        events.push({ type: 'canceled', book: book.key, seq: ++book.seq, orderId: o.orderId, partyId: o.partyId, side: o.side, canceledQuantity: o.remaining, remaining: 0, reason: 'closed' })
      }
      this.orderBooks.delete(o.orderId)
    }
    book.orders.clear()
    book.buyTotal = book.sellTotal = 0
    events.push(clearing === undefined
      ? { type: 'closed', book: book.key, seq: ++book.seq, volume: 0 }
      : { type: 'closed', book: book.key, seq: ++book.seq, clearingPrice: clearing.price, volume: clearing.volume })
    return events
  }

  order (orderId: string): (OrderSnapshot & { book: string }) | undefined {
    const book = this.orderBooks.get(orderId)
    const o = book?.orders.get(orderId)
    if (book === undefined || o === undefined) return undefined
    return { book: book.key, orderId, partyId: o.partyId, side: o.side, price: o.price, remaining: o.remaining }
  }

  snapshot (instrument: Instrument, view: SnapshotView = {}): BookSnapshot | undefined {
    const book = this.byKey.get(instrumentKey(instrument))
    if (book === undefined) return undefined
    const orders = [...book.orders.values()]
    const side = (s: Side) => orders.filter((o) => o.side === s)
      .sort((a, b) => (s === 'buy' ? b.price - a.price : a.price - b.price) || a.arrival - b.arrival)
    const levels = (list: CollectedOrder[]): LevelSnapshot[] => {
      const out: LevelSnapshot[] = []
      for (const o of list) {
        const last = out[out.length - 1]
        if (last !== undefined && last.price === o.price) { last.quantity += o.remaining; last.orders++ } else out.push({ price: o.price, quantity: o.remaining, orders: 1 })
      }
      return out
    }
    const bids = side('buy')
    const asks = side('sell')
    return {
      instrument: book.instrument, seq: book.seq, closed: book.closed, bids: levels(bids).slice(0, view.depth), asks: levels(asks).slice(0, view.depth),
      orders: view.orders === false ? [] : [...bids, ...asks].map((o) => ({ orderId: o.orderId, partyId: o.partyId, side: o.side, price: o.price, remaining: o.remaining }))
    }
  }

  books (): string[] {
    return [...this.byKey.keys()]
  }

  private bookFor (instrument: Instrument): AuctionBook {
    const key = instrumentKey(instrument)
    let book = this.byKey.get(key)
    if (book === undefined) {
      book = new AuctionBook(key, { ...instrument })
      this.byKey.set(key, book)
    }
    return book
  }
}
