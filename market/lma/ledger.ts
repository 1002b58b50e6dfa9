/**
 * What the LMA keeps, and the store it keeps it in. The LMA holds its state in memory and writes
 * every change to the ledger, in one database transaction per batch, before it answers anyone.
 * On start it loads the ledger and replays each book's commands into a fresh engine.
 */
import type { Command, Instrument, MechanismEvent, Side } from '../lme/index.js'

export interface PartyRecord {
  partyID: string
  registrationID: string
  tokenSha256: string
  partyName?: string
  partyRole?: string
  callbackURI?: string
  marketContexts: string[]
  registeredAt: string
  canceledAt?: string
}

export type TenderStatus = 'open' | 'filled' | 'canceled' | 'rejected'

export interface TenderRecord {
  /** The party's own id of the tender (CTS tenderIDs are each party's). */
  tenderID: string
  /** The engine's id of the order, unique in the LMA; public market data names orders by it. */
  orderID: string
  partyID: string
  requestID: string
  /** The stream tender this interval tender was split from. */
  parentTenderID?: string
  book: string
  instrument: Instrument
  side: Side
  /** Decimal strings as tendered (price) and in ticks (the market's scale). */
  price: string
  priceTicks: number
  quantityTicks: number
  filledTicks: number
  canceledTicks: number
  status: TenderStatus
  createdAt: string
}

export interface TransactionRecord {
  transactionID: string
  tenderID: string
  partyID: string
  counterPartyID: string
  book: string
  matchNumber: number
  instrument: Instrument
  side: Side
  priceTicks: number
  quantityTicks: number
  createdAt: string
  acknowledgedAt?: string
}

/** An answered request: a resent requestID gets this answer again. */
export interface RequestRecord {
  partyID: string
  requestID: string
  payload: string
  body: unknown
  status: number
  answer: unknown
}

/**
 * One command to one book, with the events it caused, at the book's next ledger sequence. The
 * ledger also gives it a position in the whole ledger as it writes it (absent until then).
 */
export interface BookCommandRecord {
  book: string
  seq: number
  position?: number
  instrument: Instrument
  command: Command
  events: MechanismEvent[]
}

/** Everything one group commit writes, in one database transaction. */
export interface LedgerBatch {
  parties: PartyRecord[]
  requests: RequestRecord[]
  bookCommands: BookCommandRecord[]
  /** New tenders, and tenders whose fill/cancel state changed (written as the latest state). */
  tenders: TenderRecord[]
  transactions: TransactionRecord[]
  acknowledgements: Array<{ transactionID: string, at: string }>
  /** Not stored: each changed book's best bid and ask after the change, for the market data feed. */
  topOfBook: TopOfBook[]
}

export interface TopOfBook {
  book: string
  seq: number
  bestBid?: { price: number, quantity: number }
  bestAsk?: { price: number, quantity: number }
}

export function emptyBatch (): LedgerBatch {
  return { parties: [], requests: [], bookCommands: [], tenders: [], transactions: [], acknowledgements: [], topOfBook: [] }
}

export interface LedgerContents {
  parties: PartyRecord[]
  requests: RequestRecord[]
  /** Every book's commands, each book's in seq order. */
  bookCommands: BookCommandRecord[]
  tenders: TenderRecord[]
  transactions: TransactionRecord[]
}

/**
 * A write the store refused for what the batch holds (a value it cannot take, a constraint), not
 * because it is away: the same write will fail again, and a batch without the offending rows may
 * succeed. A Ledger throws it so that the LMA writes the batch's changes one by one.
 */
export class LedgerRefusal extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'LedgerRefusal'
  }
}

export interface Ledger {
  /** Writes a batch; on success every book command of the batch has its `position`. */
  write: (batch: LedgerBatch) => Promise<void>
  load: () => Promise<LedgerContents>
  /** Answers if the store does (readiness). */
  ping?: () => Promise<void>
  /** The book commands read back in the order written (market data subscribers resuming); absent if this store cannot. */
  tape?: LedgerTape
}

/**
 * The ledger's book commands as one sequence: each written command has a position, increasing
 * from one write to the next (not necessarily by one).
 */
export interface LedgerTape {
  /** The position of the last book command written; 0 before the first. */
  lastPosition: () => number
  /** At most `limit` book commands with a position above `after`, in position order. */
  bookCommandsAfter: (after: number, limit: number) => Promise<BookCommandRecord[]>
}

/** Appends everything of `from` to `into` (a change's own batch to the pending one). */
export function mergeBatch (into: LedgerBatch, from: LedgerBatch): void {
  into.parties.push(...from.parties)
  into.requests.push(...from.requests)
  into.bookCommands.push(...from.bookCommands)
  into.tenders.push(...from.tenders)
  into.transactions.push(...from.transactions)
  into.acknowledgements.push(...from.acknowledgements)
  into.topOfBook.push(...from.topOfBook)
}
