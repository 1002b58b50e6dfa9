/**
 * The LMA's ledger in PostgreSQL (or PGlite). One group commit is one database transaction, one
 * statement whatever the number of rows (unnest of one array per column). Prices and quantities are
 * written as exact numerics in the market's units, so the tables read well in SQL; the LMA works
 * in integer ticks, converted with each market's scale.
 */
import { fromTicks, toTicks } from '../../schemas/decimal.js'
import { arrayLiteral } from './array-literal.js'
import { compactBookEvent, expandBookEvent } from './book-event-codec.js'
import type { Database } from './database.js'
import { LedgerRefusal } from '../../market/lma/ledger.js'
import type {
  BookCommandRecord, Ledger, LedgerBatch, LedgerContents, LedgerTape, PartyRecord, RequestRecord, TenderRecord, TransactionRecord
} from '../../market/lma/ledger.js'

export interface Scale { priceScale: number, quantityScale: number }

export class PgLedger implements Ledger {
  private readonly statements = new Map<number, { name: string, text: string }>()
  /** The position of the last book command written (book_events.position); known after load or the first write. */
  private position: number | undefined

  constructor (private readonly db: Database, private readonly scaleOf: (marketContext: string) => Scale) {}

  readonly tape: LedgerTape = {
    lastPosition: () => this.position ?? 0,
    bookCommandsAfter: async (after, limit) => {
      const { rows } = await this.db.pool.query('SELECT * FROM book_events WHERE position > $1 ORDER BY position LIMIT $2', [after, limit])
      return rows.map(bookCommandOf)
    }
  }

  /**
   * Writes a batch as ONE statement: atomic without BEGIN/COMMIT, and one round trip, which
   * matters when the event loop is busy serving requests. The statement holds only the parts the
   * batch has (one data-modifying CTE per table); a part's rows travel as one typed array per
   * column, expanded by unnest (half PostgreSQL's CPU of json_to_recordset, measured). Each shape
   * is a named prepared statement, planned once per connection.
   * (Acknowledgements always concern transactions of earlier batches: a party acknowledges a
   * transaction only after it was delivered, which is after its batch was written.)
   */
  async write (batch: LedgerBatch): Promise<void> {
    // One writer, one batch at a time: the positions continue from the last written.
    let position = this.position ?? await this.lastPositionWritten()
    for (const c of batch.bookCommands) c.position = ++position
    const values: unknown[] = []
    const parts: string[] = []
    let mask = 0
    for (let i = 0; i < PARTS.length; i++) {
      const part = PARTS[i]!
      const columns = part.columns(batch, this.scaleOf)
      if (columns === undefined) continue
      const first = values.length + 1
      for (const column of columns) values.push(arrayLiteral(column))
      parts.push(`p${i} AS (${part.sql(part.types.map((type, k) => `$${first + k}::${type}[]`).join(', '))})`)
      mask |= 1 << i
    }
    if (mask === 0) return
    let statement = this.statements.get(mask)
    if (statement === undefined) {
      statement = { name: `ledger_write_${mask}`, text: `WITH ${parts.join(',\n')}\nSELECT 1` }
      this.statements.set(mask, statement)
    }
    try {
      await this.db.pool.query({ ...statement, values })
    } catch (error) {
      throw refusalOf(error)
    }
    this.position = position
  }

  private async lastPositionWritten (): Promise<number> {
    const { rows } = await this.db.pool.query<{ last: bigint | null }>('SELECT max(position) AS last FROM book_events')
    return Number(rows[0]!.last ?? 0)
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
    const bookCommands = (await q('SELECT * FROM book_events ORDER BY book_id, seq')).map(bookCommandOf)
    this.position = bookCommands.reduce((last, c) => Math.max(last, c.position!), 0)
    const ticks = (value: string, scale: number) => Number(toTicks(value, scale))
    const tenders = (await q('SELECT * FROM tenders ORDER BY created_at, tender_id')).map((r): TenderRecord => {
      const { priceScale, quantityScale } = this.scaleOf(r.market_context)
      return {
        tenderID: r.tender_id, orderID: r.order_id, partyID: r.party_id, requestID: r.request_id, book: r.book_id,
        instrument: { marketContext: r.market_context, dtStart: iso(r.dt_start)!, duration: r.duration }, side: r.side,
        price: fromTicks(ticks(r.price, priceScale), priceScale), priceTicks: ticks(r.price, priceScale),
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

/**
 * PostgreSQL's errors about the data (SQLSTATE class 22: data exception, 23: integrity constraint,
 * 54: program limit exceeded) as a LedgerRefusal; any other error (the connection, the server) as it is.
 */
function refusalOf (error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && /^(22|23|54)/.test(code)) return new LedgerRefusal(`${String((error as Error).message)} (SQLSTATE ${code})`, { cause: error })
  return error
}

type ScaleOf = (marketContext: string) => Scale

function bookCommandOf (r: Record<string, any>): BookCommandRecord {
  const instrument = { marketContext: r.market_context, dtStart: (r.dt_start as Date).toISOString(), duration: r.duration }
  return { book: r.book_id, seq: Number(r.seq), position: Number(r.position), instrument, ...expandBookEvent(r.book_id, instrument, r.event) }
}

/**
 * The parts of a batch: per table, the column types, the rows as one array per column (undefined
 * when the batch has none), and the SQL that writes them from `unnest(<one array per column>)`.
 */
interface Part {
  types: string[]
  columns: (batch: LedgerBatch, scaleOf: ScaleOf) => unknown[][] | undefined
  sql: (arrays: string) => string
}

/** Rows -> one array per column. */
function columnsOf<T> (rows: readonly T[], ...getters: Array<(row: T, index: number) => unknown>): unknown[][] | undefined {
  if (rows.length === 0) return undefined
  const columns = getters.map(() => new Array<unknown>(rows.length))
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < getters.length; c++) columns[c]![r] = getters[c]!(rows[r]!, r)
  }
  return columns
}

const PARTS: Part[] = [
  {
    // Rare, and market_contexts is itself an array (unnest would flatten it): one json array.
    types: ['json'],
    columns: (batch) => batch.parties.length === 0
      ? undefined
      : [[JSON.stringify(batch.parties.map((p) => ({
          party_id: p.partyID, registration_id: p.registrationID, token_sha256: p.tokenSha256, party_name: p.partyName ?? null,
          party_role: p.partyRole ?? null, callback_uri: p.callbackURI ?? null, market_contexts: p.marketContexts,
          registered_at: p.registeredAt, canceled_at: p.canceledAt ?? null
        })))]],
    sql: (arrays) => `
      INSERT INTO parties (party_id, registration_id, token_sha256, party_name, party_role, callback_uri, market_contexts, registered_at, canceled_at)
      SELECT x.* FROM unnest(${arrays}) AS j(doc), json_to_recordset(j.doc) AS x(party_id text, registration_id text, token_sha256 text,
             party_name text, party_role text, callback_uri text, market_contexts text[], registered_at timestamptz, canceled_at timestamptz)
      ON CONFLICT (party_id) DO UPDATE SET registration_id = EXCLUDED.registration_id, token_sha256 = EXCLUDED.token_sha256,
        party_name = EXCLUDED.party_name, party_role = EXCLUDED.party_role, callback_uri = EXCLUDED.callback_uri,
        market_contexts = EXCLUDED.market_contexts, registered_at = EXCLUDED.registered_at, canceled_at = EXCLUDED.canceled_at`
  },
  {
    types: ['text', 'text', 'text', 'json', 'smallint', 'json'],
    columns: (batch) => columnsOf(batch.requests, (r) => r.partyID, (r) => r.requestID, (r) => r.payload, (r) => JSON.stringify(r.body),
      (r) => r.status, (r) => JSON.stringify(r.answer)),
    sql: (arrays) => `INSERT INTO requests (party_id, request_id, payload, body, status, answer) SELECT * FROM unnest(${arrays})`
  },
  {
    types: ['text', 'bigint', 'bigint', 'text', 'timestamptz', 'text', 'text', 'json'],
    columns: (batch) => columnsOf(batch.bookCommands, (c) => c.book, (c) => c.seq, (c) => c.position, (c) => c.instrument.marketContext, (c) => c.instrument.dtStart,
      (c) => c.instrument.duration, (c) => c.command.type, (c) => JSON.stringify(compactBookEvent(c.book, c.command, c.events))),
    sql: (arrays) => `INSERT INTO book_events (book_id, seq, position, market_context, dt_start, duration, kind, event) SELECT * FROM unnest(${arrays})`
  },
  {
    types: ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'timestamptz', 'text', 'text', 'numeric', 'numeric', 'numeric', 'numeric', 'text', 'timestamptz'],
    // A tender changed by several requests of one batch is written once, as it is last.
    columns: (batch, scaleOf) => {
      const tenders = [...new Map(batch.tenders.map((t) => [t.orderID, t])).values()]
      const scales = tenders.map((t) => scaleOf(t.instrument.marketContext))
      return columnsOf(tenders, (t) => t.orderID, (t) => t.tenderID, (t) => t.partyID, (t) => t.requestID, (t) => t.parentTenderID ?? null, (t) => t.book,
        (t) => t.instrument.marketContext, (t) => t.instrument.dtStart, (t) => t.instrument.duration, (t) => t.side,
        (t, i) => fromTicks(t.priceTicks, scales[i]!.priceScale), (t, i) => fromTicks(t.quantityTicks, scales[i]!.quantityScale),
        (t, i) => fromTicks(t.filledTicks, scales[i]!.quantityScale), (t, i) => fromTicks(t.canceledTicks, scales[i]!.quantityScale),
        (t) => t.status, (t) => t.createdAt)
    },
    sql: (arrays) => `
      INSERT INTO tenders (order_id, tender_id, party_id, request_id, parent_tender_id, book_id, market_context, dt_start, duration, side,
                           price, quantity, filled, canceled, status, created_at)
      SELECT * FROM unnest(${arrays})
      ON CONFLICT (order_id) DO UPDATE SET filled = EXCLUDED.filled, canceled = EXCLUDED.canceled, status = EXCLUDED.status`
  },
  {
    types: ['text', 'text', 'text', 'text', 'text', 'bigint', 'text', 'timestamptz', 'text', 'text', 'numeric', 'numeric', 'timestamptz', 'timestamptz'],
    columns: (batch, scaleOf) => columnsOf(batch.transactions, (t) => t.transactionID, (t) => t.tenderID, (t) => t.partyID, (t) => t.counterPartyID,
      (t) => t.book, (t) => t.matchNumber, (t) => t.instrument.marketContext, (t) => t.instrument.dtStart, (t) => t.instrument.duration, (t) => t.side,
      (t) => fromTicks(t.priceTicks, scaleOf(t.instrument.marketContext).priceScale), (t) => fromTicks(t.quantityTicks, scaleOf(t.instrument.marketContext).quantityScale),
      (t) => t.createdAt, (t) => t.acknowledgedAt ?? null),
    sql: (arrays) => `
      INSERT INTO transactions (transaction_id, tender_id, party_id, counter_party_id, book_id, match_number, market_context, dt_start,
                                duration, side, price, quantity, created_at, acknowledged_at)
      SELECT * FROM unnest(${arrays})`
  },
  {
    types: ['text', 'timestamptz'],
    columns: (batch) => columnsOf(batch.acknowledgements, (a) => a.transactionID, (a) => a.at),
    sql: (arrays) => `
      UPDATE transactions t SET acknowledged_at = x.at FROM unnest(${arrays}) AS x(transaction_id, at)
       WHERE t.transaction_id = x.transaction_id AND t.acknowledged_at IS NULL`
  }
]
