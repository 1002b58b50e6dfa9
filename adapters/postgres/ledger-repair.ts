/**
 * Repairing a ledger whose book does not replay (the LMA keeps that book's market out of service
 * and names the book in its log). The operator looks at the book (`showBook`), then takes it out of
 * the ledger (`quarantineBook`): its events move, unchanged, to quarantined_book_events, the book
 * starts over closed (one `close` command, as the engine answers it), and its open tenders are
 * canceled for what remains of them. Transactions the book made stay; their match numbers are never
 * reused, because a closed book matches no more. Run while the LMA is stopped; start it after.
 */
import { LocalEngine, type Instrument } from '../../market/lme/index.js'
import type { MarketDefinition } from '../../market/lma/markets.js'
import { compactBookEvent } from './book-event-codec.js'
import type { Database } from './database.js'

export interface BookReport {
  book: string
  instrument?: Instrument
  /** The book's ledger rows, in seq order, as stored. */
  events: Array<{ seq: number, kind: string, event: string }>
  /** The tenders the tenders table files under the book. */
  tenders: Array<{ tenderID: string, partyID: string, orderID: string, status: string, quantity: string, filled: string, canceled: string }>
  quarantined: number
}

/** Created on first use: a table only repaired ledgers need. */
const QUARANTINE_TABLE = `
  CREATE TABLE IF NOT EXISTS quarantined_book_events (
    book_id text NOT NULL, seq bigint NOT NULL, market_context text NOT NULL, dt_start timestamptz NOT NULL,
    duration text NOT NULL, kind text NOT NULL, event json NOT NULL,
    quarantined_at timestamptz NOT NULL DEFAULT now(), reason text NOT NULL,
    PRIMARY KEY (book_id, quarantined_at, seq))`

/** The book's events and tenders as the ledger holds them (event text as stored, so escapes show). */
export async function showBook (db: Database, book: string): Promise<BookReport> {
  const events = (await db.pool.query('SELECT seq, kind, event::text AS event, market_context, dt_start, duration FROM book_events WHERE book_id = $1 ORDER BY seq', [book])).rows
  const tenders = (await db.pool.query('SELECT tender_id, party_id, order_id, status, quantity::text, filled::text, canceled::text FROM tenders WHERE book_id = $1 ORDER BY created_at, tender_id', [book])).rows
  const exists = (await db.pool.query("SELECT to_regclass('quarantined_book_events') IS NOT NULL AS yes")).rows[0].yes as boolean
  const quarantined = exists ? Number((await db.pool.query('SELECT count(*) AS n FROM quarantined_book_events WHERE book_id = $1', [book])).rows[0].n) : 0
  const first = events[0]
  return {
    book,
    ...(first !== undefined && { instrument: { marketContext: first.market_context, dtStart: (first.dt_start as Date).toISOString(), duration: first.duration } }),
    events: events.map((r) => ({ seq: Number(r.seq), kind: r.kind, event: r.event })),
    tenders: tenders.map((r) => ({ tenderID: r.tender_id, partyID: r.party_id, orderID: r.order_id, status: r.status, quantity: r.quantity, filled: r.filled, canceled: r.canceled })),
    quarantined
  }
}

export interface QuarantineResult {
  book: string
  /** Events moved to quarantined_book_events. */
  events: number
  /** Open tenders canceled. */
  canceledTenders: string[]
}

/**
 * Takes a book out of the ledger, in one transaction: its events kept aside, the book closed, its
 * open tenders canceled. `market` is the book's market definition (its mechanism closes the book).
 */
export async function quarantineBook (db: Database, book: string, market: MarketDefinition, reason: string): Promise<QuarantineResult> {
  const client = await db.pool.connect()
  try {
    await client.query('BEGIN')
    const first = (await client.query('SELECT market_context, dt_start, duration FROM book_events WHERE book_id = $1 ORDER BY seq LIMIT 1', [book])).rows[0]
    if (first === undefined) throw new Error(`book ${book} has no events in the ledger (te-gateway ledger check names the broken book)`)
    if (first.market_context !== market.marketContext) throw new Error(`book ${book} is of market ${first.market_context}, not ${market.marketContext}`)
    const instrument: Instrument = { marketContext: first.market_context, dtStart: (first.dt_start as Date).toISOString(), duration: first.duration }
    await client.query(QUARANTINE_TABLE)
    const moved = await client.query(`
      WITH gone AS (DELETE FROM book_events WHERE book_id = $1 RETURNING *)
      INSERT INTO quarantined_book_events (book_id, seq, market_context, dt_start, duration, kind, event, reason)
      SELECT book_id, seq, market_context, dt_start, duration, kind, event, $2 FROM gone`, [book, reason])
    // The book starts over closed: the events its engine gives for closing an empty book.
    const command = { type: 'close' as const, instrument }
    const events = await new LocalEngine({ kind: market.mechanism, selfTrade: market.selfTrade ?? 'cancelResting' }).execute(command)
    // At the ledger's next position, as the LMA would have written it.
    await client.query(`INSERT INTO book_events (book_id, seq, position, market_context, dt_start, duration, kind, event)
      VALUES ($1, 1, (SELECT coalesce(max(position), 0) + 1 FROM book_events), $2, $3, $4, $5, $6)`,
      [book, instrument.marketContext, instrument.dtStart, instrument.duration, command.type, JSON.stringify(compactBookEvent(book, command, events))])
    const canceled = await client.query(`
      UPDATE tenders SET canceled = quantity - filled, status = CASE WHEN filled = quantity THEN 'filled' ELSE 'canceled' END
       WHERE book_id = $1 AND status = 'open' RETURNING tender_id`, [book])
    await client.query('COMMIT')
    return { book, events: moved.rowCount ?? 0, canceledTenders: canceled.rows.map((r) => r.tender_id as string) }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}
