/**
 * What a FIX session must remember across restarts: the next sequence number each way, and every
 * message it sent (exactly as it went on the wire), so that a counterparty's ResendRequest after a
 * restart can still be answered. `SessionStore` is the boundary; `FileSessionStore` keeps one
 * session in a folder, and a PostgreSQL store can implement the same interface later.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export interface SequenceNumbers {
  /** MsgSeqNum of the next message we send. */
  nextSenderSeqNum: number
  /** MsgSeqNum we expect on the next message from the counterparty. */
  nextTargetSeqNum: number
}

export interface SentMessage {
  seqNum: number
  msgType: string
  /** SendingTime(52) as sent, a FIX UTCTimestamp; a replay carries it as OrigSendingTime(122). */
  sendingTime: string
  /** The whole frame as sent, SOH-delimited. */
  raw: string
}

export interface SessionStore {
  /** Reads what an earlier run left (1 and 1 for a new session). */
  open (): Promise<SequenceNumbers>
  /** The numbers as of the last write; valid after `open`. */
  readonly sequenceNumbers: SequenceNumbers
  /** Records a message we sent and that the next one gets `seqNum + 1`. */
  saveSent (message: SentMessage): Promise<void>
  setNextSenderSeqNum (seqNum: number): Promise<void>
  setNextTargetSeqNum (seqNum: number): Promise<void>
  /** Messages we sent with from <= MsgSeqNum <= to, in order; gaps where nothing was stored. */
  sentBetween (from: number, to: number): Promise<SentMessage[]>
  /** A new FIX session (ResetSeqNumFlag): both numbers back to 1, sent messages forgotten. */
  reset (): Promise<void>
  close (): Promise<void>
}

/** When the journals are fsync'ed: never (the OS writes them back), after every write, or on a timer. */
export type StoreSync = 'none' | 'every-write' | 'interval'

export interface FileSessionStoreOptions {
  /**
   * Sent messages kept in memory for resends, the most recent ones (QuickFIX/J's
   * FileStoreMaxCachedMsgs); a resend of older ones reads them from disk. Default 10,000.
   */
  maxCachedMessages?: number
  /**
   * Default 'none', as QuickFIX/J's FileStoreSync=N: a process crash loses nothing (every write
   * is in the OS before the session goes on), a power cut may lose the last writes. 'every-write'
   * fsyncs after each write (each message then waits on the disk); 'interval' every
   * `syncIntervalMs` (default 1000) when something was written.
   */
  sync?: StoreSync
  syncIntervalMs?: number
  /** The fsync used (tests count it); default fs.fsyncSync. */
  fsync?: (fd: number) => void
}

export const DEFAULT_MAX_CACHED_MESSAGES = 10_000
/** One disk position remembered per this many messages: a resend from disk starts reading there. */
const CHECKPOINT_EVERY = 1024
const READ_CHUNK_BYTES = 1 << 20

/**
 * One session in one folder, two append-only journals:
 *   - `seqnums.jsonl`: one line per change of the numbers, the last valid line counts;
 *   - `messages.jsonl`: one line per sent message, in the order sent.
 * Each change is one write to an open file: no rewrite-and-rename, which cost a few hundred
 * microseconds per message on a disk (bench/fix.ts). A sent message is one write: the next sender
 * number after it is not written, it is read back from the messages at open (never below the last
 * stored message + 1). At open the numbers journal is compacted (written aside, renamed) and a torn
 * last line of the messages journal (a crash mid-append) is cut off, so later appends never glue
 * onto a fragment.
 *
 * Memory is bounded: the last `maxCachedMessages` sent messages are kept for resends, and one
 * file position per 1024 messages; an older message is read from the journal.
 *
 * Writes are synchronous so that their order is the order of the wire: the session calls in from
 * event handlers that must not interleave. Whether they are fsync'ed is the `sync` option.
 */
export class FileSessionStore implements SessionStore {
  private numbers: SequenceNumbers = { nextSenderSeqNum: 1, nextTargetSeqNum: 1 }
  /** The most recent sent messages, oldest first (a Map keeps insertion order). */
  private cache = new Map<number, SentMessage>()
  /** Where in messages.jsonl the line of a message lies, one per CHECKPOINT_EVERY messages, in file order. */
  private checkpoints: Array<{ seqNum: number, offset: number }> = []
  private messagesBytes = 0
  private messagesCount = 0
  private lastSavedSeqNum = 0
  /** Every message line has a higher MsgSeqNum than the one before: checkpoints can be trusted. */
  private ascending = true
  private numbersFd: number | undefined
  private messagesFd: number | undefined
  private readonly maxCached: number
  private readonly sync: StoreSync
  private readonly syncIntervalMs: number
  private readonly fsync: (fd: number) => void
  private syncTimer: NodeJS.Timeout | null = null
  private dirty = false

  constructor (readonly directory: string, options: FileSessionStoreOptions = {}) {
    this.maxCached = options.maxCachedMessages ?? DEFAULT_MAX_CACHED_MESSAGES
    if (!Number.isInteger(this.maxCached) || this.maxCached < 0) throw new Error(`maxCachedMessages must be a whole number >= 0: ${this.maxCached}`)
    this.sync = options.sync ?? 'none'
    this.syncIntervalMs = options.syncIntervalMs ?? 1000
    if (!(this.syncIntervalMs > 0)) throw new Error(`syncIntervalMs must be positive: ${this.syncIntervalMs}`)
    this.fsync = options.fsync ?? fsyncSync
  }

  get sequenceNumbers (): SequenceNumbers {
    return { ...this.numbers }
  }

  /** How many sent messages are held in memory (at most maxCachedMessages). */
  get cachedMessages (): number {
    return this.cache.size
  }

  async open (): Promise<SequenceNumbers> {
    await this.close()
    mkdirSync(this.directory, { recursive: true })
    this.numbers = { nextSenderSeqNum: 1, nextTargetSeqNum: 1 }
    this.cache = new Map()
    this.checkpoints = []
    this.messagesBytes = 0
    this.messagesCount = 0
    this.lastSavedSeqNum = 0
    this.ascending = true
    // A store written as one JSON object (the first format) still opens.
    const legacy = join(this.directory, 'seqnums.json')
    const saved = [...(existsSync(legacy) ? [readFileSync(legacy, 'utf8')] : []), ...validLines(this.numbersPath)].map((l) => JSON.parse(l) as Partial<SequenceNumbers>).at(-1)
    if (saved !== undefined) {
      this.numbers = { nextSenderSeqNum: positive(saved.nextSenderSeqNum, 'nextSenderSeqNum'), nextTargetSeqNum: positive(saved.nextTargetSeqNum, 'nextTargetSeqNum') }
    }
    this.compact(this.numbersPath, [JSON.stringify(this.numbers)])
    rmSync(legacy, { force: true })
    this.numbersFd = openSync(this.numbersPath, 'a')
    this.messagesFd = openSync(this.messagesPath, 'a+')
    // A torn last line (crash mid-append) is cut off; its message is gap-filled on a resend.
    let end = this.scanMessages(this.messagesFd, 0, (m, offset) => this.remember(m, offset))
    if (end < fstatSync(this.messagesFd).size) ftruncateSync(this.messagesFd, end)
    if (!this.ascending) end = this.sortMessages()
    this.messagesBytes = end
    if (this.lastSavedSeqNum + 1 > this.numbers.nextSenderSeqNum) this.numbers.nextSenderSeqNum = this.lastSavedSeqNum + 1
    if (this.sync === 'interval') {
      this.syncTimer = setInterval(() => this.syncIfDirty(), this.syncIntervalMs)
      this.syncTimer.unref()
    }
    return this.sequenceNumbers
  }

  async saveSent (message: SentMessage): Promise<void> {
    const offset = this.messagesBytes
    this.messagesBytes += writeSync(this.fd(this.messagesFd), JSON.stringify(message) + '\n')
    this.written(this.messagesFd)
    this.remember(message, offset)
    if (message.seqNum + 1 > this.numbers.nextSenderSeqNum) this.numbers.nextSenderSeqNum = message.seqNum + 1
  }

  async setNextSenderSeqNum (seqNum: number): Promise<void> {
    this.write({ ...this.numbers, nextSenderSeqNum: seqNum })
  }

  async setNextTargetSeqNum (seqNum: number): Promise<void> {
    if (seqNum !== this.numbers.nextTargetSeqNum) this.write({ ...this.numbers, nextTargetSeqNum: seqNum })
  }

  async sentBetween (from: number, to: number): Promise<SentMessage[]> {
    if (to < from) return []
    const oldestCached = this.cache.values().next().value?.seqNum
    // The cache holds the most recent messages; with numbers that only ever rose, it holds all of
    // from..to if it holds from. Otherwise the journal is read.
    const found = this.ascending && oldestCached !== undefined && oldestCached <= from
      ? [...this.cache.values()].filter(m => m.seqNum >= from && m.seqNum <= to)
      : this.readBetween(from, to)
    return found.sort((a, b) => a.seqNum - b.seqNum)
  }

  async reset (): Promise<void> {
    await this.close()
    rmSync(this.messagesPath, { force: true })
    rmSync(this.numbersPath, { force: true })
    await this.open()
  }

  async close (): Promise<void> {
    if (this.syncTimer !== null) clearInterval(this.syncTimer)
    this.syncTimer = null
    if (this.sync !== 'none') this.syncIfDirty()
    if (this.numbersFd !== undefined) closeSync(this.numbersFd)
    if (this.messagesFd !== undefined) closeSync(this.messagesFd)
    this.numbersFd = undefined
    this.messagesFd = undefined
  }

  /** Notes a stored message: in the cache (dropping the oldest beyond the bound), and its position every so often. */
  private remember (message: SentMessage, offset: number): void {
    if (message.seqNum <= this.lastSavedSeqNum) this.ascending = false
    this.lastSavedSeqNum = Math.max(this.lastSavedSeqNum, message.seqNum)
    if (this.messagesCount++ % CHECKPOINT_EVERY === 0) this.checkpoints.push({ seqNum: message.seqNum, offset })
    if (this.maxCached === 0) return
    this.cache.delete(message.seqNum)
    this.cache.set(message.seqNum, message)
    if (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value!)
  }

  /**
   * A journal whose numbers went down at some point (a number sent again) is rewritten in
   * MsgSeqNum order, the last line of each number kept, so that positions and cache can be
   * trusted again. Rare: it holds the whole journal in memory once.
   */
  private sortMessages (): number {
    const all = [...new Map(this.readBetween(1, Number.MAX_SAFE_INTEGER).map(m => [m.seqNum, m])).values()].sort((a, b) => a.seqNum - b.seqNum)
    closeSync(this.fd(this.messagesFd))
    this.compact(this.messagesPath, all.map(m => JSON.stringify(m)))
    this.messagesFd = openSync(this.messagesPath, 'a+')
    this.cache = new Map()
    this.checkpoints = []
    this.messagesCount = 0
    this.lastSavedSeqNum = 0
    this.ascending = true
    return this.scanMessages(this.messagesFd, 0, (m, offset) => this.remember(m, offset))
  }

  /** Messages from..to read from the journal; the last line of a MsgSeqNum counts. */
  private readBetween (from: number, to: number): SentMessage[] {
    const fd = this.fd(this.messagesFd)
    let start = 0
    if (this.ascending) {
      for (const c of this.checkpoints) {
        if (c.seqNum > from) break
        start = c.offset
      }
    }
    const found = new Map<number, SentMessage>()
    this.scanMessages(fd, start, (m) => {
      if (m.seqNum >= from && m.seqNum <= to) found.set(m.seqNum, m)
      return this.ascending && m.seqNum >= to
    })
    return [...found.values()]
  }

  /**
   * Reads messages.jsonl from `start` a chunk at a time, calling `each` for every valid line with
   * its offset (until `each` returns true); returns the offset just after the last valid line.
   */
  private scanMessages (fd: number, start: number, each: (m: SentMessage, offset: number) => boolean | void): number {
    const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES)
    let carry = Buffer.alloc(0)
    let position = start
    let validEnd = start
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, position)
      if (read === 0) return validEnd
      const bytes = carry.length === 0 ? chunk.subarray(0, read) : Buffer.concat([carry, chunk.subarray(0, read)])
      const bytesAt = position - carry.length
      position += read
      let lineStart = 0
      for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, lineStart)) {
        const message = parseMessage(bytes.toString('utf8', lineStart, nl))
        const offset = bytesAt + lineStart
        lineStart = nl + 1
        if (message === null) continue
        validEnd = bytesAt + lineStart
        if (each(message, offset) === true) return validEnd
      }
      carry = Buffer.from(bytes.subarray(lineStart))
    }
  }

  private write (numbers: SequenceNumbers): void {
    this.numbers = numbers
    writeSync(this.fd(this.numbersFd), JSON.stringify(numbers) + '\n')
    this.written(this.numbersFd)
  }

  private written (fd: number | undefined): void {
    if (this.sync === 'every-write') this.fsync(this.fd(fd))
    else this.dirty = true
  }

  private syncIfDirty (): void {
    if (!this.dirty) return
    this.dirty = false
    if (this.messagesFd !== undefined) this.fsync(this.messagesFd)
    if (this.numbersFd !== undefined) this.fsync(this.numbersFd)
  }

  private fd (fd: number | undefined): number {
    if (fd === undefined) throw new Error(`session store ${this.directory} is not open`)
    return fd
  }

  /** Replaces a journal by these lines, atomically (written aside, then renamed). */
  private compact (path: string, lines: string[]): void {
    writeFileSync(`${path}.tmp`, lines.map((l) => l + '\n').join(''))
    renameSync(`${path}.tmp`, path)
  }

  private get numbersPath (): string { return join(this.directory, 'seqnums.jsonl') }
  private get messagesPath (): string { return join(this.directory, 'messages.jsonl') }
}

/** A journal line as a sent message, or null if it is not one (a torn line). */
function parseMessage (line: string): SentMessage | null {
  if (line.trim() === '') return null
  try {
    const m = JSON.parse(line) as Partial<SentMessage>
    return typeof m.seqNum === 'number' && typeof m.raw === 'string' ? m as SentMessage : null
  } catch {
    return null
  }
}

/** The lines of a journal that parse as JSON (a torn line, from a crash mid-append, does not). */
function validLines (path: string): string[] {
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8').split('\n').filter((line) => {
    if (line.trim() === '') return false
    try {
      JSON.parse(line)
      return true
    } catch {
      return false
    }
  })
}

function positive (value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new Error(`session store: ${name} is not a sequence number: ${String(value)}`)
  return value
}

/** The folder of one session inside a store root: one folder per BeginString-Sender-Target. */
export function sessionDirectory (root: string, beginString: string, senderCompId: string, targetCompId: string): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_')
  return join(root, `${safe(beginString)}-${safe(senderCompId)}-${safe(targetCompId)}`)
}
