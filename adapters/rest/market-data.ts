/**
 * Market data: the ticker tape and book snapshots, public and read-only.
 *   GET /lma/market-data/stream[?marketContext=]   Server-Sent Events: every book change order by
 *       order (accepted, canceled, fill with both sides' remaining), every trade, gate closure, and
 *       the best bid/ask after each change. Each event carries its book and the book's seq, and
 *       an id that is its place in the ledger: with Last-Event-ID the tape resumes from there
 *       (bounded queues, catch-up from the ledger: ticker-tape.ts).
 *   GET /lma/market-data/book?marketContext=&dtStart=&duration=   a snapshot with the seq it was
 *       taken at: the snapshot, then the stream's events of that book with a higher seq, rebuild
 *       the book exactly; a gap in seq shows a lost event.
 *   GET /lma/market-data/books   every book with its best bid and ask.
 * Orders are named by their order id, which tells nothing of their owner: neither the partyID nor
 * the party's tenderID is published, unless the operator turns owners on (publicOwners).
 * Prices and quantities are decimal strings in the market's units.
 */
import { createHash } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import { fromTicks } from '../../schemas/decimal.js'
import type { LocalMarketAgent } from '../../market/lma/lma.js'
import type { BookCommandRecord, TopOfBook } from '../../market/lma/ledger.js'
import { frame, TickerTape, type TapeEntry, type TickerTapeOptions } from './ticker-tape.js'
import { instrumentKey, type BookSnapshot, type Instrument, type MechanismEvent } from '../../market/lme/index.js'

interface Scales { priceScale: number, quantityScale: number }

/** How public market data names an order: its id, and its owner's partyID and tenderID only if the operator publishes owners. */
type OrderName = (orderId: string) => { orderId: string, partyID?: string, tenderID?: string }

/**
 * Order ids the LMA makes (o1, o2, ...) tell nothing of their owner; an order entered before them
 * has its tenderID as id, published as a hash of it.
 */
export function orderNames (lma: LocalMarketAgent, publicOwners: boolean): OrderName {
  if (publicOwners) {
    return (orderId) => {
      const tender = lma.tenderOfOrder(orderId)
      return tender === undefined ? { orderId } : { orderId, partyID: tender.partyID, tenderID: tender.tenderID }
    }
  }
  return (orderId) => ({ orderId: /^o\d+$/.test(orderId) ? orderId : `h${createHash('sha256').update(orderId).digest('hex').slice(0, 16)}` })
}

function publicEvent (e: MechanismEvent, s: Scales, name: OrderName): Record<string, unknown> {
  const P = (t: number) => fromTicks(t, s.priceScale)
  const Q = (t: number) => fromTicks(t, s.quantityScale)
  switch (e.type) {
    case 'accepted': return { type: e.type, book: e.book, seq: e.seq, ...name(e.orderId), side: e.side, price: P(e.price), quantity: Q(e.quantity) }
    case 'rejected': return { type: e.type, book: e.book, seq: e.seq, ...name(e.orderId), reason: e.reason }
    case 'fill': return {
      type: e.type, book: e.book, seq: e.seq, matchNumber: e.matchNumber, price: P(e.price), quantity: Q(e.quantity),
      maker: { ...name(e.maker.orderId), side: e.maker.side, remaining: Q(e.maker.remaining) },
      taker: { ...name(e.taker.orderId), side: e.taker.side, remaining: Q(e.taker.remaining) }
    }
    case 'canceled': return { type: e.type, book: e.book, seq: e.seq, ...name(e.orderId), side: e.side, canceled: Q(e.canceledQuantity), remaining: Q(e.remaining), reason: e.reason }
    case 'closed': return { type: e.type, book: e.book, seq: e.seq, volume: Q(e.volume), ...(e.clearingPrice !== undefined && { clearingPrice: P(e.clearingPrice) }) }
  }
}

export function publicSnapshot (snapshot: BookSnapshot, s: Scales, name: OrderName) {
  const level = (l: { price: number, quantity: number, orders: number }) => ({ price: fromTicks(l.price, s.priceScale), quantity: fromTicks(l.quantity, s.quantityScale), orders: l.orders })
  return {
    book: instrumentKey(snapshot.instrument), instrument: snapshot.instrument, seq: snapshot.seq, closed: snapshot.closed,
    bids: snapshot.bids.map(level), asks: snapshot.asks.map(level),
    orders: snapshot.orders.map((o) => ({ ...name(o.orderId), side: o.side, price: fromTicks(o.price, s.priceScale), remaining: fromTicks(o.remaining, s.quantityScale) }))
  }
}

export interface MarketDataOptions {
  lma: LocalMarketAgent
  /** Publish each order's partyID and tenderID (default: no). */
  publicOwners?: boolean
  /** The ticker tape's limits. */
  tape?: TickerTapeOptions
}

export const marketDataRoutes: FastifyPluginAsync<MarketDataOptions> = async (app, { lma, publicOwners, tape: tapeOptions }) => {
  const name = orderNames(lma, publicOwners === true)
  const scalesOf = (marketContext: string): Scales => lma.markets.get(marketContext)!.rules
  /** A book's seq, state and best bid and ask, from its top only (what every book list and every change needs). */
  const top = (instrument: Instrument) => {
    const snapshot = lma.snapshot(instrument, { depth: 1, orders: false })!
    const s = scalesOf(instrument.marketContext)
    const level = (l: { price: number, quantity: number } | undefined) => l === undefined ? null : { price: fromTicks(l.price, s.priceScale), quantity: fromTicks(l.quantity, s.quantityScale) }
    return { seq: snapshot.seq, closed: snapshot.closed, bestBid: level(snapshot.bids[0]), bestAsk: level(snapshot.asks[0]) }
  }

  const levelOf = (s: Scales) => (l?: { price: number, quantity: number }) => l === undefined ? null : { price: fromTicks(l.price, s.priceScale), quantity: fromTicks(l.quantity, s.quantityScale) }
  /** A book command as the tape sends it: each event with its id, then the best bid/ask after it (live only). */
  const entryOf = (c: BookCommandRecord, top?: TopOfBook): TapeEntry | undefined => {
    const market = lma.markets.get(c.instrument.marketContext)
    if (market === undefined || c.position === undefined || c.events.length === 0) return undefined
    const s = market.rules
    const level = levelOf(s)
    return {
      position: c.position,
      marketContext: c.instrument.marketContext,
      events: c.events.map((e, i) => frame(e.type, publicEvent(e, s, name), `${c.position}-${i}`)),
      ...(top !== undefined && { bbo: frame('bbo', { type: 'bbo', book: top.book, seq: top.seq, bestBid: level(top.bestBid), bestAsk: level(top.bestAsk) }) })
    }
  }
  const tape: TickerTape = new TickerTape(lma.tape, (c) => entryOf(c), () => lma.onEvents((_events, extra) => {
    if (extra.reset === true) return tape.reset('the market reloaded its books from the ledger: take new snapshots')
    const commands = extra.commands ?? []
    // The best bid and ask as they were right after each change (not as the book is now): the
    // book's top at the seq of the command's last event.
    const tops = new Map((extra.topOfBook ?? []).map((t) => [`${t.book}#${t.seq}`, t]))
    const entries: TapeEntry[] = []
    for (const c of commands) {
      const entry = entryOf(c, c.events.length === 0 ? undefined : tops.get(`${c.book}#${c.events.at(-1)!.seq}`))
      if (entry !== undefined) entries.push(entry)
    }
    tape.publish(entries, commands.at(-1)?.position ?? 0)
  }), tapeOptions)
  app.addHook('onClose', async () => { tape.close() })

  app.get<{ Querystring: { marketContext?: string, lastEventId?: string } }>('/lma/market-data/stream', {
    schema: {
      summary: 'The ticker tape (Server-Sent Events): every book change order by order, best bid/ask, every trade; resumable with Last-Event-ID',
      tags: ['market data'],
      querystring: {
        type: 'object',
        properties: {
          marketContext: { type: 'string' },
          lastEventId: { type: 'string', description: 'resume after this event (as the Last-Event-ID header, for clients that cannot set headers)' }
        }
      }
    }
  }, (request, reply) => {
    const header = request.headers['last-event-id']
    const lastEventId = (Array.isArray(header) ? header[0] : header) ?? request.query.lastEventId
    reply.hijack()
    tape.subscribe(request.raw, reply.raw, {
      ...(request.query.marketContext !== undefined && { marketContext: request.query.marketContext }),
      ...(lastEventId !== undefined && { lastEventId })
    })
  })

  app.get<{ Querystring: { marketContext: string, dtStart: string, duration: string } }>('/lma/market-data/book', {
    schema: {
      summary: "A book's snapshot, levels and orders, with the seq it was taken at",
      tags: ['market data'],
      querystring: { type: 'object', properties: { marketContext: { type: 'string' }, dtStart: { type: 'string' }, duration: { type: 'string' } }, required: ['marketContext', 'dtStart', 'duration'] }
    }
  }, async (request, reply) => {
    const { marketContext, dtStart, duration } = request.query
    const market = lma.markets.get(marketContext)
    const at = new Date(dtStart)
    if (market === undefined || Number.isNaN(at.getTime())) return reply.code(404).send({ error: 'unknown market or interval' })
    const snapshot = lma.snapshot({ marketContext, dtStart: at.toISOString(), duration })
    if (snapshot === undefined) return reply.code(404).send({ error: 'no book for that interval yet' })
    return publicSnapshot(snapshot, market.rules, name)
  })

  app.get('/lma/market-data/books', { schema: { summary: 'Every book with its best bid and ask', tags: ['market data'] } }, async () =>
    lma.books().map((instrument) => ({ book: instrumentKey(instrument), instrument, ...top(instrument) })))
}
