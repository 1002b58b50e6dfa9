/**
 * An External Market Adaptor trading at an external venue (a utility market reached over FIX by
 * adapters/fix; nothing here knows FIX). Towards the LMA it is a party like any TEUA.
 *
 * Its supervisory policy (netNeed) reads the local book of each interval:
 *   - Import shortfall: local bids that no local offer meets. The EMA buys that much at the venue,
 *     limited to what the bids pay less its markup.
 *   - Export surplus: local offers that no local bid meets. The EMA sells that much at the venue,
 *     for at least what the offers ask plus its markup.
 * Both are capped by the connection's import and export limits.
 *
 * The EMA keeps its venue orders in line with that need (rebalance):
 *   - a new order for more;
 *   - a quantity-reducing replace for less;
 *   - a cancel when no need is left, or when the need's limit is worse than the order's.
 * What fills at the venue it trades back locally, at the venue price plus (or, for a sale, less)
 * its markup: it resells locally what it bought outside, and buys locally what it sold outside.
 * Those local tenders cross the bids and offers that made the need, and become local
 * transactions.
 *
 * Each execution counts once, whatever the venue resends (PossDup): by its ClOrdID and ExecID here,
 * and at the LMA by a requestID made of them, which the LMA's ledger answers once across restarts.
 * Amounts are decimal strings in the local market's units (ticks inside).
 */
import type { MarketRules } from '../../schemas/extensions.js'
import { fromTicks, toTicks } from '../../schemas/decimal.js'
import type { LmaClient } from '../teua/teua.js'
import { durationMs } from '../lma/time.js'

export interface VenueEmaConfig {
  partyID: string
  lmaPartyID: string
  market: MarketRules
  /** The EMA's margin per unit, in the market's currency: bought outside at most bid - markup, resold at cost + markup. */
  markup: string
  /** Per interval, in the market's quantity unit. */
  importLimit: string
  exportLimit: string
}

export interface Level { price: string, quantity: string }
/** A book's resting quantity per price, best first (as GET /lma/market-data/book gives it). */
export interface BookLevels { bids: Level[], asks: Level[] }
export interface Need { quantity: string, limit: string }

/** Where the EMA reads the local book of an interval (GET /lma/market-data/book: adapters/rest/market-data-client.ts). */
export interface LocalBook {
  levels: (dtStart: string, duration: string) => Promise<BookLevels>
}

/** The policy: what to buy (import shortfall) and sell (export surplus) at the venue for one interval. */
export function netNeed (book: BookLevels, own: BookLevels, config: VenueEmaConfig): { buy?: Need, sell?: Need } {
  const { priceScale: ps, quantityScale: qs } = config.market
  const markup = toTicks(config.markup, ps)
  // Others' interest: the book less the EMA's own resting tenders at each price.
  const others = (levels: Level[], mine: Level[]) => levels.map((l) => {
    const minus = mine.filter((m) => toTicks(m.price, ps) === toTicks(l.price, ps)).reduce((a, m) => a + toTicks(m.quantity, qs), 0n)
    return { price: toTicks(l.price, ps), quantity: toTicks(l.quantity, qs) - minus }
  }).filter((l) => l.quantity > 0n)
  const bestAsk = others(book.asks, own.asks)[0]?.price
  const bestBid = others(book.bids, own.bids)[0]?.price
  // Bids no local offer meets, and offers no local bid meets (a crossed remainder trades locally first).
  const bids = others(book.bids, own.bids).filter((b) => bestAsk === undefined || b.price < bestAsk)
  const asks = others(book.asks, own.asks).filter((a) => bestBid === undefined || a.price > bestBid)
  const take = (levels: Array<{ price: number | bigint, quantity: bigint }>, cap: bigint) => {
    let quantity = 0n
    let worst: bigint | undefined
    for (const l of levels) {
      if (quantity >= cap) break
      quantity += l.quantity < cap - quantity ? l.quantity : cap - quantity
      worst = BigInt(l.price)
    }
    return { quantity, worst }
  }
  const out: { buy?: Need, sell?: Need } = {}
  const shortfall = take(bids, toTicks(config.importLimit, qs))
  if (shortfall.quantity > 0n && shortfall.worst! - markup > 0n) out.buy = { quantity: fromTicks(shortfall.quantity, qs), limit: fromTicks(shortfall.worst! - markup, ps) }
  const surplus = take(asks, toTicks(config.exportLimit, qs))
  if (surplus.quantity > 0n) out.sell = { quantity: fromTicks(surplus.quantity, qs), limit: fromTicks(surplus.worst! + markup, ps) }
  return out
}

/** Open tenders of one interval, per side and price. */
function ownLevels (tenders: ReadonlyArray<{ dtStart: string, side: 'buy' | 'sell', price: string, quantity: string }>, dtStart: string): BookLevels {
  const at = Date.parse(dtStart)
  const own: BookLevels = { bids: [], asks: [] }
  for (const t of tenders) if (Date.parse(t.dtStart) === at) (t.side === 'buy' ? own.bids : own.asks).push({ price: t.price, quantity: t.quantity })
  return own
}

/** An order at the venue as the EMA tracks it. */
export interface VenueOrder {
  clOrdID: string
  side: 'buy' | 'sell'
  dtStart: string
  duration: string
  /** OrderQty, in local units. */
  quantity: string
  limit: string
  cumQty: string
  /** pending until the venue acknowledges; done once filled, canceled or rejected. */
  state: 'pending' | 'working' | 'done'
}

/** What the EMA asks of the venue (adapters/fix turns these into NewOrderSingle, OrderCancelRequest, OrderCancelReplaceRequest). */
export interface Venue {
  /** Resolves false when the order was not sent (less than the venue's lot, say). */
  newOrder: (order: { clOrdID: string, side: 'buy' | 'sell', dtStart: string, duration: string, quantity: string, limit: string }) => Promise<void | boolean>
  cancel: (order: { clOrdID: string, origClOrdID: string, side: 'buy' | 'sell', dtStart: string, duration: string, quantity: string }) => Promise<void>
  /** Reduces an order's quantity; `quantity` is the new OrderQty (what is filled plus what stays open). */
  replace: (order: { clOrdID: string, origClOrdID: string, side: 'buy' | 'sell', dtStart: string, duration: string, quantity: string, limit: string }) => Promise<void>
}

/** An execution report from the venue, in local units. */
export interface Execution {
  execID: string
  clOrdID: string
  /** The order a replace or cancel refers to (OrigClOrdID). */
  origClOrdID?: string
  /** FIX ExecType: 0 new, 4 canceled, 5 replaced, 8 rejected, F trade. */
  execType: string
  lastQty?: string
  lastPx?: string
  cumQty: string
  leavesQty: string
}

export class VenueEma {
  readonly orders = new Map<string, VenueOrder>()
  private readonly seen = new Set<string>()
  private next = 0

  constructor (private readonly config: VenueEmaConfig, private readonly venue: Venue, private readonly lma: LmaClient, private readonly idPrefix = `${config.partyID}-${Date.now().toString(36)}`) {}

  private open (dtStart: string, side: 'buy' | 'sell'): VenueOrder[] {
    return [...this.orders.values()].filter((o) => o.dtStart === dtStart && o.side === side && o.state !== 'done')
  }

  private leaves (o: VenueOrder): bigint {
    const qs = this.config.market.quantityScale
    return toTicks(o.quantity, qs) - toTicks(o.cumQty, qs)
  }

  /**
   * One round of the EMA's loop at `now`: each of the next `horizon` intervals that still take
   * orders locally is rebalanced to its need; venue orders of intervals whose local gate has closed
   * are canceled (what they would buy could no longer be resold).
   */
  async tick (book: LocalBook, now: Date, horizon: number): Promise<void> {
    const { market } = this.config
    const grid = durationMs(market.granularity)
    const gate = durationMs(market.gateClosure)
    const first = Math.floor((now.getTime() + gate) / grid) * grid + grid
    // The EMA's own open tenders, asked once for the whole round.
    const own = await this.openTenders()
    for (let k = 0; k < horizon; k++) {
      const dtStart = new Date(first + k * grid).toISOString()
      await this.rebalance(dtStart, market.duration, netNeed(await book.levels(dtStart, market.duration), ownLevels(own, dtStart), this.config))
    }
    // Intervals whose local gate has closed: open venue orders are canceled, finished ones forgotten
    // (the map would otherwise grow with every interval ever traded).
    const closed = new Map<string, VenueOrder>()
    for (const o of this.orders.values()) {
      if (Date.parse(o.dtStart) - gate > now.getTime()) continue
      if (o.state === 'done') this.orders.delete(o.clOrdID)
      else closed.set(`${o.dtStart} ${o.duration}`, o)
    }
    for (const o of closed.values()) await this.rebalance(o.dtStart, o.duration, {})
  }

  /** Reads the local book of an interval and the EMA's own open tenders in it, and rebalances to the need. */
  async step (book: LocalBook, dtStart: string, duration: string): Promise<{ buy?: Need, sell?: Need }> {
    const need = netNeed(await book.levels(dtStart, duration), ownLevels(await this.openTenders(), dtStart), this.config)
    await this.rebalance(dtStart, duration, need)
    return need
  }

  /** The EMA's open tenders in this market, as the LMA's ledger has them (eiRequestTender). */
  private async openTenders (): Promise<Array<{ dtStart: string, side: 'buy' | 'sell', price: string, quantity: string }>> {
    const { partyID, market } = this.config
    const answer = await this.lma.call('eiRequestTender', 'eiReplyTender', { requestID: `${partyID}-own-${Date.now()}-${++this.next}`, partyID, requestorPartyID: partyID })
    if (answer.status !== 200) throw new Error(`the LMA refused eiRequestTender: ${answer.payload.eiResponse.responseCode}`)
    return (answer.payload.eiTender ?? [])
      .filter((t) => t.product.dtStart !== undefined && t.product.marketContext === market.marketContext)
      .map((t) => ({ dtStart: t.product.dtStart!, side: t.product.side, price: t.product.temixPower.price!, quantity: t.product.temixPower.quantity! }))
  }

  /** Brings the venue orders of one interval in line with the need (see the module comment). */
  async rebalance (dtStart: string, duration: string, need: { buy?: Need, sell?: Need }): Promise<void> {
    for (const side of ['buy', 'sell'] as const) await this.rebalanceSide(dtStart, duration, side, need[side])
  }

  private async rebalanceSide (dtStart: string, duration: string, side: 'buy' | 'sell', need: Need | undefined): Promise<void> {
    const { priceScale: ps, quantityScale: qs } = this.config.market
    const open = this.open(dtStart, side)
    // An order whose limit is now worse than the need allows (a buy above it, a sell below it) goes.
    const worse = (o: VenueOrder) => need === undefined || (side === 'buy' ? toTicks(o.limit, ps) > toTicks(need.limit, ps) : toTicks(o.limit, ps) < toTicks(need.limit, ps))
    for (const o of open.filter(worse)) await this.cancelOrder(o)
    const kept = open.filter((o) => !worse(o))
    if (need === undefined) return
    const wanted = toTicks(need.quantity, qs)
    let working = kept.reduce((a, o) => a + this.leaves(o), 0n)
    // Too much open: reduce the newest orders first (they have the least time priority to lose).
    for (const o of [...kept].reverse()) {
      if (working <= wanted) break
      const excess = working - wanted
      const leaves = this.leaves(o)
      if (excess >= leaves) {
        await this.cancelOrder(o)
        working -= leaves
      } else {
        await this.reduce(o, toTicks(o.quantity, qs) - excess)
        working -= excess
      }
    }
    if (wanted > working) {
      const order: VenueOrder = { clOrdID: this.newID(), side, dtStart, duration, quantity: fromTicks(wanted - working, qs), limit: need.limit, cumQty: fromTicks(0n, qs), state: 'pending' }
      this.orders.set(order.clOrdID, order)
      if (await this.venue.newOrder(order) === false) this.orders.delete(order.clOrdID)
    }
  }

  private async cancelOrder (o: VenueOrder): Promise<void> {
    const clOrdID = this.newID()
    // The order stays open until the venue confirms (execType 4); a fill meanwhile still counts.
    await this.venue.cancel({ clOrdID, origClOrdID: o.clOrdID, side: o.side, dtStart: o.dtStart, duration: o.duration, quantity: o.quantity })
  }

  private async reduce (o: VenueOrder, quantity: bigint): Promise<void> {
    const clOrdID = this.newID()
    await this.venue.replace({ clOrdID, origClOrdID: o.clOrdID, side: o.side, dtStart: o.dtStart, duration: o.duration, quantity: fromTicks(quantity, this.config.market.quantityScale), limit: o.limit })
  }

  private newID (): string {
    return `${this.idPrefix}-${++this.next}`
  }

  /**
   * An execution report. Returns false for one already applied (same ExecID). A trade is traded
   * back locally: bought outside, it is offered at cost plus markup; sold outside, it is bid for
   * at the price less markup.
   */
  async onExecution (e: Execution): Promise<boolean> {
    // ExecIDs are the venue's; with our own ClOrdID beside them they stay unique even at a venue
    // that numbers them afresh after a restart (QuickFIX's example executor does).
    const key = `${e.clOrdID} ${e.execID}`
    if (this.seen.has(key)) return false
    const order = this.orders.get(e.clOrdID) ?? (e.origClOrdID === undefined ? undefined : this.orders.get(e.origClOrdID))
    if (order === undefined) return false
    this.seen.add(key)
    const qs = this.config.market.quantityScale
    if (e.execType === '5' && e.clOrdID !== order.clOrdID) {
      // Replaced: the order goes on under its new ClOrdID, with its new quantity.
      this.orders.delete(order.clOrdID)
      order.clOrdID = e.clOrdID
      order.quantity = fromTicks(toTicks(e.cumQty, qs) + toTicks(e.leavesQty, qs), qs)
      this.orders.set(order.clOrdID, order)
    }
    order.cumQty = e.cumQty
    order.state = toTicks(e.leavesQty, qs) === 0n || e.execType === '4' || e.execType === '8' ? 'done' : 'working'
    if (e.execType === 'F' && e.lastQty !== undefined && e.lastPx !== undefined) await this.tradeBack(order, e)
    return true
  }

  private async tradeBack (order: VenueOrder, e: Execution): Promise<void> {
    const { market, partyID, lmaPartyID } = this.config
    const ps = market.priceScale
    const markup = toTicks(this.config.markup, ps)
    const price = toTicks(e.lastPx!, ps) + (order.side === 'buy' ? markup : -markup)
    const side = order.side === 'buy' ? 'sell' : 'buy'
    // Made of the ClOrdID and ExecID: the LMA answers a repeat with its first answer and records nothing new.
    const tenderID = `${partyID}-exec-${e.clOrdID}-${e.execID}`
    const answer = await this.lma.call('eiCreateTender', 'eiCreatedTender', {
      requestID: tenderID, partyID, counterPartyID: lmaPartyID,
      eiTender: [{
        tenderID,
        product: {
          dtStart: order.dtStart, duration: order.duration, temixPower: { price: fromTicks(price, ps), energyReal: market.energyReal, quantity: e.lastQty! },
          uid: tenderID, transactiveState: 'tender', currency: market.currency, marketContext: market.marketContext, side
        }
      }]
    })
    if (answer.status !== 200) throw new Error(`the LMA refused to trade back execution ${e.execID}: ${answer.payload.eiResponse.responseCode} ${answer.payload.eiResponse.responseDescription ?? ''}`)
  }
}
