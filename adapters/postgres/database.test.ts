import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate, type Database } from './database.js'
import { dropTestDatabase, openTestDatabase } from '../../test/database.js'

let db: Database
beforeAll(async () => { db = await openTestDatabase() }, 60_000)
afterAll(async () => { await dropTestDatabase(db) })

describe(`database (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('runs the migrations at open, and again finds nothing to do', async () => {
    const tables = await db.pool.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [db.schema])
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      ['book_events', 'fix_messages', 'fix_sent', 'fix_sessions', 'openadr_events', 'openadr_opt_responses', 'openadr_opts', 'openadr_report_requests', 'openadr_reports', 'openadr_vens', 'parties', 'pgmigrations', 'positions', 'requests', 'tenders', 'transactions'])
    expect(await migrate(db)).toEqual([])
  })

  it('keeps numerics exact and derives positions from transactions', async () => {
    await db.pool.query(`INSERT INTO parties (party_id, registration_id, token_sha256) VALUES ('a', 'r-a', 'x'), ('b', 'r-b', 'y')`)
    const tender = `INSERT INTO tenders (order_id, tender_id, party_id, request_id, book_id, market_context, dt_start, duration, side, price, quantity, status)
      VALUES ($1, $1, $2, 'q', 'book', 'urn:m', '2026-06-20T12:00:00Z', 'PT1H', $3, '0.125', '0.3', 'open')`
    await db.pool.query(tender, ['t1', 'a', 'buy'])
    await db.pool.query(tender, ['t2', 'b', 'sell'])
    const fill = `INSERT INTO transactions (transaction_id, tender_id, party_id, counter_party_id, book_id, match_number, market_context, dt_start, duration, side, price, quantity)
      VALUES ($1, $2, $3, $4, 'book', $7, 'urn:m', '2026-06-20T12:00:00Z', 'PT1H', $5, '0.125', $6)`
    await db.pool.query(fill, ['x1', 't1', 'a', 'b', 'buy', '0.1', 1])
    await db.pool.query(fill, ['x2', 't1', 'a', 'b', 'buy', '0.2', 2])
    await db.pool.query(fill, ['x3', 't2', 'b', 'a', 'sell', '0.3', 2])
    const positions = await db.pool.query('SELECT party_id, net_quantity::text AS q, transactions FROM positions ORDER BY party_id')
    // 0.1 + 0.2 is exactly 0.3 here (it would not be in binary floating point).
    expect(positions.rows).toEqual([{ party_id: 'a', q: '0.3', transactions: 2n }, { party_id: 'b', q: '-0.3', transactions: 1n }])
  })

  it('refuses a second event with the same (book, seq): one writer per book', async () => {
    const insert = `INSERT INTO book_events (book_id, seq, position, market_context, dt_start, duration, kind, event) VALUES ('b1', 1, 1, 'urn:m', now(), 'PT1H', 'submit', '{}')`
    await db.pool.query(insert)
    await expect(db.pool.query(insert)).rejects.toThrow(/duplicate key/)
  })
})
