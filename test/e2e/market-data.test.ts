/**
 * Book cloning: a client that takes a snapshot in the middle of a random session and then applies
 * the ticker tape (SSE over real HTTP) from the snapshot's seq on rebuilds every book exactly as
 * the LME holds it, and sees no gap in any book's sequence.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../adapters/rest/app.js'
import { HttpLmaClient } from '../../adapters/rest/lma-client.js'
import { LocalMarketAgent } from '../../market/lma/lma.js'
import { PgLedger } from '../../adapters/postgres/ledger.js'
import { ManualClock } from '../../market/lma/time.js'
import { instrumentKey } from '../../market/lme/index.js'
import type { Database } from '../../adapters/postgres/database.js'
import { dropTestDatabase, openTestDatabase } from '../database.js'
import { H12, H13, MARKET, START, testMarket } from '../market.js'
import { checkEveryAnswer } from '../cts-answers.js'

let db: Database
let lma: LocalMarketAgent
let app: FastifyInstance
let url: string

beforeEach(async () => {
  db = await openTestDatabase()
  lma = await LocalMarketAgent.open({ markets: [testMarket()], ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 1 })), clock: new ManualClock(START) })
  app = await buildApp({ lma })
  url = await app.listen({ port: 0, host: '127.0.0.1' })
}, 60_000)
afterEach(async () => {
  await app.close()
  await lma.close()
  await dropTestDatabase(db)
})

interface Event { type: string, book: string, seq: number, [k: string]: any }

/** Reads the SSE stream into `events` until aborted. */
async function listen (events: Event[], signal: AbortSignal): Promise<void> {
  const res = await fetch(`${url}/lma/market-data/stream`, { signal })
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += decoder.decode(value, { stream: true })
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')
        if (data !== '') events.push(JSON.parse(data))
      }
    }
  } catch {
    // aborted
  }
}

type Order = { side: string, price: string, remaining: string }


checkEveryAnswer()

describe('ticker tape and book cloning', () => {
  it('snapshot + stream rebuilds every book of a random session exactly, with no gaps', async () => {
    const events: Event[] = []
    const abort = new AbortController()
    const stream = listen(events, abort.signal)
    await new Promise((r) => setTimeout(r, 100))
    const parties = await Promise.all(['a', 'b', 'c'].map((partyID) => HttpLmaClient.register(url, { partyID, partyRole: 'teua' }).then((r) => ({ partyID, ...r }))))
    const ops = fc.sample(fc.record({ who: fc.nat(2), buy: fc.boolean(), price: fc.integer({ min: 90, max: 110 }), quantity: fc.integer({ min: 1, max: 30 }), later: fc.boolean(), cancel: fc.nat(9) }), { numRuns: 160, seed: 7 })
    const mine: string[][] = [[], [], []]
    const snapshots = new Map<string, { seq: number, orders: Map<string, Order> }>()
    for (const [i, op] of ops.entries()) {
      const { partyID, client } = parties[op.who]!
      if (op.cancel < 3 && mine[op.who]!.length > 0) {
        const tenderID = mine[op.who]!.splice(op.cancel % mine[op.who]!.length, 1)[0]!
        await client.call('eiCancelTender', 'eiCanceledTender', { requestID: `c${i}`, partyID, tenderID: [tenderID] })
      } else {
        const tenderID = `${partyID}-${i}`
        mine[op.who]!.push(tenderID)
        const reply = await client.call('eiCreateTender', 'eiCreatedTender', {
          requestID: `r${i}`, partyID, counterPartyID: 'lma',
          eiTender: [{ tenderID, product: { dtStart: op.later ? H13 : H12, duration: 'PT1H', temixPower: { price: `0.${op.price}`, quantity: `${op.quantity / 10}` }, uid: tenderID, transactiveState: 'tender', marketContext: MARKET, side: op.buy ? 'buy' : 'sell' } }]
        })
        expect(reply.status).toBe(200)
      }
      if (i === 80) {
        for (const dtStart of [H12, H13]) {
          const res = await fetch(`${url}/lma/market-data/book?marketContext=${encodeURIComponent(MARKET)}&dtStart=${dtStart}&duration=PT1H`)
          if (res.status !== 200) continue
          const snap = await res.json() as any
          snapshots.set(snap.book, { seq: snap.seq, orders: new Map(snap.orders.map((o: Order & { orderId: string }) => [o.orderId, { side: o.side, price: o.price, remaining: o.remaining }])) })
        }
      }
    }
    // Wait until the tape has caught up with every book.
    const finalSeq = (dtStart: string) => lma.snapshot({ marketContext: MARKET, dtStart, duration: 'PT1H' })?.seq ?? 0
    for (let i = 0; i < 200; i++) {
      const last = (dtStart: string) => Math.max(0, ...events.filter((e) => e.book === instrumentKey({ marketContext: MARKET, dtStart, duration: 'PT1H' }) && e.type !== 'bbo').map((e) => e.seq))
      if (last(H12) === finalSeq(H12) && last(H13) === finalSeq(H13)) break
      await new Promise((r) => setTimeout(r, 20))
    }
    abort.abort()
    await stream

    for (const dtStart of [H12, H13]) {
      const instrument = { marketContext: MARKET, dtStart, duration: 'PT1H' }
      const book = instrumentKey(instrument)
      const start = snapshots.get(book) ?? { seq: 0, orders: new Map<string, Order>() }
      const orders = new Map(start.orders)
      let seq = start.seq
      for (const e of events.filter((x) => x.book === book && x.type !== 'bbo' && x.seq > start.seq)) {
        expect(e.seq).toBe(seq + 1)
        seq = e.seq
        const set = (id: string, remaining: string) => { if (/^0(\.0+)?$/.test(remaining)) orders.delete(id); else orders.get(id)!.remaining = remaining }
        if (e.type === 'accepted') orders.set(e.orderId, { side: e.side, price: e.price, remaining: e.quantity })
        else if (e.type === 'fill') { set(e.maker.orderId, e.maker.remaining); set(e.taker.orderId, e.taker.remaining) } else if (e.type === 'canceled') set(e.orderId, e.remaining)
        else if (e.type === 'closed') orders.clear()
      }
      const truth = await (await fetch(`${url}/lma/market-data/book?marketContext=${encodeURIComponent(MARKET)}&dtStart=${dtStart}&duration=PT1H`)).json() as any
      expect(seq).toBe(truth.seq)
      expect(Object.fromEntries(orders)).toEqual(Object.fromEntries(truth.orders.map((o: Order & { orderId: string }) => [o.orderId, { side: o.side, price: o.price, remaining: o.remaining }])))
      // The last best bid/ask on the tape is the book's.
      const lastTop = events.filter((x) => x.book === book && x.type === 'bbo').at(-1)!
      expect(lastTop.bestBid).toEqual(truth.bids[0] === undefined ? null : { price: truth.bids[0].price, quantity: truth.bids[0].quantity })
      expect(lastTop.bestAsk).toEqual(truth.asks[0] === undefined ? null : { price: truth.asks[0].price, quantity: truth.asks[0].quantity })
    }
    expect(snapshots.size).toBeGreaterThan(0)
    expect(events.filter((e) => e.type === 'fill').length).toBeGreaterThan(5)
  })
})
