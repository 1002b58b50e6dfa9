/**
 * The Local Market Agent: the only door into the market. It checks every request against the
 * market's rules, runs the engine (market/lme), records everything in the ledger before it
 * answers, tells each party of its transactions, and answers queries from its state.
 *
 * It knows nothing of HTTP or XML: requests arrive as checked CTS payloads (schemas/) with the
 * authenticated party, answers leave as CTS payloads with the HTTP-like status they deserve.
 *
 * Consistency: every change is made in memory synchronously (so requests never interleave inside
 * one), collected into the pending ledger batch together with its answer's idempotency record,
 * and answered only once that batch is written (group commit: requests that arrive while a batch
 * is being written go into the next one). A request whose strings the ledger cannot store is
 * refused before it changes anything. If a batch still fails, its changes are written one by one:
 * those written are answered, one that fails is refused, and so is any later one that touched the
 * same book, tender or party; a failed change that moved no book is undone in memory, otherwise
 * the state in memory is ahead of the ledger and the LMA refuses requests (503) and reloads itself.
 *
 * On start, each market's books are replayed from the ledger and checked against it. A market that
 * does not replay is out of service (503, naming the row) while the others trade; the operator
 * repairs it with `te-gateway ledger` (README, "Repairing the ledger").
 */
import { createHash, randomUUID } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import type { Payload } from '../../schemas/registry.js'
import type { Product } from '../../schemas/emix.js'
import type { EiTransaction } from '../../schemas/ei.js'
import { fromTicks } from '../../schemas/decimal.js'
import { instrumentKey, LocalEngine, type Command, type Instrument, type MarketEngine, type MechanismEvent, type SnapshotView } from '../lme/index.js'
import { emptyBatch, LedgerRefusal, mergeBatch, type BookCommandRecord, type Ledger, type LedgerBatch, type LedgerContents, type LedgerTape, type PartyRecord, type TenderRecord, type TopOfBook, type TransactionRecord } from './ledger.js'
import { Market, type MarketDefinition } from './markets.js'
import { newToken, PartyRegistry, sha256 } from './parties.js'
import { TenderIndex } from './tenders.js'
import { callbackURIProblem } from './callback-uri.js'
import { checkEnrolment, OPEN_ENROLMENT, type EnrolmentPolicy } from './enrolment.js'
import { MarketRefusal, okResponse, RESPONSE_CODES, eiResponse } from './responses.js'
import { bodyHash, firstUnstorable } from './request-body.js'
import { Uid } from '../../schemas/simple-types.js'
import { durationMs, systemClock, utc, type Clock } from './time.js'
import { checkHorizon, checkTenderCount, DEFAULT_ORDER_ENTRY_LIMITS, type OrderEntryLimits } from './limits.js'

export interface Answer<N extends keyof AnswerPayloads = keyof AnswerPayloads> {
  status: number
  name: N
  payload: AnswerPayloads[N]
}

type AnswerPayloads = {
  [N in 'eiCreatedTender' | 'eiCreatedStreamTender' | 'eiCanceledTender' | 'eiReplyTender' | 'eiReplyTransaction' | 'eiReplyQuote' |
    'eiCreatedPartyRegistration' | 'eiReplyPartyRegistration' | 'eiCanceledPartyRegistration' | 'eiReplyEiMarketContext' |
    'eiReplyPosition' | 'eiReplyMarketRules']: Payload<N>
}

/** Sends eiCreateTransaction to a party; resolves true once the party acknowledged it (eiCreatedTransaction 2xx). */
export type TransactionDelivery = (party: PartyRecord, message: Payload<'eiCreateTransaction'>) => Promise<boolean>

/**
 * Market data out: every engine event once it is in the ledger, in its book's order (the ticker
 * tape); `commands` are the book commands that caused them, with their ledger positions.
 * `reset` says the books were reloaded: take new snapshots.
 */
export type EventListener = (events: MechanismEvent[], extra: { reset?: true, topOfBook?: TopOfBook[], commands?: readonly BookCommandRecord[] }) => void

export interface LmaOptions {
  /** The LMA's own party id (counterPartyID of tenders, registrarPartyID). Default "lma". */
  partyID?: string
  markets: MarketDefinition[]
  ledger: Ledger
  clock?: Clock
  deliver?: TransactionDelivery
  /** First retry delay of an unacknowledged transaction; it doubles up to 30 s. Default 500 ms. */
  retryMs?: number
  log?: (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void
  /** Each market's engine; undefined: its mechanism in this process (LocalEngine). RemoteEngine drives an LME service. */
  engine?: (market: MarketDefinition) => MarketEngine | undefined
  /** Who may register: anyone (the default), or the parties the operator enrolled with a secret. */
  enrolment?: EnrolmentPolicy
  /** Party ids nobody may register, besides the LMA's own (compared ignoring case); `prefix*` reserves every id starting so. */
  reservedPartyIDs?: string[]
  /**
   * The operator's network policy for callback URIs (the delivering adapter's): why a URI is
   * refused, or undefined. Registration asks it after the LMA's own check (http(s) only).
   */
  checkCallbackURI?: (uri: string) => Promise<string | undefined>
  /** Tenders per request and delivery horizon (defaults: DEFAULT_ORDER_ENTRY_LIMITS). */
  limits?: Partial<OrderEntryLimits>
}

/** Who is registering: a party proving its enrolment, or the operator (a binding's configured parties). */
export interface RegistrationCredentials {
  enrolmentSecret?: string
  byOperator?: true
}

interface PendingAnswer {
  answer: Answer
  /** bodyHash of the request: the same requestID with another body is a conflict. */
  hash: string
  /** True once the answer and its record are in the ledger; false if they could not be written. */
  written: Promise<boolean>
}

/** One change's part of the pending ledger batch; it is answered once that part is in the ledger. */
interface Member {
  batch: LedgerBatch
  resolve: () => void
  reject: (error: unknown) => void
  /** Puts memory back as it was before the change, if its part cannot be written; absent: only a reload can. */
  undo?: () => void
}

/** Why a market does not replay: the row that disagrees. */
export interface OutOfService {
  marketContext: string
  book?: string
  seq?: number
  tenderID?: string
  reason: string
}

export class LocalMarketAgent {
  readonly partyID: string
  readonly markets = new Map<string, Market>()
  private readonly clock: Clock
  private readonly parties = new PartyRegistry()
  private readonly engines = new Map<string, MarketEngine>()
  private instruments = new Map<string, Instrument>()
  private bookSeq = new Map<string, number>()
  /** Books whose gate has closed (their `closed` event is in the ledger or the pending batch). */
  private closedBooks = new Set<string>()
  /** Every tender, by its order id and by its party's own tenderID. */
  private tenders = new TenderIndex()
  private transactions = new Map<string, TransactionRecord>()
  private answered = new Map<string, PendingAnswer>()
  private readonly listeners = new Set<EventListener>()
  /** The tail of the queue of changes (exclusive). */
  private queue: Promise<unknown> = Promise.resolve()

  private pending: Member[] = []
  private flushing = false
  /** Markets whose ledger does not replay, by marketContext: they refuse every request (503). */
  private outOfService = new Map<string, OutOfService>()
  /** Markets being reloaded from the ledger after a failed write: they refuse changes meanwhile (503). */
  private readonly recovering = new Set<string>()
  private broken: unknown = undefined
  private readonly undelivered = new Set<string>()
  private readonly delivering = new Set<string>()
  private readonly retryTimers = new Set<NodeJS.Timeout>()
  private closed = false

  private constructor (private readonly options: LmaOptions) {
    this.partyID = options.partyID ?? 'lma'
    this.clock = options.clock ?? systemClock
    for (const definition of options.markets) {
      this.markets.set(definition.marketContext, new Market(definition))
      this.engines.set(definition.marketContext, options.engine?.(definition) ?? new LocalEngine({ kind: definition.mechanism, selfTrade: definition.selfTrade ?? 'cancelResting' }))
    }
  }

  /** Opens the LMA: loads the ledger, replays every book, resumes delivery of unacknowledged transactions. */
  static async open (options: LmaOptions): Promise<LocalMarketAgent> {
    const lma = new LocalMarketAgent(options)
    await lma.exclusive(() => lma.load())
    lma.deliverTransactions([...lma.undelivered])
    return lma
  }

  private log (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>): void {
    this.options.log?.(level, message, detail)
  }

  // ------------------------------------------------------------------------------------------
  // Loading and the ledger

  /**
   * Loads the ledger: everything, or (`scope`) the state of some markets and parties, whose memory
   * went ahead of the ledger, leaving the rest as it is. Answered requests are kept when scoped (a
   * failed request's record was forgotten when it failed).
   */
  private async load (scope?: { markets: ReadonlySet<string>, parties: ReadonlySet<string> }, read?: LedgerContents): Promise<void> {
    const contents = read ?? await this.options.ledger.load()
    const only = scope?.markets
    const inScope = (marketContext: string) => only === undefined || only.has(marketContext)
    if (only === undefined) {
      this.instruments = new Map()
      this.bookSeq = new Map()
      this.closedBooks = new Set()
      this.transactions = new Map()
      this.answered = new Map()
      this.outOfService = new Map()
      for (const r of contents.requests) {
        this.answered.set(`${r.partyID}\u0000${r.requestID}`, { answer: r.answer as Answer, hash: bodyHash(r.payload, r.body), written: Promise.resolve(true) })
      }
    } else {
      for (const [book, instrument] of this.instruments) {
        if (!inScope(instrument.marketContext)) continue
        this.instruments.delete(book)
        this.bookSeq.delete(book)
        this.closedBooks.delete(book)
      }
      for (const [id, t] of this.transactions) {
        if (!inScope(t.instrument.marketContext)) continue
        this.transactions.delete(id)
        this.undelivered.delete(id)
      }
      for (const m of only) this.outOfService.delete(m)
    }
    this.parties.load(scope === undefined ? contents.parties : contents.parties.filter((p) => scope.parties.has(p.partyID)))
    if (scope !== undefined) for (const id of scope.parties) if (!contents.parties.some((p) => p.partyID === id)) this.parties.remove(id)
    // Scoped: the tenders of other markets as they are, those of the markets reloaded as the ledger has them.
    const tenders = new TenderIndex()
    if (only !== undefined) for (const t of this.tenders.values()) if (!inScope(t.instrument.marketContext)) tenders.add(t)
    for (const t of contents.tenders) if (inScope(t.instrument.marketContext)) tenders.add(t)
    this.tenders = tenders
    for (const t of contents.transactions) {
      if (!inScope(t.instrument.marketContext)) continue
      this.transactions.set(t.transactionID, t)
      if (t.acknowledgedAt === undefined) this.undelivered.add(t.transactionID)
    }
    const outOfService = (problem: OutOfService) => { if (!this.outOfService.has(problem.marketContext)) this.outOfService.set(problem.marketContext, problem) }
    const unconfigured = new Set<string>()
    const byMarket = new Map<string, typeof contents.bookCommands>([...this.engines.keys()].map((m) => [m, []]))
    for (const c of contents.bookCommands) {
      const marketContext = c.instrument.marketContext
      if (!inScope(marketContext)) continue
      const commands = byMarket.get(marketContext)
      if (commands === undefined) { unconfigured.add(marketContext); continue }
      const expected = (this.bookSeq.get(c.book) ?? 0) + 1
      if (c.seq !== expected) outOfService({ marketContext, book: c.book, seq: c.seq, reason: `ledger gap in book ${c.book}: seq ${c.seq}, expected ${expected}` })
      this.bookSeq.set(c.book, Math.max(c.seq, expected - 1))
      this.instruments.set(c.book, c.instrument)
      commands.push(c)
    }
    for (const m of unconfigured) this.log('error', `the ledger has books of market ${m}, which is not configured: its tenders are kept, not traded`, { marketContext: m })
    // Each engine starts over from its market's commands; every command must give the events the ledger has.
    for (const [marketContext, commands] of byMarket) {
      if (!inScope(marketContext) || this.outOfService.has(marketContext)) continue
      const engine = this.engines.get(marketContext)!
      let replayed: MechanismEvent[][]
      try {
        replayed = await engine.rebuild(commands.map((c) => c.command))
      } catch (error) {
        // An engine in another process that does not answer is not the ledger's fault: load again later.
        if (!(engine instanceof LocalEngine)) throw error
        outOfService({ marketContext, reason: `the ledger's commands do not replay: ${String(error)}` })
        continue
      }
      for (const [i, c] of commands.entries()) {
        const events = replayed[i]!
        if (events.some((e) => e.type === 'closed')) this.closedBooks.add(c.book)
        if (!isDeepStrictEqual(events, c.events)) {
          outOfService({ marketContext, book: c.book, seq: c.seq, reason: `replay of book ${c.book} at seq ${c.seq} differs from the ledger` })
          break
        }
      }
    }
    // The replayed books must hold exactly the open tenders of the ledger, with what remains of them.
    for (const t of this.tenders.values()) {
      const marketContext = t.instrument.marketContext
      if (t.status !== 'open' || !inScope(marketContext) || !this.engines.has(marketContext) || this.outOfService.has(marketContext)) continue
      const resting = this.engines.get(marketContext)!.order(t.orderID)
      const remaining = t.quantityTicks - t.filledTicks - t.canceledTicks
      if (resting?.remaining !== remaining) {
        outOfService({ marketContext, book: t.book, tenderID: t.tenderID, reason: `tender ${JSON.stringify(t.tenderID)} of ${t.partyID} (order ${t.orderID}): the ledger says ${remaining} remain, the replayed book ${resting?.remaining ?? 'has none'}` })
      }
    }
    for (const problem of this.outOfService.values()) {
      if (!inScope(problem.marketContext)) continue
      this.log('error', `market ${problem.marketContext} is out of service (503): ${problem.reason}; ${repairHint(problem)}`, { ...problem })
    }
    if (scope === undefined) this.broken = undefined
    this.log('info', only === undefined ? 'ledger loaded' : `markets reloaded from the ledger: ${[...only].join(', ')}`, { parties: contents.parties.length, tenders: contents.tenders.length, transactions: contents.transactions.length, bookCommands: contents.bookCommands.length })
  }

  /** Markets that did not replay from the ledger, with the row that disagrees; they refuse requests (503). */
  marketsOutOfService (): OutOfService[] {
    return [...this.outOfService.values()]
  }

  /** Refuses (503) a request that concerns a market whose ledger did not replay. */
  private assertInService (marketContext: string, path: string): void {
    if (this.recovering.has(marketContext)) throw new MarketRefusal('unavailable', `${path}: market ${marketContext} is recovering from a failed ledger write; try again`)
    const problem = this.outOfService.get(marketContext)
    if (problem !== undefined) {
      throw new MarketRefusal('unavailable', `${path}: market ${marketContext} is out of service until its ledger is repaired (${problem.reason})`)
    }
  }

  /** Adds a change's batch to the pending one; resolves once it is in the ledger (rejects with a 503 refusal if not). */
  private commit (batch: LedgerBatch, undo?: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ batch, resolve, reject, ...(undo !== undefined && { undo }) })
      if (!this.flushing) void this.flush()
    })
  }

  /** Waits until everything changed so far is in the ledger (or refused). */
  private written (): Promise<void> {
    return this.commit(emptyBatch())
  }

  private async flush (): Promise<void> {
    this.flushing = true
    while (this.pending.length > 0) {
      const members = this.pending
      this.pending = []
      const batch = emptyBatch()
      for (const m of members) mergeBatch(batch, m.batch)
      try {
        await this.options.ledger.write(batch)
      } catch (error) {
        await this.isolate(members, error)
        continue
      }
      this.committed(batch, members)
    }
    this.flushing = false
  }

  /** Answers the members of a written batch and tells the listeners. */
  private committed (batch: LedgerBatch, members: Member[]): void {
    for (const m of members) m.resolve()
    this.publish(batch)
    if (batch.transactions.length > 0) {
      this.deliverTransactions(batch.transactions.map((t) => t.transactionID))
      this.tell(this.transactionListeners, (listener) => listener(batch.transactions), 'transaction listener')
    }
  }

  /**
   * A batch could not be written. If the store refused its data (LedgerRefusal), its members are
   * written alone, in order, to find those it cannot take: each one written is answered; one that
   * fails is refused (503), and so is every later one that touched the same book, tender or party
   * (it was made on top of the failed one). When the store is away, every member is refused. Failed changes that moved no
   * book are undone in memory; if one moved a book, memory is ahead of the ledger: reload.
   */
  private async isolate (members: Member[], error: unknown): Promise<void> {
    const failed: Member[] = []
    const tainted = new Set<string>()
    let last = error
    // Only a refusal of the data is worth writing member by member; a store that is away takes none.
    let away = !(error instanceof LedgerRefusal)
    for (const m of members) {
      const keys = touchedKeys(m.batch)
      if (members.length > 1 && !away && !keys.some((k) => tainted.has(k))) {
        try {
          await this.options.ledger.write(m.batch)
          this.committed(m.batch, [m])
          continue
        } catch (e) {
          last = e
          away = !(e instanceof LedgerRefusal)
        }
      }
      failed.push(m)
      for (const k of keys) tainted.add(k)
    }
    if (failed.length === 0) return
    const refusal = new MarketRefusal('unavailable', 'the ledger could not record the request; nothing was changed')
    for (const m of failed) m.reject(refusal)
    this.log('error', 'ledger write failed', { error: String(last), refused: failed.length, written: members.length - failed.length })
    // Failed changes that can be undone are undone, latest first; if all could, memory is as the ledger.
    for (const m of [...failed].reverse()) m.undo?.()
    if (failed.every((m) => m.undo !== undefined)) return
    // A failed change moved books: the memory of their markets is ahead of the ledger. Those
    // markets refuse changes until they are reloaded from the ledger; the others trade on.
    const markets = new Set(failed.flatMap((m) => marketsOf(m.batch)))
    const parties = new Set(failed.flatMap((m) => m.batch.parties.map((p) => p.partyID)))
    for (const m of markets) this.recovering.add(m)
    this.log('error', `a failed change moved books; reloading ${[...markets].join(', ')} from the ledger`, { error: String(last) })
    try {
      // Read outside the queue, so that changes of other markets go on meanwhile: nothing is written
      // while this runs (the writer is here), and the markets being reloaded take no changes.
      const contents = await this.options.ledger.load()
      await this.exclusive(async () => {
        // Changes queued since that touched those markets or parties were made on top of the failed
        // ones: refused too (and their markets reloaded as well).
        let queued = this.pending
        const refused: Member[] = []
        for (let grew = true; grew;) {
          grew = false
          const kept: Member[] = []
          for (const m of queued) {
            const touched = marketsOf(m.batch)
            if (touched.some((x) => markets.has(x)) || m.batch.parties.some((p) => parties.has(p.partyID))) {
              refused.push(m)
              for (const x of touched) if (!markets.has(x)) { markets.add(x); this.recovering.add(x); grew = true }
              for (const p of m.batch.parties) parties.add(p.partyID)
            } else kept.push(m)
          }
          queued = kept
        }
        this.pending = queued
        for (const m of refused) m.reject(refusal)
        await this.load({ markets, parties }, contents)
      })
      for (const listener of this.listeners) listener([], { reset: true })
    } catch (reloadError) {
      // The store is away: refuse everything and reload all of it once it is back.
      this.broken = reloadError
      const queued = this.pending
      this.pending = []
      for (const m of queued) m.reject(refusal)
      await this.reload()
    } finally {
      for (const m of markets) this.recovering.delete(m)
    }
  }

  /**
   * Rebuilds state and engines from the ledger after a failure, retrying (100 ms, doubling up to
   * 5 s) while the store or an engine is still away; market data subscribers then start over.
   */
  private async reload (): Promise<void> {
    for (let delay = 100; !this.closed; delay = Math.min(5000, delay * 2)) {
      try {
        await this.exclusive(() => this.load())
        break
      } catch (error) {
        this.log('error', 'reload failed; retrying', { error: String(error), retryMs: delay })
        await new Promise((resolve) => setTimeout(resolve, delay).unref())
      }
    }
    // Books may have moved back to what the ledger holds.
    for (const listener of this.listeners) listener([], { reset: true })
  }

  /**
   * Runs `task` after every task queued before it. Changes run one at a time, so that none sees
   * another half done, even when an engine in another process makes them wait for its answers.
   */
  private exclusive<T> (task: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(task)
    this.queue = run.catch(() => {})
    return run
  }

  /**
   * Runs one change, after those before it: checks idempotency, lets `change` fill a batch of its
   * own (refusing with a MarketRefusal before it changes anything), adds that batch and the answer
   * to the pending ledger batch, and resolves once the ledger has it all.
   */
  private async change<N extends keyof AnswerPayloads> (partyID: string, requestID: string | undefined, payload: string, body: unknown,
    change: (batch: LedgerBatch) => Answer<N> | Promise<Answer<N>>, undo?: () => void): Promise<Answer<N>> {
    // Checked before anything changes: a string the ledger cannot store would fail the whole batch.
    const bad = firstUnstorable(body)
    if (bad !== undefined) throw new MarketRefusal('invalid', `${bad.path}: ${bad.why}`)
    const key = requestID === undefined ? undefined : `${partyID}\u0000${requestID}`
    // Only a request with a requestID is remembered, so only its body is hashed.
    const hash = key === undefined ? '' : bodyHash(payload, body)
    const step = await this.exclusive(async () => {
      this.assertAvailable()
      const earlier = key === undefined ? undefined : this.answered.get(key)
      if (earlier !== undefined) return { earlier, answer: undefined, written: undefined }
      const batch = emptyBatch()
      let answer: Answer<N>
      try {
        answer = await change(batch)
      } catch (error) {
        if (error instanceof MarketRefusal) throw error
        throw this.engineFailed(error)
      }
      // A failure elsewhere while this change waited for its engine: the reload that follows rebuilds the engine.
      this.assertAvailable()
      // The answer's record goes into the same batch as the change, so both are written before the answer leaves.
      if (key !== undefined) batch.requests.push({ partyID, requestID: requestID!, payload, body, status: answer.status, answer })
      const written = this.commit(batch, undo)
      if (key !== undefined) this.answered.set(key, { answer, hash, written: written.then(() => true, () => false) })
      return { earlier: undefined, answer, written }
    })
    if (step.earlier !== undefined) {
      if (step.earlier.answer.name !== answerNameOf(payload) || step.earlier.hash !== hash) {
        throw new MarketRefusal('conflict', `requestID ${requestID} was already used for another request`)
      }
      // The same request again, perhaps while the first is being written: the first's answer, once written.
      if (!await step.earlier.written) throw new MarketRefusal('unavailable', 'the ledger could not record the request; nothing was changed')
      return step.earlier.answer as Answer<N>
    }
    try {
      await step.written
    } catch (error) {
      if (key !== undefined) this.answered.delete(key)
      throw error
    }
    return step.answer
  }

  private assertAvailable (): void {
    if (this.broken !== undefined || this.closed) throw new MarketRefusal('unavailable', 'the market is recovering; try again')
  }

  /**
   * An engine failed in the middle of a change (an LME in another process did not answer): its
   * books may hold what the ledger does not. Refuse everything until what is pending is written
   * and the LMA, engines included, is reloaded from the ledger.
   */
  private engineFailed (error: unknown): MarketRefusal {
    if (this.broken === undefined) {
      this.broken = error
      this.log('error', 'engine failed; reloading from the ledger', { error: String(error) })
      void this.written().catch(() => {}).then(() => this.reload())
    }
    return new MarketRefusal('unavailable', 'the matching engine did not answer; nothing was changed')
  }

  // ------------------------------------------------------------------------------------------
  // Engine commands and their consequences

  private async runCommand (batch: LedgerBatch, instrument: Instrument, command: Command, touched: Map<string, TenderRecord>): Promise<MechanismEvent[]> {
    const engine = this.engines.get(instrument.marketContext)!
    const book = instrumentKey(instrument)
    const events = await engine.execute(command)
    const seq = (this.bookSeq.get(book) ?? 0) + 1
    this.bookSeq.set(book, seq)
    this.instruments.set(book, instrument)
    batch.bookCommands.push({ book, seq, instrument, command, events })
    if (command.type === 'close') this.closedBooks.add(book)
    if (events.length > 0 && this.listeners.size > 0) {
      const top = engine.snapshot(instrument, TOP_OF_BOOK)!
      batch.topOfBook.push({
        book, seq: top.seq,
        ...(top.bids[0] !== undefined && { bestBid: { price: top.bids[0].price, quantity: top.bids[0].quantity } }),
        ...(top.asks[0] !== undefined && { bestAsk: { price: top.asks[0].price, quantity: top.asks[0].quantity } })
      })
    }
    let now: string | undefined
    for (const e of events) {
      if (e.type === 'fill') {
        now ??= this.clock.now().toISOString()
        for (const [side, other] of [[e.maker, e.taker], [e.taker, e.maker]] as const) {
          const tender = this.tenders.byOrderID(side.orderId)!
          tender.filledTicks += e.quantity
          if (side.remaining === 0) tender.status = 'filled'
          touched.set(tender.orderID, tender)
          const t: TransactionRecord = {
            transactionID: transactionIDOf(book, e.matchNumber, side.side), tenderID: tender.tenderID, partyID: side.partyId,
            counterPartyID: other.partyId, book, matchNumber: e.matchNumber, instrument, side: side.side, priceTicks: e.price,
            quantityTicks: e.quantity, createdAt: now
          }
          this.transactions.set(t.transactionID, t)
          this.undelivered.add(t.transactionID)
          batch.transactions.push(t)
        }
      } else if (e.type === 'canceled') {
        const tender = this.tenders.byOrderID(e.orderId)!
        tender.canceledTicks += e.canceledQuantity
        if (e.remaining === 0) tender.status = tender.filledTicks === tender.quantityTicks ? 'filled' : 'canceled'
        touched.set(tender.orderID, tender)
      } else if (e.type === 'rejected') {
        const tender = this.tenders.byOrderID(e.orderId)
        if (tender !== undefined) { tender.status = 'rejected'; touched.set(tender.orderID, tender) }
      }
    }
    return events
  }

  /**
   * Copies the tenders a change touched into the batch, as they are at its end. A shallow copy is
   * enough: what changes in a tender are its numbers and status; its product never changes.
   */
  private seal (batch: LedgerBatch, touched: Map<string, TenderRecord>): void {
    for (const t of touched.values()) batch.tenders.push({ ...t })
  }

  // ------------------------------------------------------------------------------------------
  // Party registration

  /**
   * eiCreatePartyRegistration: registers a TEUA or EMA; the answer carries its bearer token.
   * In order: the partyID must not be reserved (the LMA's own id, the operator's list); the
   * enrolment policy must allow it; the callbackURI must be http(s) and pass the network policy;
   * and the partyID must never have been registered: a canceled registration retires its partyID
   * for good, so nobody can take over another's transactions and position by registering its id.
   */
  async registerParty (body: Payload<'eiCreatePartyRegistration'>, credentials: RegistrationCredentials = {}): Promise<Answer<'eiCreatedPartyRegistration'> & { token: string }> {
    const now = this.clock.now()
    const info = body.eiRegistrationInfo
    if (credentials.byOperator !== true) {
      if (body.registreePartyID !== undefined && this.isReserved(body.registreePartyID)) {
        throw new MarketRefusal('forbidden', `registreePartyID: ${body.registreePartyID} is reserved`)
      }
      checkEnrolment(this.options.enrolment ?? OPEN_ENROLMENT, body.registreePartyID, credentials.enrolmentSecret)
    }
    for (const m of info.marketContext ?? []) {
      if (!this.markets.has(m)) throw new MarketRefusal('unknown', `eiRegistrationInfo.marketContext: unknown market ${m}`)
    }
    if (info.callbackURI !== undefined) {
      const problem = callbackURIProblem(info.callbackURI) ?? await this.options.checkCallbackURI?.(info.callbackURI)
      if (problem !== undefined) throw new MarketRefusal('invalid', `eiRegistrationInfo.callbackURI: ${problem}`)
    }
    const token = newToken()
    const registrationID = `reg-${randomUUID()}`
    let registered: string | undefined
    const answer = await this.change(body.registreePartyID ?? '', undefined, 'eiCreatePartyRegistration', body, (batch) => {
      // Checked here, in the queue: two registrations of one partyID cannot both pass.
      const partyID = body.registreePartyID ?? this.newPartyID()
      const existing = this.parties.get(partyID)
      if (existing !== undefined) {
        throw new MarketRefusal('conflict', existing.canceledAt === undefined
          ? `registreePartyID: party ${partyID} is already registered`
          : `registreePartyID: ${partyID} is retired (its registration was canceled); a partyID is never registered twice`)
      }
      const party: PartyRecord = {
        partyID, registrationID, tokenSha256: sha256(token), marketContexts: info.marketContext ?? [...this.markets.keys()],
        registeredAt: now.toISOString(),
        ...(info.partyName !== undefined && { partyName: info.partyName }),
        ...(info.partyRole !== undefined && { partyRole: info.partyRole }),
        ...(info.callbackURI !== undefined && { callbackURI: info.callbackURI })
      }
      this.parties.put(party)
      registered = partyID
      batch.parties.push(party)
      return ok('eiCreatedPartyRegistration', {
        eiResponse: okResponse(body.requestID, now), registrarPartyID: this.partyID, registrationID: party.registrationID, registreePartyID: partyID
      })
    }, () => { if (registered !== undefined) this.parties.remove(registered) })
    return { ...answer, token }
  }

  private isReserved (partyID: string): boolean {
    const id = partyID.toLowerCase()
    return id === this.partyID.toLowerCase() || (this.options.reservedPartyIDs ?? []).some((reserved) => {
      const r = reserved.toLowerCase()
      return r.endsWith('*') ? id.startsWith(r.slice(0, -1)) : r === id
    })
  }

  /** A partyID for a party that named none: never one registered before, nor a reserved one. */
  private newPartyID (): string {
    for (;;) {
      const partyID = `party-${randomUUID().slice(0, 8)}`
      if (this.parties.get(partyID) === undefined && !this.isReserved(partyID)) return partyID
    }
  }

  /** The party a bearer token belongs to. */
  authenticate (token: string): PartyRecord | undefined {
    return this.parties.authenticate(token)
  }

  /** How many parties are registered and not canceled. */
  get activeParties (): number {
    return this.parties.activeCount
  }

  party (partyID: string): PartyRecord | undefined {
    return this.parties.get(partyID)
  }

  requestPartyRegistration (party: PartyRecord, body: Payload<'eiRequestPartyRegistration'>): Answer<'eiReplyPartyRegistration'> {
    actingAs(party, body.registreePartyID, 'registreePartyID')
    const info = {
      ...(party.partyName !== undefined && { partyName: party.partyName }),
      ...(party.partyRole !== undefined && { partyRole: party.partyRole }),
      ...(party.callbackURI !== undefined && { callbackURI: party.callbackURI }),
      marketContext: party.marketContexts
    }
    const wanted = body.registrationID
    return ok('eiReplyPartyRegistration', {
      eiRegistration: wanted !== undefined && !wanted.includes(party.registrationID)
        ? []
        : [{ registreePartyID: [party.partyID], registrarPartyID: this.partyID, eiRegistrationInfo: info, registrationID: party.registrationID, createdDateTime: party.registeredAt }],
      eiResponse: okResponse(body.requestID, this.clock.now())
    })
  }

  /** eiCancelPartyRegistration: cancels the party's open tenders, then its registration. */
  async cancelPartyRegistration (party: PartyRecord, body: Payload<'eiCancelPartyRegistration'>): Promise<Answer<'eiCanceledPartyRegistration'>> {
    actingAs(party, body.registreePartyID, 'registreePartyID')
    if (!body.registrationID.includes(party.registrationID)) throw new MarketRefusal('unknown', `registrationID: ${party.partyID} is registered as ${party.registrationID}`)
    const now = this.clock.now()
    return this.change(party.partyID, body.requestID, 'eiCancelPartyRegistration', body, async (batch) => {
      const touched = new Map<string, TenderRecord>()
      const open = this.tenders.ofParty(party.partyID).filter((t) => t.status === 'open')
      for (const t of open) this.assertInService(t.instrument.marketContext, `tender ${t.tenderID}`)
      for (const t of open) await this.runCommand(batch, t.instrument, { type: 'cancel', orderId: t.orderID }, touched)
      this.seal(batch, touched)
      const canceled = { ...party, canceledAt: now.toISOString() }
      this.parties.put(canceled)
      batch.parties.push(canceled)
      return ok('eiCanceledPartyRegistration', {
        respondingPartyID: this.partyID, registreePartyID: party.partyID, registrarPartyID: this.partyID,
        eiResponse: [okResponse(body.requestID, now, `registration canceled; ${touched.size} open tender(s) canceled`)]
      })
    })
  }

  // ------------------------------------------------------------------------------------------
  // Tenders

  /** eiCreateTender: every tender is checked first (all or nothing), then entered into its book(s). */
  async createTender (party: PartyRecord, body: Payload<'eiCreateTender'>): Promise<Answer<'eiCreatedTender'>> {
    actingAs(party, body.partyID, 'partyID')
    return this.change(party.partyID, body.requestID, 'eiCreateTender', body, async (batch) => {
      const plans = this.planTenders(party, body.eiTender)
      const ids = await this.enterTenders(batch, party, body.requestID, plans)
      return ok('eiCreatedTender', {
        eiResponse: okResponse(body.requestID, this.clock.now(), `${ids.length} tender(s) created`),
        partyID: party.partyID, counterPartyID: this.partyID, tenderID: ids.flatMap((x) => x.intervalTenders.map((t) => t.tenderID))
      })
    })
  }

  /** eiCreateStreamTender (extension): as eiCreateTender, answering which tender each interval became. */
  async createStreamTender (party: PartyRecord, body: Payload<'eiCreateStreamTender'>): Promise<Answer<'eiCreatedStreamTender'>> {
    actingAs(party, body.partyID, 'partyID')
    return this.change(party.partyID, body.requestID, 'eiCreateStreamTender', body, async (batch) => {
      const plans = this.planTenders(party, body.eiTender)
      const created = await this.enterTenders(batch, party, body.requestID, plans)
      return ok('eiCreatedStreamTender', {
        eiResponse: okResponse(body.requestID, this.clock.now(), `${created.length} stream tender(s) created`),
        partyID: party.partyID, counterPartyID: this.partyID,
        streamTender: created.map((c) => ({ tenderID: c.tenderID, intervalTender: c.intervalTenders.map((t, i) => ({ uid: t.uid ?? String(i), tenderID: t.tenderID })) }))
      })
    })
  }

  private planTenders (party: PartyRecord, tenders: Array<{ tenderID: string, product: Product }>) {
    const now = this.clock.now()
    const seen = new Set<string>()
    const limits = { ...DEFAULT_ORDER_ENTRY_LIMITS, ...this.options.limits }
    checkTenderCount(tenders.map((t) => t.product), limits)
    return tenders.map(({ tenderID, product }, i) => {
      const market = this.markets.get(product.marketContext)
      if (market === undefined) throw new MarketRefusal('unknown', `eiTender[${i}].product.marketContext: unknown market ${product.marketContext}`)
      if (!party.marketContexts.includes(market.marketContext)) throw new MarketRefusal('forbidden', `eiTender[${i}]: ${party.partyID} is not registered for ${market.marketContext}`)
      this.assertInService(market.marketContext, `eiTender[${i}].product.marketContext`)
      const orders = market.intervalOrders(product, now, `eiTender[${i}].product`)
      checkHorizon(orders.map((o) => o.instrument.dtStart), now, market.rules.deliveryHorizon ?? limits.deliveryHorizon, `eiTender[${i}].product`)
      const stream = (product.intervals?.length ?? 0) > 0
      const ids = stream ? orders.map((o) => `${tenderID}.${o.uid ?? o.index}`) : [tenderID]
      for (const id of stream ? [tenderID, ...ids] : ids) {
        if (this.tenders.taken(party.partyID, id) || seen.has(id)) throw new MarketRefusal('conflict', `eiTender[${i}].tenderID: tender ${id} exists`)
        seen.add(id)
      }
      return { tenderID, product, market, orders, ids, stream }
    })
  }

  private async enterTenders (batch: LedgerBatch, party: PartyRecord, requestID: string, plans: ReturnType<LocalMarketAgent['planTenders']>) {
    const touched = new Map<string, TenderRecord>()
    const createdAt = this.clock.now().toISOString()
    const created: Array<{ tenderID: string, intervalTenders: Array<{ tenderID: string, uid: string | undefined }> }> = []
    for (const plan of plans) {
      const intervalTenders: Array<{ tenderID: string, uid: string | undefined }> = []
      for (const [k, order] of plan.orders.entries()) {
        const tender: TenderRecord = {
          tenderID: plan.ids[k]!, orderID: this.tenders.newOrderID(), partyID: party.partyID, requestID, book: instrumentKey(order.instrument), instrument: order.instrument,
          side: order.side, price: fromTicks(order.priceTicks, plan.market.rules.priceScale), priceTicks: order.priceTicks,
          quantityTicks: order.quantityTicks, filledTicks: 0, canceledTicks: 0, status: 'open', createdAt,
          ...(plan.stream && { parentTenderID: plan.tenderID })
        }
        this.tenders.add(tender)
        touched.set(tender.orderID, tender)
        await this.runCommand(batch, order.instrument, {
          type: 'submit',
          order: {
            orderId: tender.orderID, partyId: party.partyID, instrument: order.instrument, side: order.side, price: order.priceTicks,
            quantity: order.quantityTicks, timeInForce: plan.product.integralOnly === true && plan.market.mechanism === 'continuous' ? 'FOK' : 'GTC'
          }
        }, touched)
        intervalTenders.push({ tenderID: tender.tenderID, uid: order.uid })
      }
      created.push({ tenderID: plan.tenderID, intervalTenders })
    }
    this.seal(batch, touched)
    return created
  }

  /** eiCancelTender: cancels what remains of each tender (a stream tender: of each interval). All or nothing. */
  async cancelTender (party: PartyRecord, body: Payload<'eiCancelTender'>): Promise<Answer<'eiCanceledTender'>> {
    actingAs(party, body.partyID, 'partyID')
    return this.change(party.partyID, body.requestID, 'eiCancelTender', body, async (batch) => {
      // Checked first, changed after: a refused cancel changes nothing. A party names only its own tenders.
      const targets = body.tenderID.flatMap((id, i) => {
        const tenders = this.tenders.resolve(party.partyID, id)
        if (tenders === undefined) throw new MarketRefusal('unknown', `tenderID[${i}]: unknown tender ${id} (of ${party.partyID})`)
        const open = tenders.filter((t) => t.status === 'open')
        for (const t of open) this.assertInService(t.instrument.marketContext, `tenderID[${i}]`)
        if (open.length === 0) throw new MarketRefusal('conflict', `tenderID[${i}]: tender ${id} is already ${tenders[0]!.status}`)
        return open
      })
      const touched = new Map<string, TenderRecord>()
      const words: string[] = []
      for (const t of targets) {
        const events = await this.runCommand(batch, t.instrument, { type: 'cancel', orderId: t.orderID }, touched)
        const canceled = events.reduce((n, e) => n + (e.type === 'canceled' ? e.canceledQuantity : 0), 0)
        const scale = this.markets.get(t.instrument.marketContext)!.rules.quantityScale
        words.push(`${t.tenderID}: ${fromTicks(canceled, scale)} canceled, ${fromTicks(t.filledTicks, scale)} filled`)
      }
      this.seal(batch, touched)
      return ok('eiCanceledTender', {
        eiResponse: okResponse(body.requestID, this.clock.now(), words.join('; ')), partyID: party.partyID, counterPartyID: this.partyID
      })
    })
  }

  /** eiRequestTender: the party's outstanding tenders, each with what remains of it. */
  requestTender (party: PartyRecord, body: Payload<'eiRequestTender'>): Answer<'eiReplyTender'> {
    actingAs(party, body.partyID, 'partyID')
    actingAs(party, body.requestorPartyID, 'requestorPartyID')
    const tenders = this.tenders.ofParty(party.partyID).filter((t) => t.status === 'open' &&
      (body.marketContext === undefined || body.marketContext.includes(t.instrument.marketContext)) &&
      (body.tenderID === undefined || body.tenderID.includes(t.tenderID) || (t.parentTenderID !== undefined && body.tenderID.includes(t.parentTenderID))))
    return ok('eiReplyTender', {
      eiResponse: okResponse(body.requestID, this.clock.now(), `${tenders.length} open tender(s)`),
      eiTender: tenders.map((t) => ({ tenderID: t.tenderID, product: this.productOf(t.instrument, t.side, t.priceTicks, t.quantityTicks - t.filledTicks - t.canceledTicks, t.tenderID, 'tender') }))
    })
  }

  /** eiRequestTransaction: the party's transactions. */
  requestTransaction (party: PartyRecord, body: Payload<'eiRequestTransaction'>): Answer<'eiReplyTransaction'> {
    actingAs(party, body.partyID, 'partyID')
    actingAs(party, body.requestorPartyID, 'requestorPartyID')
    const list = [...this.transactions.values()].filter((t) => t.partyID === party.partyID &&
      (body.marketContext === undefined || body.marketContext.includes(t.instrument.marketContext)) &&
      (body.transactionID === undefined || body.transactionID.includes(t.transactionID)) &&
      (body.counterPartyID === undefined || body.counterPartyID.includes(t.counterPartyID)))
    return ok('eiReplyTransaction', {
      eiResponse: okResponse(body.requestID, this.clock.now(), `${list.length} transaction(s)`),
      eiTransaction: list.map((t) => this.eiTransactionOf(t))
    })
  }

  /** Records that a party acknowledged a transaction (its eiCreatedTransaction). */
  private async acknowledge (transactionID: string): Promise<void> {
    const t = this.transactions.get(transactionID)
    if (t === undefined || t.acknowledgedAt !== undefined || this.broken !== undefined) return
    t.acknowledgedAt = this.clock.now().toISOString()
    const batch = emptyBatch()
    batch.acknowledgements.push({ transactionID, at: t.acknowledgedAt })
    await this.commit(batch, () => { t.acknowledgedAt = undefined })
  }

  // ------------------------------------------------------------------------------------------
  // Quotes, positions, market context

  /** eiRequestQuote: best bid and ask of every open interval of the requested markets. */
  requestQuote (party: PartyRecord, body: Payload<'eiRequestQuote'>): Answer<'eiReplyQuote'> {
    actingAs(party, body.requestorPartyID, 'requestorPartyID')
    const now = this.clock.now()
    const quotes: Payload<'eiReplyQuote'>['eiQuote'] = []
    for (const [book, instrument] of [...this.instruments].sort(([, a], [, b]) => a.dtStart.localeCompare(b.dtStart))) {
      if (body.marketContext !== undefined && !body.marketContext.includes(instrument.marketContext)) continue
      if (this.outOfService.has(instrument.marketContext)) continue
      const snapshot = this.engines.get(instrument.marketContext)!.snapshot(instrument)
      if (snapshot === undefined || snapshot.closed) continue
      const products: Product[] = []
      const bid = snapshot.bids[0]
      const ask = snapshot.asks[0]
      if (bid !== undefined) products.push(this.productOf(instrument, 'buy', bid.price, bid.quantity, `${shortBook(book)}-bid`, 'publication'))
      if (ask !== undefined) products.push(this.productOf(instrument, 'sell', ask.price, ask.quantity, `${shortBook(book)}-ask`, 'publication'))
      if (products.length > 0) quotes.push({ quoteID: `${shortBook(book)}@${snapshot.seq}`, product: products })
    }
    return ok('eiReplyQuote', { eiResponse: okResponse(body.requestID, now, `${quotes.length} interval(s) quoted`), eiQuote: quotes })
  }

  /** eiRequestPosition (extension): the party's net position per interval of a bounding interval (buy +, sell -). */
  requestPosition (party: PartyRecord, body: Payload<'eiRequestPosition'>): Answer<'eiReplyPosition'> {
    actingAs(party, body.requestorPartyID, 'requestorPartyID')
    actingAs(party, body.positionPartyID, 'positionPartyID')
    const market = body.marketContext === undefined
      ? (this.markets.size === 1 ? [...this.markets.values()][0] : undefined)
      : this.markets.get(body.marketContext)
    if (market === undefined) throw new MarketRefusal('unknown', body.marketContext === undefined ? 'marketContext: name the market' : `marketContext: unknown market ${body.marketContext}`)
    this.assertInService(market.marketContext, 'marketContext')
    const start = new Date(body.boundingInterval.dtStart).getTime()
    let span: number
    try { span = durationMs(body.boundingInterval.duration) } catch (e) { throw new MarketRefusal('rejected', `boundingInterval.duration: ${(e as Error).message}`) }
    if (Number.isNaN(start) || span <= 0 || start % market.durationMs !== 0 || span % market.durationMs !== 0) {
      throw new MarketRefusal('rejected', `boundingInterval: must start on and span whole ${market.rules.duration} intervals`)
    }
    const count = span / market.durationMs
    if (count > 10_000) throw new MarketRefusal('rejected', 'boundingInterval: at most 10,000 intervals')
    const net = new Array<number>(count).fill(0)
    for (const t of this.transactions.values()) {
      if (t.partyID !== party.partyID || t.instrument.marketContext !== market.marketContext) continue
      const k = (new Date(t.instrument.dtStart).getTime() - start) / market.durationMs
      if (k >= 0 && k < count) net[k]! += t.side === 'buy' ? t.quantityTicks : -t.quantityTicks
    }
    return ok('eiReplyPosition', {
      eiResponse: okResponse(body.requestID, this.clock.now()), requestorPartyID: party.partyID, positionPartyID: party.partyID,
      marketContext: market.marketContext, boundingInterval: body.boundingInterval,
      position: {
        dtStart: utc(new Date(start)), duration: market.rules.duration, energyReal: market.rules.energyReal,
        intervals: net.map((q, k) => ({ uid: String(k), netQuantity: fromTicks(q, market.rules.quantityScale) }))
      }
    })
  }

  requestMarketContext (body: Payload<'eiRequestEiMarketContext'>): Answer<'eiReplyEiMarketContext'> {
    const unknown = body.marketContext.filter((m) => !this.markets.has(m))
    if (unknown.length > 0) throw new MarketRefusal('unknown', `marketContext: unknown market ${unknown.join(', ')}`)
    return ok('eiReplyEiMarketContext', { eiResponse: okResponse(body.requestID, this.clock.now(), 'known market; its rules: eiRequestMarketRules') })
  }

  requestMarketRules (body: Payload<'eiRequestMarketRules'>): Answer<'eiReplyMarketRules'> {
    const wanted = body.marketContext ?? [...this.markets.keys()]
    const unknown = wanted.filter((m) => !this.markets.has(m))
    if (unknown.length > 0) throw new MarketRefusal('unknown', `marketContext: unknown market ${unknown.join(', ')}`)
    return ok('eiReplyMarketRules', {
      eiResponse: okResponse(body.requestID, this.clock.now()),
      marketRules: wanted.map((m) => {
        const { selfTrade: _selfTrade, lmeUrl: _lmeUrl, deliveryHorizon: _deliveryHorizon, ...rules } = this.markets.get(m)!.rules
        return rules
      })
    })
  }

  // ------------------------------------------------------------------------------------------
  // Gate closure, market data, transactions out

  /** Closes every book whose gate has closed (cancelling what rests; a call auction clears). */
  async closeDueIntervals (): Promise<number> {
    const now = this.clock.now()
    const due = [...this.instruments].filter(([book, instrument]) =>
      !this.closedBooks.has(book) && !this.outOfService.has(instrument.marketContext) && !this.recovering.has(instrument.marketContext) && this.markets.get(instrument.marketContext)?.isOpen(instrument.dtStart, now) === false)
    if (due.length === 0) return 0
    const written = await this.exclusive(async () => {
      if (this.broken !== undefined || this.closed) return undefined
      const batch = emptyBatch()
      const touched = new Map<string, TenderRecord>()
      try {
        for (const [book, instrument] of due) {
          if (!this.closedBooks.has(book)) await this.runCommand(batch, instrument, { type: 'close', instrument }, touched)
        }
      } catch (error) {
        throw this.engineFailed(error)
      }
      this.assertAvailable()
      this.seal(batch, touched)
      // Wrapped: a promise returned from the task would be awaited inside the queue.
      return { written: this.commit(batch) }
    })
    if (written === undefined) return 0
    await written.written
    return due.length
  }

  private publish (batch: LedgerBatch): void {
    if (this.listeners.size === 0) return
    const events = batch.bookCommands.flatMap((c) => c.events)
    if (events.length === 0) return
    this.tell(this.listeners, (listener) => listener(events, { topOfBook: batch.topOfBook, commands: batch.bookCommands }), 'market data listener')
  }

  /** Calls every listener; one that throws is logged and the others still hear it. */
  private tell<L> (listeners: Iterable<L>, call: (listener: L) => void, what: string): void {
    for (const listener of listeners) {
      try {
        call(listener)
      } catch (error) {
        this.log('warn', `${what} failed`, { error: String(error) })
      }
    }
  }

  private readonly transactionListeners = new Set<(transactions: readonly TransactionRecord[]) => void>()

  /** Subscribes to transactions once they are in the ledger (drop copies, trade reports); returns the unsubscribe function. */
  onTransactions (listener: (transactions: readonly TransactionRecord[]) => void): () => void {
    this.transactionListeners.add(listener)
    return () => this.transactionListeners.delete(listener)
  }

  /** Every transaction in the ledger, in the order made (both sides of each match). */
  allTransactions (): TransactionRecord[] {
    return [...this.transactions.values()]
  }

  /** Subscribes to every engine event (the ticker tape); returns the unsubscribe function. */
  onEvents (listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The ledger's book commands by position, for tape subscribers that resume; undefined if the ledger cannot read them back. */
  get tape (): LedgerTape | undefined {
    return this.options.ledger.tape
  }

  /** A book as it is now; `view` limits it (the top of book: depth 1, no orders), so a reader pays only for what it reads. */
  snapshot (instrument: Instrument, view?: SnapshotView) {
    return this.engines.get(instrument.marketContext)?.snapshot(instrument, view)
  }

  books (): Instrument[] {
    return [...this.instruments.values()]
  }

  /** The instrument of a book key (instrumentKey). */
  instrumentOf (book: string): Instrument | undefined {
    return this.instruments.get(book)
  }

  transactionsOf (partyID: string): TransactionRecord[] {
    return [...this.transactions.values()].filter((t) => t.partyID === partyID)
  }

  /** A party's tender by its own tenderID. */
  tender (partyID: string, tenderID: string): TenderRecord | undefined {
    return this.tenders.get(partyID, tenderID)
  }

  /** The tender an engine order id belongs to (market data names orders by it). */
  tenderOfOrder (orderID: string): TenderRecord | undefined {
    return this.tenders.byOrderID(orderID)
  }

  /** A party's tenders, in the order they were created (open or not). */
  tendersOf (partyID: string): TenderRecord[] {
    return this.tenders.ofParty(partyID)
  }

  /** The eiCreateTransaction a party receives for one of its transactions. */
  eiCreateTransactionOf (t: TransactionRecord): Payload<'eiCreateTransaction'> {
    return { requestID: t.transactionID, partyID: t.partyID, counterPartyID: t.counterPartyID, eiTransaction: [this.eiTransactionOf(t)] }
  }

  private eiTransactionOf (t: TransactionRecord): EiTransaction {
    return { transactionID: t.transactionID, tenderID: t.tenderID, product: this.productOf(t.instrument, t.side, t.priceTicks, t.quantityTicks, t.transactionID, 'transaction') }
  }

  private productOf (instrument: Instrument, side: 'buy' | 'sell', priceTicks: number, quantityTicks: number, uid: string, transactiveState: Product['transactiveState']): Product {
    const rules = this.markets.get(instrument.marketContext)!.rules
    return {
      dtStart: instrument.dtStart, duration: instrument.duration,
      temixPower: { price: fromTicks(priceTicks, rules.priceScale), energyReal: rules.energyReal, quantity: fromTicks(quantityTicks, rules.quantityScale) },
      uid, transactiveState, currency: rules.currency, marketContext: instrument.marketContext, side
    }
  }

  /**
   * Sends eiCreateTransaction for each transaction (once it is in the ledger); one that is not
   * acknowledged is retried on its own, the delay doubling up to 30 s. A party with no callback
   * URI reads its transactions with eiRequestTransaction instead.
   */
  private deliverTransactions (ids: Iterable<string>): void {
    for (const id of ids) this.deliverTransaction(id, 0)
  }

  private deliverTransaction (id: string, attempt: number): void {
    const deliver = this.options.deliver
    if (deliver === undefined || this.closed || this.delivering.has(id) || !this.undelivered.has(id)) return
    const t = this.transactions.get(id)
    const party = t === undefined ? undefined : this.parties.get(t.partyID)
    if (t === undefined || party?.callbackURI === undefined) { this.undelivered.delete(id); return }
    this.delivering.add(id)
    deliver(party, this.eiCreateTransactionOf(t))
      .catch((error: unknown) => { this.log('warn', 'transaction delivery failed', { transactionID: id, error: String(error) }); return false })
      .then(async (acknowledged) => {
        this.delivering.delete(id)
        if (acknowledged) {
          this.undelivered.delete(id)
          await this.acknowledge(id).catch(() => {})
        } else if (!this.closed) {
          const delay = Math.min(30_000, (this.options.retryMs ?? 500) * 2 ** attempt)
          const timer = setTimeout(() => { this.retryTimers.delete(timer); this.deliverTransaction(id, attempt + 1) }, delay)
          this.retryTimers.add(timer)
        }
      })
  }

  async ping (): Promise<void> {
    await this.options.ledger.ping?.()
  }

  /** Ready to take requests: loaded, and not recovering from a failed ledger write. */
  get ready (): boolean {
    return this.broken === undefined && !this.closed
  }

  /** Transactions not yet acknowledged by their party. */
  unacknowledged (): string[] {
    return [...this.undelivered]
  }

  /** Stops timers and waits for the ledger to have everything. */
  async close (): Promise<void> {
    this.closed = true
    for (const t of this.retryTimers) clearTimeout(t)
    if (this.pending.length > 0 || this.flushing) await this.written().catch(() => {})
  }

  // ------------------------------------------------------------------------------------------
  // Refusals

  /** The CTS answer to a refused request: the request's response payload with the refusal's code. */
  refusalAnswer (requestName: string, body: unknown, refusal: MarketRefusal): Answer {
    const now = this.clock.now()
    const raw = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
    // Echoed from a body that may not have passed its checks: only an id the answer's own schema takes.
    const id = (value: unknown) => Uid.safeParse(value).success ? value as string : 'unknown'
    const requestID = id(raw.requestID)
    const response = eiResponse(requestID, refusal.responseCode, refusal.message, now)
    const partyID = id(raw.partyID)
    const status = Number(RESPONSE_CODES[refusal.refusal])
    const answer = (name: keyof AnswerPayloads, payload: unknown): Answer => ({ status, name, payload } as Answer)
    switch (requestName) {
      case 'eiCreateTender': return answer('eiCreatedTender', { eiResponse: response, partyID, counterPartyID: this.partyID })
      case 'eiCreateStreamTender': return answer('eiCreatedStreamTender', { eiResponse: response, partyID, counterPartyID: this.partyID })
      case 'eiCancelTender': return answer('eiCanceledTender', { eiResponse: response, partyID, counterPartyID: this.partyID })
      case 'eiRequestTender': return answer('eiReplyTender', { eiResponse: response })
      case 'eiRequestTransaction': return answer('eiReplyTransaction', { eiResponse: response })
      case 'eiRequestQuote': return answer('eiReplyQuote', { eiResponse: response })
      case 'eiCreatePartyRegistration': return answer('eiCreatedPartyRegistration', { eiResponse: response, registrarPartyID: this.partyID })
      case 'eiRequestPartyRegistration': return answer('eiReplyPartyRegistration', { eiResponse: response })
      case 'eiCancelPartyRegistration': {
        const registree = id(raw.registreePartyID)
        return answer('eiCanceledPartyRegistration', { respondingPartyID: this.partyID, registreePartyID: registree, registrarPartyID: this.partyID, eiResponse: [response] })
      }
      case 'eiRequestEiMarketContext': return answer('eiReplyEiMarketContext', { eiResponse: response })
      case 'eiRequestMarketRules': return answer('eiReplyMarketRules', { eiResponse: response })
      case 'eiRequestPosition': {
        const bounding = raw.boundingInterval as { dtStart?: unknown, duration?: unknown } | undefined
        const valid = typeof bounding?.dtStart === 'string' && typeof bounding.duration === 'string'
        return answer('eiReplyPosition', {
          eiResponse: response,
          positionPartyID: id(raw.positionPartyID),
          boundingInterval: valid ? bounding : { dtStart: '1970-01-01T00:00:00Z', duration: 'PT0S' }
        })
      }
      default: throw new Error(`no answer payload for ${requestName}`)
    }
  }
}

function ok<N extends keyof AnswerPayloads> (name: N, payload: AnswerPayloads[N]): Answer<N> {
  return { status: 200, name, payload }
}

const ANSWER_NAMES: Record<string, string> = {
  eiCreateTender: 'eiCreatedTender', eiCreateStreamTender: 'eiCreatedStreamTender', eiCancelTender: 'eiCanceledTender',
  eiCancelPartyRegistration: 'eiCanceledPartyRegistration', eiCreatePartyRegistration: 'eiCreatedPartyRegistration'
}

function answerNameOf (requestName: string): string | undefined {
  return ANSWER_NAMES[requestName]
}

/** A party can only act as itself. */
function actingAs (party: PartyRecord, claimed: string, field: string): void {
  if (claimed !== party.partyID) throw new MarketRefusal('forbidden', `${field}: authenticated as ${party.partyID}, cannot act as ${claimed}`)
}

const TOP_OF_BOOK = { depth: 1, orders: false } as const

/** Books are few (markets x intervals), their short names asked for at every fill: each is hashed once. */
const shortBooks = new Map<string, string>()

/** A short, stable name of a book for ids: 10 hex digits of its key's SHA-1. */
export function shortBook (book: string): string {
  let short = shortBooks.get(book)
  if (short === undefined) {
    short = createHash('sha1').update(book).digest('hex').slice(0, 10)
    if (shortBooks.size >= 100_000) shortBooks.clear()
    shortBooks.set(book, short)
  }
  return short
}

/** Transaction ids are stable across replays: book, match number and side. */
function transactionIDOf (book: string, matchNumber: number, side: 'buy' | 'sell'): string {
  return `tx-${shortBook(book)}-${matchNumber}-${side === 'buy' ? 'b' : 's'}`
}

/** The books, tenders and parties a change's batch touched: a later change touching one of them was made on top of it. */
function touchedKeys (batch: LedgerBatch): string[] {
  return [
    ...batch.bookCommands.map((c) => `book\u0000${c.book}`),
    ...batch.tenders.map((t) => `order\u0000${t.orderID}`),
    ...batch.parties.map((p) => `party\u0000${p.partyID}`),
    ...batch.transactions.map((t) => `transaction\u0000${t.transactionID}`),
    ...batch.acknowledgements.map((a) => `transaction\u0000${a.transactionID}`)
  ]
}

/** What the operator can do about a market that does not replay (README, "Repairing the ledger"). */
function repairHint (problem: OutOfService): string {
  return problem.book === undefined
    ? `inspect it with: te-gateway ledger check`
    : `inspect the book with: te-gateway ledger show --book '${problem.book}'; take it out of the ledger (its open tenders canceled, its events kept aside) with: te-gateway ledger quarantine --book '${problem.book}'; then restart`
}

/** The markets whose books, tenders or transactions a change's batch touched. */
function marketsOf (batch: LedgerBatch): string[] {
  const markets = new Set<string>()
  for (const c of batch.bookCommands) markets.add(c.instrument.marketContext)
  for (const t of batch.tenders) markets.add(t.instrument.marketContext)
  for (const t of batch.transactions) markets.add(t.instrument.marketContext)
  return [...markets]
}
