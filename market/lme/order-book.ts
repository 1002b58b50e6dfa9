/**
 * A limit order book for one instrument: price-time priority, trades at the resting order's price,
 * partial fills on both sides, O(1) cancel and reduce (a reduce keeps the order's place in its
 * queue), GTC / IOC / FOK, and self-trade prevention as a setting.
 *
 * In the manner of Parity's matcher, the book has a tiny surface and reports everything that
 * happens to a listener, synchronously and in order; it does no I/O, no formatting and no
 * validation. Callers validate first: order ids unique among the resting orders of the store,
 * prices and quantities safe integers, quantity > 0, and each side's total within
 * Number.MAX_SAFE_INTEGER (see `total`), which keeps every sum the book makes exact.
 *
 * Storage, built for speed and for few cache misses, with no allocation per operation once warm:
 * - Orders and price levels are records in an `OrderStore`, shared by the books of a mechanism:
 *   each record is a few adjacent slots of one ArrayBuffer (viewed as Float64 for quantities and
 *   prices, Int32 for links), addressed by an integer handle, with a free list; a Map gives an
 *   order id's handle; parties are interned to small integers (compared as such for self-trade).
 * - Each level is a doubly linked FIFO of order handles: cancel and reduce are O(1).
 * - Each side of a book keeps its levels in a sorted array of (key, level) entries, best last,
 *   where the key is the price for bids and -price for asks (exact for safe integers), so a
 *   greater key is always a better price: the best level is O(1); a new level is O(1) at the top
 *   of the book and a binary search plus a short copy elsewhere, as is removing an emptied level.
 */
import type { CancelReason, LevelSnapshot, OrderSnapshot, SelfTradePolicy, Side, TimeInForce } from './types.js'

export interface OrderBookListener {
  /**
   * A trade of `quantity` at `price`, the resting (maker) order's price. The remainders are what
   * each order has left after this fill (0: the maker has left the book).
   */
  fill: (makerId: string, makerPartyId: string, makerRemaining: number,
    takerId: string, takerPartyId: string, takerRemaining: number, takerSide: Side,
    price: number, quantity: number) => void
  /**
   * An order, resting or incoming, lost `canceledQuantity`; `remaining` is what it still has
   * resting (0: it is gone).
   */
  cancel: (orderId: string, partyId: string, side: Side, canceledQuantity: number, remaining: number, reason: CancelReason) => void
}

const NONE = -1
const BUY = 0
const SELL = 1
const SIDES: readonly Side[] = ['buy', 'sell']

/** Self-trade policy as a small integer for the matching loop. */
const ALLOW = 0
const CANCEL_RESTING = 1
const CANCEL_INCOMING = 2

/*
 * Record layouts. An order is 32 bytes: F[4h] remaining; I[8h+2] level, I[8h+3] prev,
 * I[8h+4] next (for a free record: the next free one), I[8h+5] owner book (NONE when free),
 * I[8h+6] party (an index in the store's party table).
 * A level is 32 bytes: F[4l] price, F[4l+1] quantity; I[8l+4] orders, I[8l+5] head (for a free
 * level: the next free one), I[8l+6] tail, I[8l+7] side.
 */
const O_F = 4
const O_I = 8
const O_LEVEL = 2
const O_PREV = 3
const O_NEXT = 4
const O_OWNER = 5
const O_PARTY = 6
const L_F = 4
const L_I = 8
const L_QUANTITY = 1
const L_ORDERS = 4
const L_HEAD = 5
const L_TAIL = 6
const L_SIDE = 7

/**
 * Orders and price levels of any number of books, as records addressed by handle. A freed record
 * is reused first (LIFO), and the buffers double when full, so a warm store does not allocate.
 * Order ids are unique per store: the id map holds every resting order of every book in it.
 */
/** The same records in a buffer twice the size, seen as floats and as ints (a store grows this way). */
function doubled (floats: Float64Array): { floats: Float64Array, ints: Int32Array } {
  const buffer = new ArrayBuffer(floats.byteLength * 2)
  const grown = new Float64Array(buffer)
  grown.set(floats)
  return { floats: grown, ints: new Int32Array(buffer) }
}

export class OrderStore {
  /** Order id -> handle, for every resting order. */
  readonly handles = new Map<string, number>()
  /** names[h] is order h's id. */
  names: string[] = []
  /** Parties by index, and their indexes (parties are few: the table only grows). */
  readonly parties: string[] = []
  private readonly partyIndex = new Map<string, number>()
  of: Float64Array
  oi: Int32Array
  private orderCapacity: number
  private orderTop = 0
  private orderFree = NONE

  lf: Float64Array
  li: Int32Array
  private levelCapacity: number
  private levelTop = 0
  private levelFree = NONE

  private books = 0

  constructor (orders = 1024, levels = 256) {
    this.orderCapacity = orders
    const o = new ArrayBuffer(orders * O_F * 8)
    this.of = new Float64Array(o)
    this.oi = new Int32Array(o)
    this.levelCapacity = levels
    const l = new ArrayBuffer(levels * L_F * 8)
    this.lf = new Float64Array(l)
    this.li = new Int32Array(l)
  }

  /** A number for a new book. */
  register (): number {
    return this.books++
  }

  /** Resting orders in the store, over all its books. */
  get size (): number {
    return this.handles.size
  }

  /** The index of a party in the party table (added if new). */
  party (partyId: string): number {
    let p = this.partyIndex.get(partyId)
    if (p === undefined) {
      p = this.parties.length
      this.parties.push(partyId)
      this.partyIndex.set(partyId, p)
    }
    return p
  }

  /** The handle of a resting order, or NONE (-1). */
  find (orderId: string): number {
    return this.handles.get(orderId) ?? NONE
  }

  /** The number of the book an order rests in, or NONE (-1). */
  bookOf (orderId: string): number {
    const h = this.find(orderId)
    return h === NONE ? NONE : this.oi[O_I * h + O_OWNER]!
  }

  allocOrder (): number {
    let h = this.orderFree
    if (h !== NONE) {
      this.orderFree = this.oi[O_I * h + O_NEXT]!
      return h
    }
    if (this.orderTop === this.orderCapacity) {
      ({ floats: this.of, ints: this.oi } = doubled(this.of))
      this.orderCapacity *= 2
    }
    h = this.orderTop++
    this.names.push('')
    return h
  }

  freeOrder (h: number): void {
    this.names[h] = ''
    this.oi[O_I * h + O_OWNER] = NONE
    this.oi[O_I * h + O_NEXT] = this.orderFree
    this.orderFree = h
  }

  allocLevel (price: number, side: number): number {
    let l = this.levelFree
    if (l !== NONE) this.levelFree = this.li[L_I * l + L_HEAD]!
    else {
      if (this.levelTop === this.levelCapacity) {
        ({ floats: this.lf, ints: this.li } = doubled(this.lf))
        this.levelCapacity *= 2
      }
      l = this.levelTop++
    }
    this.lf[L_F * l] = price
    this.lf[L_F * l + L_QUANTITY] = 0
    this.li[L_I * l + L_ORDERS] = 0
    this.li[L_I * l + L_HEAD] = NONE
    this.li[L_I * l + L_TAIL] = NONE
    this.li[L_I * l + L_SIDE] = side
    return l
  }

  freeLevel (l: number): void {
    this.li[L_I * l + L_HEAD] = this.levelFree
    this.levelFree = l
  }
}

/**
 * The levels of one side of a book: entries (key, level) sorted by key ascending, best last, in
 * one buffer (k[2i] the key, v[4i + 2] the level). The key is the price for bids and -price for
 * asks: the greater key is always the better price.
 */
class Ladder {
  k: Float64Array
  v: Int32Array
  length = 0

  /** +1 for bids, -1 for asks. */
  constructor (readonly direction: 1 | -1) {
    const b = new ArrayBuffer(16 * 16)
    this.k = new Float64Array(b)
    this.v = new Int32Array(b)
  }

  key (i: number): number {
    return this.k[2 * i]!
  }

  level (i: number): number {
    return this.v[4 * i + 2]!
  }

  /** The index of the first key >= `key` (length if none). */
  lowerBound (key: number): number {
    const k = this.k
    let lo = 0
    let hi = this.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (k[2 * mid]! < key) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  insertAt (i: number, key: number, level: number): void {
    if (2 * this.length === this.k.length) {
      const b = new ArrayBuffer(this.k.length * 16)
      new Float64Array(b).set(this.k)
      this.k = new Float64Array(b)
      this.v = new Int32Array(b)
    }
    if (i < this.length) this.k.copyWithin(2 * i + 2, 2 * i, 2 * this.length)
    this.k[2 * i] = key
    this.v[4 * i + 2] = level
    this.length++
  }

  removeAt (i: number): void {
    const last = --this.length
    if (i < last) this.k.copyWithin(2 * i, 2 * i + 2, 2 * last + 2)
  }
}

export class OrderBook {
  /** This book's number in its store. */
  readonly number: number
  private readonly bids = new Ladder(1)
  private readonly asks = new Ladder(-1)
  private readonly selfTrade: number
  private count = 0
  private bidTotal = 0
  private askTotal = 0

  /**
   * @param listener receives every fill and cancel, in the order they happen
   * @param selfTrade what to do when an incoming order meets a resting order of its own party
   * @param store where the orders live; books of one mechanism share one (ids unique across it)
   */
  constructor (
    private readonly listener: OrderBookListener,
    selfTrade: SelfTradePolicy = 'cancelResting',
    readonly store: OrderStore = new OrderStore()
  ) {
    this.selfTrade = selfTrade === 'allow' ? ALLOW : selfTrade === 'cancelIncoming' ? CANCEL_INCOMING : CANCEL_RESTING
    this.number = store.register()
  }

  /** Resting orders in this book. */
  get size (): number {
    return this.count
  }

  /** The resting quantity of one side: callers keep it + a new order's quantity within MAX_SAFE_INTEGER. */
  total (side: Side): number {
    return side === 'buy' ? this.bidTotal : this.askTotal
  }

  has (orderId: string): boolean {
    return this.handleOf(orderId) !== NONE
  }

  /** A resting order, or undefined. */
  order (orderId: string): OrderSnapshot | undefined {
    const h = this.handleOf(orderId)
    if (h === NONE) return undefined
    const s = this.store
    const level = s.oi[O_I * h + O_LEVEL]!
    return {
      orderId, partyId: s.parties[s.oi[O_I * h + O_PARTY]!]!, side: SIDES[s.li[L_I * level + L_SIDE]!]!,
      price: s.lf[L_F * level]!, remaining: s.of[O_F * h]!
    }
  }

  /**
   * Enters an order. A FOK order that could not fill completely at once is first canceled whole
   * (reason 'fok'), before it trades. Otherwise the order is matched against the other side, best
   * price first and oldest first within a price, each trade at the resting order's price, while
   * its limit allows. A resting order of the same party is, by the self-trade policy, canceled
   * (reason 'selfTrade', and matching goes on), or makes the incoming order's rest be canceled
   * (reason 'selfTrade'), or trades. What remains then rests at the back of its price's queue if
   * the order is GTC; an IOC or FOK order's rest is canceled (reason 'ioc').
   */
  enter (orderId: string, partyId: string, side: Side, price: number, quantity: number, timeInForce: TimeInForce = 'GTC'): void {
    if (price === 0) price = 0 // never -0: a level's price is what fills and snapshots report
    const s = side === 'buy' ? BUY : SELL
    const party = this.store.party(partyId)
    if (timeInForce === 'FOK' && this.fillable(party, s, price, quantity) < quantity) {
      this.listener.cancel(orderId, partyId, side, quantity, 0, 'fok')
      return
    }
    const remaining = this.match(orderId, partyId, party, s, side, price, quantity)
    if (remaining <= 0) return // filled, or canceled by self-trade prevention
    if (timeInForce !== 'GTC') {
      this.listener.cancel(orderId, partyId, side, remaining, 0, 'ioc')
      return
    }
    this.rest(orderId, party, s, price, remaining)
  }

  /** Cancels a resting order (by default for reason 'requested'). An unknown id does nothing and returns false. */
  cancel (orderId: string, reason: CancelReason = 'requested'): boolean {
    const h = this.handleOf(orderId)
    if (h === NONE) return false
    const s = this.store
    const canceled = s.of[O_F * h]!
    const partyId = s.parties[s.oi[O_I * h + O_PARTY]!]!
    const side = s.li[L_I * s.oi[O_I * h + O_LEVEL]! + L_SIDE]!
    this.remove(h)
    this.listener.cancel(orderId, partyId, SIDES[side]!, canceled, 0, reason)
    return true
  }

  /**
   * Reduces a resting order to `quantity` (> 0 and below what remains), keeping its place in the
   * queue (reason 'requested'); 0 cancels it. An unknown id, or a quantity not below the
   * remainder, does nothing and returns false.
   */
  reduce (orderId: string, quantity: number): boolean {
    const h = this.handleOf(orderId)
    if (h === NONE) return false
    const s = this.store
    const before = s.of[O_F * h]!
    if (quantity >= before || quantity < 0) return false
    if (quantity === 0) return this.cancel(orderId)
    const canceled = before - quantity
    const level = s.oi[O_I * h + O_LEVEL]!
    const side = s.li[L_I * level + L_SIDE]!
    s.of[O_F * h] = quantity
    s.lf[L_F * level + L_QUANTITY] = s.lf[L_F * level + L_QUANTITY]! - canceled
    if (side === BUY) this.bidTotal -= canceled
    else this.askTotal -= canceled
    this.listener.cancel(orderId, s.parties[s.oi[O_I * h + O_PARTY]!]!, SIDES[side]!, canceled, quantity, 'requested')
    return true
  }

  /** Cancels every resting order: bids then asks, best level first, each queue in order (gate closure). */
  cancelAll (reason: CancelReason): void {
    const s = this.store
    for (const ladder of [this.bids, this.asks]) {
      while (ladder.length > 0) {
        const level = ladder.level(ladder.length - 1)
        const side = SIDES[s.li[L_I * level + L_SIDE]!]!
        for (let h = s.li[L_I * level + L_HEAD]!; h !== NONE;) {
          const next = s.oi[O_I * h + O_NEXT]!
          const orderId = s.names[h]!
          const partyId = s.parties[s.oi[O_I * h + O_PARTY]!]!
          const canceled = s.of[O_F * h]!
          s.handles.delete(orderId)
          s.freeOrder(h)
          this.listener.cancel(orderId, partyId, side, canceled, 0, reason)
          h = next
        }
        ladder.length--
        s.freeLevel(level)
      }
    }
    this.count = 0
    this.bidTotal = this.askTotal = 0
  }

  bestBid (): number | undefined {
    return this.bids.length === 0 ? undefined : this.store.lf[L_F * this.bids.level(this.bids.length - 1)]
  }

  bestAsk (): number | undefined {
    return this.asks.length === 0 ? undefined : this.store.lf[L_F * this.asks.level(this.asks.length - 1)]
  }

  /** The levels of one side, best first (at most `depth` of them). */
  levels (side: Side, depth = Infinity): LevelSnapshot[] {
    const ladder = side === 'buy' ? this.bids : this.asks
    const s = this.store
    const out: LevelSnapshot[] = []
    for (let i = ladder.length - 1; i >= 0 && out.length < depth; i--) {
      const l = ladder.level(i)
      out.push({ price: s.lf[L_F * l]!, quantity: s.lf[L_F * l + L_QUANTITY]!, orders: s.li[L_I * l + L_ORDERS]! })
    }
    return out
  }

  /** Resting orders in priority order: bids best first, then asks best first. */
  restingOrders (): OrderSnapshot[] {
    const s = this.store
    const out: OrderSnapshot[] = []
    for (const ladder of [this.bids, this.asks]) {
      for (let i = ladder.length - 1; i >= 0; i--) {
        const l = ladder.level(i)
        const side = SIDES[s.li[L_I * l + L_SIDE]!]!
        const price = s.lf[L_F * l]!
        for (let h = s.li[L_I * l + L_HEAD]!; h !== NONE; h = s.oi[O_I * h + O_NEXT]!) {
          out.push({ orderId: s.names[h]!, partyId: s.parties[s.oi[O_I * h + O_PARTY]!]!, side, price, remaining: s.of[O_F * h]! })
        }
      }
    }
    return out
  }

  private handleOf (orderId: string): number {
    const h = this.store.find(orderId)
    return h === NONE || this.store.oi[O_I * h + O_OWNER] !== this.number ? NONE : h
  }

  /** Matches an incoming order; returns what remains, or -1 if self-trade prevention canceled it. */
  private match (orderId: string, partyId: string, party: number, s: number, side: Side, limit: number, quantity: number): number {
    const opposite = s === BUY ? this.asks : this.bids
    // A level crosses when its key >= bound: asks at or below a buy's limit, bids at or above a sell's.
    const bound = opposite.direction * limit
    const store = this.store
    const of = store.of
    const oi = store.oi
    const lf = store.lf
    const li = store.li
    const names = store.names
    const parties = store.parties
    const selfTrade = this.selfTrade
    const makerSide = SIDES[1 - s]!
    let remaining = quantity
    while (remaining > 0 && opposite.length > 0) {
      const top = opposite.length - 1
      if (opposite.key(top) < bound) break
      const level = opposite.level(top)
      const price = lf[L_F * level]!
      let h = li[L_I * level + L_HEAD]!
      while (h !== NONE && remaining > 0) {
        const following = oi[O_I * h + O_NEXT]!
        const makerParty = oi[O_I * h + O_PARTY]!
        const makerId = names[h]!
        if (selfTrade !== ALLOW && makerParty === party) {
          if (selfTrade === CANCEL_INCOMING) {
            this.listener.cancel(orderId, partyId, side, remaining, 0, 'selfTrade')
            return -1
          }
          const canceled = of[O_F * h]!
          this.unlink(h, level, 1 - s)
          store.handles.delete(makerId)
          store.freeOrder(h)
          this.listener.cancel(makerId, partyId, makerSide, canceled, 0, 'selfTrade')
          h = following
          continue
        }
        const available = of[O_F * h]!
        const traded = available < remaining ? available : remaining
        const left = available - traded
        remaining -= traded
        if (left === 0) {
          this.unlink(h, level, 1 - s)
          store.handles.delete(makerId)
          store.freeOrder(h)
        } else {
          of[O_F * h] = left
          lf[L_F * level + L_QUANTITY] = lf[L_F * level + L_QUANTITY]! - traded
          if (s === BUY) this.askTotal -= traded
          else this.bidTotal -= traded
        }
        this.listener.fill(makerId, parties[makerParty]!, left, orderId, partyId, remaining, side, price, traded)
        h = following
      }
      if (li[L_I * level + L_ORDERS] === 0) {
        opposite.length--
        store.freeLevel(level)
      }
    }
    return remaining
  }

  /** Adds what remains of a GTC order at the back of its price's queue. */
  private rest (orderId: string, party: number, s: number, price: number, quantity: number): void {
    const ladder = s === BUY ? this.bids : this.asks
    const store = this.store
    const key = ladder.direction * price
    const n = ladder.length
    let level: number
    const best = n > 0 ? ladder.key(n - 1) : -Infinity
    if (best === key) level = ladder.level(n - 1)
    else {
      const i = best < key ? n : ladder.lowerBound(key)
      if (i < n && ladder.key(i) === key) level = ladder.level(i)
      else {
        level = store.allocLevel(price, s)
        ladder.insertAt(i, key, level)
      }
    }
    const h = store.allocOrder()
    const oi = store.oi
    const li = store.li
    const lf = store.lf
    store.names[h] = orderId
    store.of[O_F * h] = quantity
    const tail = li[L_I * level + L_TAIL]!
    oi[O_I * h + O_LEVEL] = level
    oi[O_I * h + O_PREV] = tail
    oi[O_I * h + O_NEXT] = NONE
    oi[O_I * h + O_OWNER] = this.number
    oi[O_I * h + O_PARTY] = party
    if (tail === NONE) li[L_I * level + L_HEAD] = h
    else oi[O_I * tail + O_NEXT] = h
    li[L_I * level + L_TAIL] = h
    lf[L_F * level + L_QUANTITY] = lf[L_F * level + L_QUANTITY]! + quantity
    li[L_I * level + L_ORDERS] = li[L_I * level + L_ORDERS]! + 1
    store.handles.set(orderId, h)
    this.count++
    if (s === BUY) this.bidTotal += quantity
    else this.askTotal += quantity
  }

  /** Takes an order out of its level's queue and the counts; the caller frees it. */
  private unlink (h: number, level: number, s: number): void {
    const store = this.store
    const oi = store.oi
    const li = store.li
    const prev = oi[O_I * h + O_PREV]!
    const next = oi[O_I * h + O_NEXT]!
    if (prev === NONE) li[L_I * level + L_HEAD] = next
    else oi[O_I * prev + O_NEXT] = next
    if (next === NONE) li[L_I * level + L_TAIL] = prev
    else oi[O_I * next + O_PREV] = prev
    const quantity = store.of[O_F * h]!
    store.lf[L_F * level + L_QUANTITY] = store.lf[L_F * level + L_QUANTITY]! - quantity
    li[L_I * level + L_ORDERS] = li[L_I * level + L_ORDERS]! - 1
    if (s === BUY) this.bidTotal -= quantity
    else this.askTotal -= quantity
    this.count--
  }

  /** Removes a resting order, and its level if that empties. */
  private remove (h: number): void {
    const store = this.store
    const level = store.oi[O_I * h + O_LEVEL]!
    const s = store.li[L_I * level + L_SIDE]!
    this.unlink(h, level, s)
    store.handles.delete(store.names[h]!)
    store.freeOrder(h)
    if (store.li[L_I * level + L_ORDERS] === 0) {
      const ladder = s === BUY ? this.bids : this.asks
      const last = ladder.length - 1
      ladder.removeAt(ladder.level(last) === level ? last : ladder.lowerBound(ladder.direction * store.lf[L_F * level]!))
      store.freeLevel(level)
    }
  }

  /** How much of an order could fill at once, as matching would see it (self-trade rules included). */
  private fillable (party: number, s: number, limit: number, wanted: number): number {
    const opposite = s === BUY ? this.asks : this.bids
    const bound = opposite.direction * limit
    const store = this.store
    let available = 0
    for (let i = opposite.length - 1; i >= 0 && available < wanted; i--) {
      if (opposite.key(i) < bound) break
      const level = opposite.level(i)
      if (this.selfTrade === ALLOW) {
        available += store.lf[L_F * level + L_QUANTITY]!
        continue
      }
      for (let h = store.li[L_I * level + L_HEAD]!; h !== NONE && available < wanted; h = store.oi[O_I * h + O_NEXT]!) {
        if (store.oi[O_I * h + O_PARTY] !== party) available += store.of[O_F * h]!
        else if (this.selfTrade === CANCEL_INCOMING) return available
      }
    }
    return available
  }
}
