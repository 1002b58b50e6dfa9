/**
 * The ticker tape's subscribers: Server-Sent Events with a bounded queue each, resumable from the
 * ledger with Last-Event-ID.
 *
 * - Each book command the LMA publishes becomes one entry, its frames formatted once for every
 *   subscriber. An event's id is `<ledger position>-<index in its command>`: a point of the whole
 *   ledger's history (book_events.position), not of one book.
 * - What a subscriber's connection has not taken yet stays queued in the process. When that queue
 *   passes `maxQueuedBytes`, the subscriber is dropped: its last event says why and which id to
 *   resume from, the response ends, and the connection is cut if it has not taken the rest within
 *   `dropGraceMs`. A slow reader costs the process at most its bound, and nobody else waits for it.
 * - A subscriber that comes back with Last-Event-ID is first sent what it missed, read from the
 *   ledger in batches of `catchUpBatch` commands (each read short, and the next one only once the
 *   connection has taken the last), while what is published meanwhile waits in its queue (same
 *   bound). Then it is live. Every event exactly once, in ledger order, no gap.
 * - An id the ledger cannot resume from (unreadable, from another ledger, or more than
 *   `maxCatchUp` commands behind) gets a `reset` event instead, whose id is the ledger's present
 *   position: take new snapshots, then the tape continues from there.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { BookCommandRecord, LedgerTape } from '../../market/lma/ledger.js'

/** One book command on the tape: its ledger position, its market, each of its events' frames, and the best bid/ask after it. */
export interface TapeEntry {
  position: number
  marketContext: string
  events: string[]
  bbo?: string
}

export interface TickerTapeOptions {
  /** Bytes a subscriber may have waiting (not yet taken by its connection) before it is dropped. Default 1 MiB. */
  maxQueuedBytes?: number
  /** How long a dropped subscriber has to take its last events before its connection is cut. Default 10 s. */
  dropGraceMs?: number
  /** Book commands read from the ledger at a time for a subscriber that resumes. Default 500. */
  catchUpBatch?: number
  /** A Last-Event-ID more than this many commands behind gets a reset instead of the gap. Default 100,000. */
  maxCatchUp?: number
  /** A comment line this often, so that proxies keep an idle stream open. Default 15 s. */
  heartbeatMs?: number
}

const DEFAULTS: Required<TickerTapeOptions> = { maxQueuedBytes: 1024 * 1024, dropGraceMs: 10_000, catchUpBatch: 500, maxCatchUp: 100_000, heartbeatMs: 15_000 }

/** Reads the tape's options from the environment (TAPE_MAX_QUEUED_BYTES, ...); unset ones keep their defaults. */
export function tickerTapeOptionsFromEnv (env: NodeJS.ProcessEnv): TickerTapeOptions {
  const options: TickerTapeOptions = {}
  const read = (name: string, key: keyof TickerTapeOptions) => {
    const value = env[name]
    if (value === undefined || value === '') return
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not ${value}`)
    options[key] = n
  }
  read('TAPE_MAX_QUEUED_BYTES', 'maxQueuedBytes')
  read('TAPE_DROP_GRACE_MS', 'dropGraceMs')
  read('TAPE_CATCH_UP_BATCH', 'catchUpBatch')
  read('TAPE_MAX_CATCH_UP', 'maxCatchUp')
  return options
}

/** The SSE frame of one event; without an id, a client keeps the last one it had. */
export function frame (event: string, data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

/** Where a subscriber is: the last event sent, as (position, index); index Infinity: the whole command. */
interface Cursor { position: number, index: number }

/** `<position>-<index>` or `<position>`; undefined if it is neither. */
export function parseEventId (id: string): Cursor | undefined {
  const m = /^(\d{1,15})(?:-(\d{1,6}))?$/.exec(id.trim())
  if (m === null) return undefined
  return { position: Number(m[1]), index: m[2] === undefined ? Infinity : Number(m[2]) }
}

function idOf (cursor: Cursor): string {
  return cursor.index === Infinity ? String(cursor.position) : `${cursor.position}-${cursor.index}`
}

export type EntryOf = (command: BookCommandRecord) => TapeEntry | undefined

export class TickerTape {
  private readonly options: Required<TickerTapeOptions>
  private readonly subscribers = new Set<Subscriber>()
  /** The position of the last book command published: everything up to it is in the ledger and was handed out. */
  private position = 0
  /** Stops listening to the market; undefined while nobody subscribes. */
  private unlisten: (() => void) | undefined

  /**
   * `entryOf` formats a command read back from the ledger (no best bid/ask: it is not kept).
   * `listen` starts the market's calls of `publish` and `reset` and returns what stops them: the
   * tape listens only while someone subscribes, so that the market does no work for it otherwise.
   */
  constructor (private readonly ledger: LedgerTape | undefined, private readonly entryOf: EntryOf,
    private readonly listen: () => () => void, options: TickerTapeOptions = {}) {
    this.options = { ...DEFAULTS, ...options }
  }

  /** Subscribers connected now. */
  get size (): number {
    return this.subscribers.size
  }

  /** Hands each subscriber the entries just published (in ledger order), up to ledger position `through`. */
  publish (entries: readonly TapeEntry[], through: number): void {
    this.position = Math.max(this.position, through)
    for (const s of this.subscribers) s.publish(entries)
  }

  /** The books were reloaded from the ledger: every subscriber is told to take new snapshots. */
  reset (reason: string): void {
    for (const s of this.subscribers) s.reset(reason)
  }

  /** Ends every subscription (the server is closing). */
  close (): void {
    for (const s of this.subscribers) s.end()
  }

  private forget (subscriber: Subscriber): void {
    this.subscribers.delete(subscriber)
    if (this.subscribers.size === 0) {
      this.unlisten?.()
      this.unlisten = undefined
    }
  }

  /**
   * Starts a subscription on a response nobody else writes to: live from now, or, with
   * `lastEventId`, from the ledger after that event first.
   */
  subscribe (request: IncomingMessage, out: ServerResponse, { marketContext, lastEventId }: { marketContext?: string, lastEventId?: string }): void {
    out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' })
    out.write(': te-gateway market data\n\n')
    if (this.unlisten === undefined) {
      // The market publishes a batch in the same turn as its ledger write completes, so what the
      // ledger has written is what was published.
      this.position = this.ledger?.lastPosition() ?? 0
      this.unlisten = this.listen()
    }
    const subscriber = new Subscriber(out, marketContext, this.options, () => this.forget(subscriber))
    this.subscribers.add(subscriber)
    request.on('close', () => subscriber.closed())
    out.on('close', () => subscriber.closed())
    if (lastEventId === undefined) subscriber.start(this.position)
    else void subscriber.resume(lastEventId, this.position, this.ledger, this.entryOf)
  }
}

class Subscriber {
  private state: 'catching-up' | 'live' | 'ended' = 'live'
  private cursor: Cursor = { position: 0, index: Infinity }
  /** Entries published while catching up, and their size. */
  private waiting: TapeEntry[] = []
  private waitingBytes = 0
  private readonly heartbeat: NodeJS.Timeout
  private cut: NodeJS.Timeout | undefined

  constructor (private readonly out: ServerResponse, private readonly marketContext: string | undefined,
    private readonly options: Required<TickerTapeOptions>, private readonly forget: () => void) {
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), options.heartbeatMs).unref()
  }

  publish (entries: readonly TapeEntry[]): void {
    if (this.state === 'live') {
      // One write per batch.
      let text = ''
      for (const entry of entries) text += this.after(entry)
      if (text !== '') this.write(text)
    } else if (this.state === 'catching-up') {
      for (const entry of entries) {
        if (!this.wants(entry)) continue
        this.waiting.push(entry)
        for (const text of entry.events) this.waitingBytes += text.length
        this.waitingBytes += entry.bbo?.length ?? 0
      }
      if (this.queuedBytes() > this.options.maxQueuedBytes) this.drop(`more than ${this.options.maxQueuedBytes} bytes waiting while catching up`)
    }
  }

  reset (reason: string): void {
    if (this.state === 'ended') return
    // Anything waiting was published before the books went back to the ledger: still true, still sent.
    this.write(frame('reset', { type: 'reset', reason }))
  }

  /**
   * Live from ledger position `now` on. The id-only frame gives the client a place to resume from
   * even before its first event.
   */
  start (now: number): void {
    this.cursor = { position: now, index: Infinity }
    this.write(`id: ${idOf(this.cursor)}\n\n`)
  }

  /**
   * Sends what the ledger has after `lastEventId`, then what was published meanwhile (held in
   * the queue since this call), then goes live. `last`: the position published last.
   */
  async resume (lastEventId: string, last: number, ledger: LedgerTape | undefined, entryOf: EntryOf): Promise<void> {
    this.state = 'catching-up'
    try {
      const from = parseEventId(lastEventId)
      if (ledger === undefined || from === undefined || from.position > last || last - from.position > this.options.maxCatchUp) {
        const why = ledger === undefined
          ? 'this ledger cannot be read back'
          : from === undefined ? `${JSON.stringify(lastEventId)} is not an event id of this tape` : from.position > last ? `event ${lastEventId} is not in this ledger` : `event ${lastEventId} is more than ${this.options.maxCatchUp} book commands behind`
        this.cursor = { position: last, index: Infinity }
        this.write(frame('reset', { type: 'reset', reason: `${why}: take new snapshots; the tape continues from here` }, idOf(this.cursor)))
        if (ledger === undefined) return this.goLive()
      } else {
        this.cursor = from
      }
      for (;;) {
        // From the cursor's own command when only part of it was sent.
        const commands = await ledger.bookCommandsAfter(this.cursor.index === Infinity ? this.cursor.position : this.cursor.position - 1, this.options.catchUpBatch)
        for (const command of commands) {
          const entry = entryOf(command)
          if (entry !== undefined) this.send(entry)
          if (this.ended()) return
        }
        if (commands.length < this.options.catchUpBatch) break
        // The next read once the connection has taken this one: the queue holds one batch at most.
        if (this.out.writableNeedDrain) await this.drained()
        if (this.ended()) return
      }
      this.goLive()
    } catch (error) {
      this.drop(`the ledger could not be read (${String(error)}); try again later`)
    }
  }

  /** Resolves once the connection has taken what was written, or closed. */
  private async drained (): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = () => {
        this.out.off('drain', done)
        this.out.off('close', done)
        resolve()
      }
      this.out.on('drain', done)
      this.out.on('close', done)
    })
  }

  /** Read through a call: the state changes while awaiting. */
  private ended (): boolean {
    return this.state === 'ended'
  }

  private goLive (): void {
    if (this.state !== 'catching-up') return
    this.state = 'live'
    const waiting = this.waiting
    this.waiting = []
    this.waitingBytes = 0
    for (const entry of waiting) this.send(entry)
  }

  /** Ends the stream (the server is closing). */
  end (): void {
    if (this.state === 'ended') return
    this.stop()
    this.out.end()
    this.cut = setTimeout(() => this.out.destroy(), this.options.dropGraceMs).unref()
  }

  /** The connection closed. */
  closed (): void {
    this.stop()
    clearTimeout(this.cut)
  }

  private wants (entry: TapeEntry): boolean {
    return this.marketContext === undefined || entry.marketContext === this.marketContext
  }

  /** Sends the part of `entry` after the cursor. */
  private send (entry: TapeEntry): void {
    const text = this.after(entry)
    if (text !== '') this.write(text)
  }

  /** The frames of `entry` after the cursor ('' if none, or not wanted), moving the cursor past them. */
  private after (entry: TapeEntry): string {
    if (!this.wants(entry) || entry.position < this.cursor.position) return ''
    const from = entry.position === this.cursor.position ? this.cursor.index + 1 : 0
    if (from >= entry.events.length) return ''
    this.cursor = { position: entry.position, index: entry.events.length - 1 }
    return (from === 0 ? entry.events.join('') : entry.events.slice(from).join('')) + (entry.bbo ?? '')
  }

  private queuedBytes (): number {
    return this.out.writableLength + this.waitingBytes
  }

  private write (text: string): void {
    if (this.state === 'ended') return
    this.out.write(text)
    if (this.queuedBytes() > this.options.maxQueuedBytes) this.drop(`more than ${this.options.maxQueuedBytes} bytes waiting for the connection`)
  }

  /** Drops a subscriber that fell behind: the reason and the id to resume from, then the end. */
  private drop (reason: string): void {
    if (this.state === 'ended') return
    this.stop()
    this.out.end(frame('dropped', { type: 'dropped', reason: `${reason}; reconnect with Last-Event-ID to resume from the ledger`, lastEventId: idOf(this.cursor) }))
    this.cut = setTimeout(() => this.out.destroy(), this.options.dropGraceMs).unref()
  }

  private stop (): void {
    if (this.state === 'ended') return
    this.state = 'ended'
    this.waiting = []
    this.waitingBytes = 0
    clearInterval(this.heartbeat)
    this.forget()
  }
}
