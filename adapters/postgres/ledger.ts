/**
 * The LMA's ledger in PostgreSQL (or PGlite). One group commit is one database transaction, one
 * statement per table whatever the number of rows (jsonb_to_recordset). Prices and quantities are
 * written as exact numerics in the market's units, so the tables read well in SQL; the LMA works
 * in integer ticks, converted with each market's scale.
 */
import { fromTicks, toTicks } from '../../schemas/decimal.js'
import type { Database } from './database.js'
import type {
  BookCommandRecord, Ledger, LedgerBatch, LedgerContents, PartyRecord, RequestRecord, TenderRecord, TransactionRecord
} from '../../market/lma/ledger.js'

export interface Scale { priceScale: number, quantityScale: number }

export class PgLedger implements Ledger {
  private readonly statements = new Map<number, { name: string, text: string }>()

  constructor (private readonly db: Database, private readonly scaleOf: (marketContext: string) => Scale) {}

  /**
   * Writes a batch as ONE statement: atomic without BEGIN/COMMIT, and one round trip, which
   * matters when the event loop is busy serving requests. The statement holds only the parts the
   * batch has (one data-modifying CTE per table), each part one json parameter expanded by
   * json_to_recordset; each shape is a named prepared statement, planned once per connection.
   * (Acknowledgements always concern transactions of earlier batches: a party acknowledges a
   * transaction only after it was delivered, which is after its batch was written.)
   */
  async write (batch: LedgerBatch): Promise<void> {
    const values: string[] = []
    const parts: string[] = []
    let mask = 0
    for (let i = 0; i < PARTS.length; i++) {
      const part = PARTS[i]!
      const rows = part.rows(batch, this.scaleOf)
      if (rows.length === 0) continue
      values.push(JSON.stringify(rows))
      parts.push(`p${i} AS (${part.sql(`$${values.length}::json`)})`)
      mask |= 1 << i
    }
    if (mask === 0) return
    let statement = this.statements.get(mask)
    if (statement === undefined) {
      statement = { name: `ledger_write_${mask}`, text: `WITH ${parts.join(',\n')}\nSELECT 1` }
      this.statements.set(mask, statement)
    }
    await this.db.pool.query({ ...statement, values })
  }

  async ping (): Promise<void> {
    await this.db.pool.query('SELECT 1')
  }

  async load (): Promise<LedgerContents> {
    const q = async <R extends Record<string, any>>(sql: string) => (await this.db.pool.query<R>(sql)).rows
    const iso = (v: Date | null) => v === null ? undefined : v.toISOString()
    const parties = (await q('SELECT * FROM parties ORDER BY registered_at, party_id')).map((r): PartyRecord => ({
      partyID: r.party_id, registrationID: r.registration_id, tokenSha256: r.token_sha256, marketContexts: r.market_contexts,
      registeredAt: iso(r.registered_at)!,
      ...(r.party_name !== null && { partyName: r.party_name }), ...(r.party_role !== null && { partyRole: r.party_role }),
      ...(r.callback_uri !== null && { callbackURI: r.callback_uri }), ...(r.canceled_at !== null && { canceledAt: iso(r.canceled_at) })
    }))
    const requests = (await q('SELECT * FROM requests')).map((r): RequestRecord => ({
      partyID: r.party_id, requestID: r.request_id, payload: r.payload, body: r.body, status: r.status, answer: r.answer
    }))
    const bookCommands = (await q('SELECT * FROM book_events ORDER BY book_id, seq')).map((r): BookCommandRecord => ({
      book: r.book_id, seq: Number(r.seq), instrument: r.event.command.type === 'submit' ? r.event.command.order.instrument : { marketContext: r.market_context, dtStart: iso(r.dt_start)!, duration: r.duration },
      command: r.event.command, events: r.event.events
    }))
    const ticks = (value: string, scale: number) => Number(toTicks(value, scale))
    const tenders = (await q('SELECT * FROM tenders ORDER BY created_at, tender_id')).map((r): TenderRecord => {
      const { priceScale, quantityScale } = this.scaleOf(r.market_context)
      return {
        tenderID: r.tender_id, partyID: r.party_id, requestID: r.request_id, book: r.book_id,
        instrument: { marketContext: r.market_context, dtStart: iso(r.dt_start)!, duration: r.duration }, side: r.side,
        price: fromTicks(BigInt(ticks(r.price, priceScale)), priceScale), priceTicks: ticks(r.price, priceScale),
        quantityTicks: ticks(r.quantity, quantityScale), filledTicks: ticks(r.filled, quantityScale), canceledTicks: ticks(r.canceled, quantityScale),
        status: r.status, createdAt: iso(r.created_at)!,
        ...(r.parent_tender_id !== null && { parentTenderID: r.parent_tender_id })
      }
    })
    const transactions = (await q('SELECT * FROM transactions ORDER BY created_at, book_id, match_number, side')).map((r): TransactionRecord => {
      const { priceScale, quantityScale } = this.scaleOf(r.market_context)
      return {
        transactionID: r.transaction_id, tenderID: r.tender_id, partyID: r.party_id, counterPartyID: r.counter_party_id, book: r.book_id,
        matchNumber: Number(r.match_number), instrument: { marketContext: r.market_context, dtStart: iso(r.dt_start)!, duration: r.duration },
        side: r.side, priceTicks: ticks(r.price, priceScale), quantityTicks: ticks(r.quantity, quantityScale), createdAt: iso(r.created_at)!,
        ...(r.acknowledged_at !== null && { acknowledgedAt: iso(r.acknowledged_at) })
      }
    })
    return { parties, requests, bookCommands, tenders, transactions }
  }
}

type ScaleOf = (marketContext: string) => Scale

/** The parts of a batch, each the rows of one table and the SQL that writes them from a json array. */
const PARTS: Array<{ rows: (batch: LedgerBatch, scaleOf: ScaleOf) => object[], sql: (json: string) => string }> = [
  {
    rows: (batch) => batch.parties.map((p) => ({
      party_id: p.partyID, registration_id: p.registrationID, token_sha256: p.tokenSha256, party_name: p.partyName ?? null,
      party_role: p.partyRole ?? null, callback_uri: p.callbackURI ?? null, market_contexts: p.marketContexts,
      registered_at: p.registeredAt, canceled_at: p.canceledAt ?? null
    })),
    sql: (json) => `
      INSERT INTO parties (party_id, registration_id, token_sha256, party_name, party_role, callback_uri, market_contexts, registered_at, canceled_at)
      SELECT * FROM json_to_recordset(${json}) AS x(party_id text, registration_id text, token_sha256 text, party_name text,
             party_role text, callback_uri text, market_contexts text[], registered_at timestamptz, canceled_at timestamptz)
      ON CONFLICT (party_id) DO UPDATE SET registration_id = EXCLUDED.registration_id, token_sha256 = EXCLUDED.token_sha256,
        party_name = EXCLUDED.party_name, party_role = EXCLUDED.party_role, callback_uri = EXCLUDED.callback_uri,
        market_contexts = EXCLUDED.market_contexts, registered_at = EXCLUDED.registered_at, canceled_at = EXCLUDED.canceled_at`
  },
  {
    rows: (batch) => batch.requests.map((r) => ({ party_id: r.partyID, request_id: r.requestID, payload: r.payload, body: r.body, status: r.status, answer: r.answer })),
    sql: (json) => `
      INSERT INTO requests (party_id, request_id, payload, body, status, answer)
      SELECT * FROM json_to_recordset(${json}) AS x(party_id text, request_id text, payload text, body json, status smallint, answer json)`
  },
  {
    rows: (batch) => batch.bookCommands.map((c) => ({
      book_id: c.book, seq: c.seq, market_context: c.instrument.marketContext, dt_start: c.instrument.dtStart,
      duration: c.instrument.duration, kind: c.command.type, event: { command: c.command, events: c.events }
    })),
    sql: (json) => `
      INSERT INTO book_events (book_id, seq, market_context, dt_start, duration, kind, event)
      SELECT * FROM json_to_recordset(${json}) AS x(book_id text, seq bigint, market_context text, dt_start timestamptz, duration text, kind text, event json)`
  },
  {
    // A tender changed by several requests of one batch is written once, as it is last.
    rows: (batch, scaleOf) => [...new Map(batch.tenders.map((t) => [t.tenderID, t])).values()].map((t) => {
      const { priceScale, quantityScale } = scaleOf(t.instrument.marketContext)
      return {
        tender_id: t.tenderID, party_id: t.partyID, request_id: t.requestID, parent_tender_id: t.parentTenderID ?? null, book_id: t.book,
        market_context: t.instrument.marketContext, dt_start: t.instrument.dtStart, duration: t.instrument.duration, side: t.side,
        price: fromTicks(BigInt(t.priceTicks), priceScale), quantity: fromTicks(BigInt(t.quantityTicks), quantityScale),
        filled: fromTicks(BigInt(t.filledTicks), quantityScale), canceled: fromTicks(BigInt(t.canceledTicks), quantityScale),
        status: t.status, created_at: t.createdAt
      }
    }),
    sql: (json) => `
      INSERT INTO tenders (tender_id, party_id, request_id, parent_tender_id, book_id, market_context, dt_start, duration, side,
                           price, quantity, filled, canceled, status, created_at)
      SELECT * FROM json_to_recordset(${json}) AS x(tender_id text, party_id text, request_id text, parent_tender_id text,
             book_id text, market_context text, dt_start timestamptz, duration text, side text, price numeric, quantity numeric, filled numeric,
             canceled numeric, status text, created_at timestamptz)
      ON CONFLICT (tender_id) DO UPDATE SET filled = EXCLUDED.filled, canceled = EXCLUDED.canceled, status = EXCLUDED.status`
  },
  {
    rows: (batch, scaleOf) => batch.transactions.map((t) => {
      const { priceScale, quantityScale } = scaleOf(t.instrument.marketContext)
      return {
        transaction_id: t.transactionID, tender_id: t.tenderID, party_id: t.partyID, counter_party_id: t.counterPartyID, book_id: t.book,
        match_number: t.matchNumber, market_context: t.instrument.marketContext, dt_start: t.instrument.dtStart, duration: t.instrument.duration,
        side: t.side, price: fromTicks(BigInt(t.priceTicks), priceScale), quantity: fromTicks(BigInt(t.quantityTicks), quantityScale),
        created_at: t.createdAt, acknowledged_at: t.acknowledgedAt ?? null
      }
    }),
    sql: (json) => `
      INSERT INTO transactions (transaction_id, tender_id, party_id, counter_party_id, book_id, match_number, market_context, dt_start,
                                duration, side, price, quantity, created_at, acknowledged_at)
      SELECT * FROM json_to_recordset(${json}) AS x(transaction_id text, tender_id text, party_id text,
             counter_party_id text, book_id text, match_number bigint, market_context text, dt_start timestamptz, duration text, side text,
             price numeric, quantity numeric, created_at timestamptz, acknowledged_at timestamptz)`
  },
  {
    rows: (batch) => batch.acknowledgements.map((a) => ({ transaction_id: a.transactionID, at: a.at })),
    sql: (json) => `
      UPDATE transactions t SET acknowledged_at = x.at
        FROM json_to_recordset(${json}) AS x(transaction_id text, at timestamptz)
       WHERE t.transaction_id = x.transaction_id AND t.acknowledged_at IS NULL`
  }
]
