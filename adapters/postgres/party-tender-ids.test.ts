/**
 * Migration 008 (tenderIDs per party): a ledger written before it, where each tender's tenderID was
 * its engine order id, still replays to the same books; its tenders are still cancelled by their
 * tenderIDs, and new tenders get order ids of the LMA's making beside them.
 */
import { fileURLToPath } from 'node:url'
import { runner } from 'node-pg-migrate'
import { afterEach, expect, it } from 'vitest'
import { LocalMarketAgent } from '../../market/lma/lma.js'
import { ManualClock } from '../../market/lma/time.js'
import { PgLedger } from './ledger.js'
import { migrate, type Database } from './database.js'
import { dropTestDatabase, openTestDatabase } from '../../test/database.js'
import { H12, H13, START, tender, testMarket } from '../../test/market.js'

let db: Database
let lma: LocalMarketAgent | undefined
afterEach(async () => {
  await lma?.close()
  await dropTestDatabase(db)
})

const open = () => LocalMarketAgent.open({ markets: [testMarket()], ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 1 })), clock: new ManualClock(START) })
const levels = (l: LocalMarketAgent) => [H12, H13].map((dtStart) => {
  const s = l.snapshot({ marketContext: testMarket().marketContext, dtStart, duration: 'PT1H' })!
  return { seq: s.seq, bids: s.bids, asks: s.asks, orders: s.orders.map(({ orderId: _id, ...o }) => o) }
})

it('a ledger from before tenderIDs per party replays to the same books after the migration', async () => {
  db = await openTestDatabase()
  lma = await open()
  const party = async (partyID: string) => {
    await lma!.registerParty({ requestID: partyID, registreePartyID: partyID, eiRegistrationInfo: {} })
    return lma!.party(partyID)!
  }
  const alice = await party('alice')
  const bob = await party('bob')
  await lma.createTender(alice, { requestID: 'a1', partyID: 'alice', counterPartyID: 'lma', eiTender: [tender('t1', 'sell', '0.110', '5'), tender('t2', 'sell', '0.150', '1', H13)] })
  await lma.createTender(bob, { requestID: 'b1', partyID: 'bob', counterPartyID: 'lma', eiTender: [tender('b1', 'buy', '0.120', '2'), tender('b2', 'buy', '0.100', '3', H13)] })
  const before = levels(lma)
  await lma.close()
  lma = undefined

  // As the ledger was before 008 (and 009, which comes down with it): each order id was the tenderID.
  const { rows } = await db.pool.query<{ order_id: string, tender_id: string }>('SELECT order_id, tender_id FROM tenders')
  for (const r of rows) {
    await db.pool.query(`UPDATE book_events SET event = replace(event::text, $1, $2)::json`, [JSON.stringify(r.order_id), JSON.stringify(r.tender_id)])
  }
  const client = await db.pool.connect()
  try {
    const dir = fileURLToPath(new URL('./migrations', import.meta.url))
    await runner({ dbClient: client, dir, direction: 'down', count: 2, migrationsTable: 'pgmigrations', schema: db.schema, checkOrder: true, advisoryLockMode: 'wait', log: () => {} })
    expect((await client.query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'tenders' AND column_name = 'order_id'`, [db.schema])).rows[0].n).toBe(0)
  } finally {
    client.release()
  }
  expect(await migrate(db)).toEqual(['008_party_tender_ids', '009_book_event_positions'])

  lma = await open()
  expect(levels(lma)).toEqual(before)
  expect(lma.tender('alice', 't1')).toMatchObject({ orderID: 't1', filledTicks: 20 })
  // A new tender gets an order id of the LMA's making; the old ones are cancelled by their tenderIDs.
  await lma.createTender(bob, { requestID: 'b3', partyID: 'bob', counterPartyID: 'lma', eiTender: [tender('t1', 'buy', '0.090', '1')] })
  expect(lma.tender('bob', 't1')!.orderID).toMatch(/^o\d+$/)
  expect((await lma.cancelTender(alice, { requestID: 'a2', partyID: 'alice', counterPartyID: 'lma', tenderID: ['t1', 't2'] })).status).toBe(200)
  expect(lma.tendersOf('alice').map((t) => t.status)).toEqual(['canceled', 'canceled'])
  await lma.close()
  lma = await open()
  expect(lma.tender('bob', 't1')!.status).toBe('open')
})
