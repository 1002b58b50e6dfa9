/**
 * A deliberately naive continuous double auction (arrays, sort on every step), used only by the
 * tests as the model the real order book must agree with.
 */
import type { CancelReason, SelfTradePolicy, Side, TimeInForce } from './types.js'

export interface ModelOrder { orderId: string, partyId: string, side: Side, price: number, remaining: number, time: number }

export type ModelEvent =
  | { type: 'accepted', orderId: string }
  | { type: 'fill', makerId: string, takerId: string, price: number, quantity: number }
  | { type: 'canceled', orderId: string, canceledQuantity: number, remaining: number, reason: CancelReason }

export class ReferenceBook {
  resting: ModelOrder[] = []
  private time = 0
  constructor (private readonly selfTrade: SelfTradePolicy) {}

  private opposite (side: Side, limit: number): ModelOrder[] {
    return this.resting
      .filter((o) => o.side !== side && (side === 'buy' ? o.price <= limit : o.price >= limit))
      .sort((a, b) => (side === 'buy' ? a.price - b.price : b.price - a.price) || a.time - b.time)
  }

  submit (orderId: string, partyId: string, side: Side, price: number, quantity: number, tif: TimeInForce): ModelEvent[] {
    const events: ModelEvent[] = [{ type: 'accepted', orderId }]
    const candidates = this.opposite(side, price)
    if (tif === 'FOK') {
      let available = 0
      for (const o of candidates) {
        if (o.partyId !== partyId || this.selfTrade === 'allow') available += o.remaining
        else if (this.selfTrade === 'cancelIncoming') break
      }
      if (available < quantity) {
        events.push({ type: 'canceled', orderId, canceledQuantity: quantity, remaining: 0, reason: 'fok' })
        return events
      }
    }
    let remaining = quantity
    for (const o of candidates) {
      if (remaining === 0) break
      if (o.partyId === partyId && this.selfTrade !== 'allow') {
        if (this.selfTrade === 'cancelIncoming') {
          events.push({ type: 'canceled', orderId, canceledQuantity: remaining, remaining: 0, reason: 'selfTrade' })
          return events
        }
        this.resting = this.resting.filter((r) => r !== o)
        events.push({ type: 'canceled', orderId: o.orderId, canceledQuantity: o.remaining, remaining: 0, reason: 'selfTrade' })
        continue
      }
      const q = Math.min(o.remaining, remaining)
      o.remaining -= q
      remaining -= q
      if (o.remaining === 0) this.resting = this.resting.filter((r) => r !== o)
      events.push({ type: 'fill', makerId: o.orderId, takerId: orderId, price: o.price, quantity: q })
    }
    if (remaining > 0) {
      if (tif === 'GTC') this.resting.push({ orderId, partyId, side, price, remaining, time: ++this.time })
      else events.push({ type: 'canceled', orderId, canceledQuantity: remaining, remaining: 0, reason: 'ioc' })
    }
    return events
  }

  cancel (orderId: string): ModelEvent[] {
    const o = this.resting.find((r) => r.orderId === orderId)
    if (o === undefined) return []
    this.resting = this.resting.filter((r) => r !== o)
    return [{ type: 'canceled', orderId, canceledQuantity: o.remaining, remaining: 0, reason: 'requested' }]
  }

  reduce (orderId: string, quantity: number): ModelEvent[] {
    const o = this.resting.find((r) => r.orderId === orderId)
    if (o === undefined || quantity >= o.remaining || quantity < 0) return []
    if (quantity === 0) return this.cancel(orderId)
    const canceled = o.remaining - quantity
    o.remaining = quantity
    return [{ type: 'canceled', orderId, canceledQuantity: canceled, remaining: quantity, reason: 'requested' }]
  }

  /** Resting orders in priority order: bids best first, then asks best first. */
  ordered (): ModelOrder[] {
    const bids = this.resting.filter((o) => o.side === 'buy').sort((a, b) => b.price - a.price || a.time - b.time)
    const asks = this.resting.filter((o) => o.side === 'sell').sort((a, b) => a.price - b.price || a.time - b.time)
    return [...bids, ...asks]
  }
}

/**
 * The call auction's clearing rule, naively: every order price is tried, O(prices x orders).
 * Sums are plain numbers here: the tests keep them small.
 */
export function referenceClearing (orders: Array<{ side: Side, price: number, remaining: number }>): { price: number, volume: number } | undefined {
  const at = (p: number) => {
    const demand = orders.filter((o) => o.side === 'buy' && o.price >= p).reduce((n, o) => n + o.remaining, 0)
    const supply = orders.filter((o) => o.side === 'sell' && o.price <= p).reduce((n, o) => n + o.remaining, 0)
    return { price: p, volume: Math.min(demand, supply), imbalance: demand - supply }
  }
  const all = [...new Set(orders.map((o) => o.price))].map(at).filter((c) => c.volume > 0)
  if (all.length === 0) return undefined
  const volume = Math.max(...all.map((c) => c.volume))
  const least = Math.min(...all.filter((c) => c.volume === volume).map((c) => Math.abs(c.imbalance)))
  const candidates = all.filter((c) => c.volume === volume && Math.abs(c.imbalance) === least).sort((a, b) => a.price - b.price)
  const low = candidates[0]!.price
  const high = candidates[candidates.length - 1]!.price
  if (candidates.every((c) => c.imbalance > 0)) return { price: high, volume }
  if (candidates.every((c) => c.imbalance < 0)) return { price: low, volume }
  return { price: Math.floor((low + high) / 2), volume }
}
