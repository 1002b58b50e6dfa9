/**
 * The books as a mechanism's events describe them: what the LMA reads (orders, snapshots, best bid
 * and ask) when the mechanism itself runs elsewhere. It needs nothing but the events, so it works
 * for any mechanism that emits them (continuous or auction): an order rests from `accepted` until
 * fills and cancels take its `remaining` to 0; priority is price, then arrival (a reduce keeps its
 * place, as in the engine).
 */
import type { SnapshotView } from './mechanism.js'
import type { BookSnapshot, Instrument, LevelSnapshot, MechanismEvent, OrderSnapshot, Side } from './types.js'
import { instrumentKey } from './types.js'

interface RestingOrder extends OrderSnapshot {
  arrival: number
}

interface ReplicaBook {
  instrument: Instrument
  seq: number
  closed: boolean
  orders: Map<string, RestingOrder>
}

export class BookReplica {
  private readonly byKey = new Map<string, ReplicaBook>()
  /** Open order id -> its book key. */
  private readonly bookOfOrder = new Map<string, string>()
  private arrivals = 0

  /** Applies the events of one command, in order; `instrument` names a book the replica has not seen yet. */
  apply (events: readonly MechanismEvent[], instrument?: Instrument): void {
    for (const e of events) {
      const book = this.bookFor(e.book, instrument)
      if (e.seq !== book.seq + 1) throw new Error(`book ${e.book}: event seq ${e.seq} after ${book.seq}`)
      book.seq = e.seq
      switch (e.type) {
        case 'accepted':
          book.orders.set(e.orderId, { orderId: e.orderId, partyId: e.partyId, side: e.side, price: e.price, remaining: e.quantity, arrival: ++this.arrivals })
          this.bookOfOrder.set(e.orderId, e.book)
          break
        case 'fill':
          this.reduceTo(book, e.maker.orderId, e.maker.remaining)
          this.reduceTo(book, e.taker.orderId, e.taker.remaining)
          break
        case 'canceled':
          this.reduceTo(book, e.orderId, e.remaining)
          break
        case 'closed':
          book.closed = true
          break
        case 'rejected':
          break
      }
    }
  }

  order (orderId: string): (OrderSnapshot & { book: string }) | undefined {
    const key = this.bookOfOrder.get(orderId)
    const o = key === undefined ? undefined : this.byKey.get(key)?.orders.get(orderId)
    if (o === undefined) return undefined
    return { book: key!, orderId: o.orderId, partyId: o.partyId, side: o.side, price: o.price, remaining: o.remaining }
  }

  snapshot (instrument: Instrument, view: SnapshotView = {}): BookSnapshot | undefined {
    const book = this.byKey.get(instrumentKey(instrument))
    if (book === undefined) return undefined
    const side = (s: Side) => [...book.orders.values()].filter((o) => o.side === s)
      .sort((a, b) => (s === 'buy' ? b.price - a.price : a.price - b.price) || a.arrival - b.arrival)
    const bids = side('buy')
    const asks = side('sell')
    return {
      instrument: book.instrument, seq: book.seq, closed: book.closed,
      bids: levels(bids).slice(0, view.depth), asks: levels(asks).slice(0, view.depth),
      orders: view.orders === false ? [] : [...bids, ...asks].map(({ arrival: _arrival, ...o }) => o)
    }
  }

  books (): string[] {
    return [...this.byKey.keys()]
  }

  private bookFor (key: string, instrument: Instrument | undefined): ReplicaBook {
    let book = this.byKey.get(key)
    if (book === undefined) {
      if (instrument === undefined || key !== instrumentKey(instrument)) throw new Error(`an event of book ${key}, which the replica does not know`)
      this.byKey.set(key, book = { instrument, seq: 0, closed: false, orders: new Map() })
    }
    return book
  }

  private reduceTo (book: ReplicaBook, orderId: string, remaining: number): void {
    const o = book.orders.get(orderId)
    if (o === undefined) return // a taker that never rested (IOC/FOK rest, or an auction's order already gone)
    if (remaining <= 0) {
      book.orders.delete(orderId)
      this.bookOfOrder.delete(orderId)
    } else o.remaining = remaining
  }
}

function levels (orders: readonly OrderSnapshot[]): LevelSnapshot[] {
  const out: LevelSnapshot[] = []
  for (const o of orders) {
    const last = out[out.length - 1]
    if (last !== undefined && last.price === o.price) { last.quantity += o.remaining; last.orders++ } else out.push({ price: o.price, quantity: o.remaining, orders: 1 })
  }
  return out
}
