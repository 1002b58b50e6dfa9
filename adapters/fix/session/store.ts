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
  /**
   * Set by a store whose methods have done their work (written or buffered, in call order) when
   * they return, so the session need not chain them one after another.
   */
  readonly synchronous?: boolean
  /**
   * A store that gathers its writes in memory writes them now. The session calls it before the
   * bytes of what it sent in this turn of the event loop go on the wire.
   */
  flushPending? (): void
}

/** When the journal is fsync'ed: never (the OS writes it back), after every write, or on a timer. */
export type StoreSync = 'none' | 'every-write' | 'interval'
export const STORE_SYNCS: readonly StoreSync[] = ['none', 'every-write', 'interval']

export interface FileSessionStoreOptions {
  /**
   * Sent messages kept in memory for resends, the most recent ones (QuickFIX/J's
   * FileStoreMaxCachedMsgs); a resend of older ones reads them from disk. Default 10,000.
   */
  maxCachedMessages?: number
  /**
   * Default 'none', as QuickFIX/J's FileStoreSync=N: a process crash loses nothing written (the
   * OS has it), a power cut may lose the last writes. 'every-write' fsyncs after each write (each
   * turn of the event loop then waits on the disk); 'interval' every `syncIntervalMs` (default
   * 1000) when something was written.
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
/** At open, a journal with more numbers lines than this is rewritten without the old ones. */
const COMPACT_AFTER_NUMBERS_LINES = 10_000

type JournalLine = { kind: 'message', message: SentMessage } | { kind: 'numbers', numbers: Partial<SequenceNumbers> }

/**
 * One session in one folder, one append-only journal, `journal.jsonl`, of two kinds of lines:
 *   - a sent message, `{"seqNum":..,"msgType":..,"sendingTime":..,"raw":..}`, in the order sent;
 *   - the numbers, `{"nextSenderSeqNum":..,"nextTargetSeqNum":..}`, written when the next
 *     target number (or explicitly the sender number) changes; the last one counts.
 * The next sender number after a message is not written: it is read back at open (never below
 * the last stored message + 1).
 *
 * Writes are gathered in memory and written by one append per turn of the event loop: the
 * session calls `flushPending` before what it sent in that turn goes on the wire (it holds the
 * socket's writes until then), and the store flushes itself at the end of the turn otherwise
 * (process.nextTick). So what a turn received and sent is in the OS before any of it is sent, and
 * a pipelined burst costs one write, not one per message (bench/fix.ts). Calls return once the
 * line is buffered, in call order, which is the order of the wire.
 *
 * At open a torn last line (a crash mid-append) is cut off, so later appends never glue onto a
 * fragment, and a journal with many numbers lines is compacted (written aside, renamed). The
 * journals of the earlier format (seqnums.jsonl and messages.jsonl, or seqnums.json) are read
 * and replaced by journal.jsonl.
 *
 * Memory is bounded: the last `maxCachedMessages` sent messages are kept for resends, and one
 * file position per 1024 messages; an older message is read from the journal.
 */
export class FileSessionStore implements SessionStore {
  readonly synchronous = true
  private numbers: SequenceNumbers = { nextSenderSeqNum: 1, nextTargetSeqNum: 1 }
  /** The most recent sent messages, oldest first (a Map keeps insertion order). */
  private cache = new Map<number, SentMessage>()
  /** Where in the journal the line of a message lies, one per CHECKPOINT_EVERY messages, in file order. */
  private checkpoints: Array<{ seqNum: number, offset: number }> = []
  private journalBytes = 0
  private messagesCount = 0
  private numbersLines = 0
  private lastSavedSeqNum = 0
  /** Every message line has a higher MsgSeqNum than the one before: checkpoints and cache can be trusted. */
  private ascending = true
  private fd: number | undefined
  /** Lines not yet written; a message line that is a checkpoint says so. */
  /** Lines buffered for the next append, each ending in a newline. */
  private pendingText = ''
  /** Checkpoints among them: a message's MsgSeqNum and where its line starts in `pendingText` (UTF-16 units). */
  private pendingCheckpoints: Array<{ seqNum: number, at: number }> = []
  private flushScheduled = false
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
    if (!STORE_SYNCS.includes(this.sync)) throw new Error(`sync must be one of ${STORE_SYNCS.join(', ')}: ${String(this.sync)}`)
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
    return this.openNow()
  }

  /** Synchronous all through: a reset is done before the next write of the same turn (synchronous store). */
  private openNow (): SequenceNumbers {
    this.closeNow()
    mkdirSync(this.directory, { recursive: true })
    this.migrateEarlierFormat()
    this.fd = openSync(this.journalPath, 'a+')
    let end = this.load()
    if (end < fstatSync(this.fd).size) ftruncateSync(this.fd, end)
    if (!this.ascending || this.numbersLines > COMPACT_AFTER_NUMBERS_LINES) end = this.compactJournal()
    this.journalBytes = end
    if (this.sync === 'interval') {
      this.syncTimer = setInterval(() => this.syncIfDirty(), this.syncIntervalMs)
      this.syncTimer.unref()
    }
    return this.sequenceNumbers
  }

  async saveSent (message: SentMessage): Promise<void> {
    this.append(sentLine(message), message)
    if (message.seqNum + 1 > this.numbers.nextSenderSeqNum) this.numbers.nextSenderSeqNum = message.seqNum + 1
  }

  async setNextSenderSeqNum (seqNum: number): Promise<void> {
    this.numbers.nextSenderSeqNum = seqNum
    this.append(numbersLine(this.numbers))
  }

  async setNextTargetSeqNum (seqNum: number): Promise<void> {
    if (seqNum === this.numbers.nextTargetSeqNum) return
    this.numbers.nextTargetSeqNum = seqNum
    this.append(numbersLine(this.numbers))
  }

  async sentBetween (from: number, to: number): Promise<SentMessage[]> {
    if (to < from) return []
    const oldestCached = this.cache.values().next().value?.seqNum
    // The cache holds the most recent messages; with numbers that only ever rose, it holds all of
    // from..to if it holds from. Otherwise the journal is read.
    if (this.ascending && oldestCached !== undefined && oldestCached <= from) {
      return [...this.cache.values()].filter(m => m.seqNum >= from && m.seqNum <= to)
    }
    this.flushPending()
    return this.readBetween(from, to).sort((a, b) => a.seqNum - b.seqNum)
  }

  async reset (): Promise<void> {
    this.closeNow()
    rmSync(this.journalPath, { force: true })
    this.openNow()
  }

  async close (): Promise<void> {
    this.closeNow()
  }

  private closeNow (): void {
    if (this.fd !== undefined) this.flushPending()
    if (this.syncTimer !== null) clearInterval(this.syncTimer)
    this.syncTimer = null
    if (this.sync !== 'none') this.syncIfDirty()
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }

  /** Writes the buffered lines, in one append. */
  flushPending (): void {
    if (this.pendingText === '') return
    const fd = this.openFd()
    const text = this.pendingText
    const checkpoints = this.pendingCheckpoints
    this.pendingText = ''
    if (checkpoints.length > 0) this.pendingCheckpoints = []
    const start = this.journalBytes
    this.journalBytes += writeSync(fd, text)
    if (this.sync === 'every-write') this.fsync(fd)
    else this.dirty = true
    for (const c of checkpoints) this.checkpoints.push({ seqNum: c.seqNum, offset: start + Buffer.byteLength(text.slice(0, c.at)) })
  }

  private append (line: string, message?: SentMessage): void {
    this.openFd()
    let checkpoint: number | undefined
    if (message !== undefined) {
      if (this.messagesCount % CHECKPOINT_EVERY === 0) checkpoint = message.seqNum
      this.remember(message)
    }
    if (checkpoint !== undefined) this.pendingCheckpoints.push({ seqNum: checkpoint, at: this.pendingText.length })
    this.pendingText += line + '\n'
    if (!this.flushScheduled) {
      this.flushScheduled = true
      process.nextTick(() => {
        this.flushScheduled = false
        if (this.fd !== undefined) this.flushPending()
      })
    }
  }

  /** Notes a stored message: in the cache (dropping the oldest beyond the bound). */
  private remember (message: SentMessage): void {
    if (message.seqNum <= this.lastSavedSeqNum) this.ascending = false
    this.lastSavedSeqNum = Math.max(this.lastSavedSeqNum, message.seqNum)
    this.messagesCount++
    if (this.maxCached === 0) return
    this.cache.delete(message.seqNum)
    this.cache.set(message.seqNum, message)
    if (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value!)
  }

  /** Reads the journal from the start: numbers, cache, checkpoints; returns the end of its last valid line. */
  private load (): number {
    this.numbers = { nextSenderSeqNum: 1, nextTargetSeqNum: 1 }
    this.cache = new Map()
    this.checkpoints = []
    this.pendingText = ''
    this.pendingCheckpoints = []
    this.messagesCount = 0
    this.numbersLines = 0
    this.lastSavedSeqNum = 0
    this.ascending = true
    const end = this.scan(0, (line, offset) => {
      if (line.kind === 'numbers') {
        this.numbersLines++
        this.numbers = { nextSenderSeqNum: positive(line.numbers.nextSenderSeqNum, 'nextSenderSeqNum'), nextTargetSeqNum: positive(line.numbers.nextTargetSeqNum, 'nextTargetSeqNum') }
        return
      }
      if (this.messagesCount % CHECKPOINT_EVERY === 0) this.checkpoints.push({ seqNum: line.message.seqNum, offset })
      this.remember(line.message)
    })
    // A lost numbers line is made good from the messages: a sent number is never used again.
    if (this.lastSavedSeqNum + 1 > this.numbers.nextSenderSeqNum) this.numbers.nextSenderSeqNum = this.lastSavedSeqNum + 1
    return end
  }

  /** Messages from..to read from the journal; the last line of a MsgSeqNum counts. */
  private readBetween (from: number, to: number): SentMessage[] {
    let start = 0
    if (this.ascending) {
      for (const c of this.checkpoints) {
        if (c.seqNum > from) break
        start = c.offset
      }
    }
    const found = new Map<number, SentMessage>()
    this.scan(start, (line) => {
      if (line.kind !== 'message') return
      const m = line.message
      if (m.seqNum >= from && m.seqNum <= to) found.set(m.seqNum, m)
      return this.ascending && m.seqNum >= to
    })
    return [...found.values()]
  }

  /**
   * Reads the journal from `start` a chunk at a time, calling `each` for every valid line with its
   * offset (until `each` returns true); returns the offset just after the last valid line seen.
   */
  private scan (start: number, each: (line: JournalLine, offset: number, text: string) => boolean | void): number {
    const fd = this.openFd()
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
        const text = bytes.toString('utf8', lineStart, nl)
        const offset = bytesAt + lineStart
        lineStart = nl + 1
        const line = parseLine(text)
        if (line === null) continue
        validEnd = bytesAt + lineStart
        if (each(line, offset, text) === true) return validEnd
      }
      carry = Buffer.from(bytes.subarray(lineStart))
    }
  }

  /**
   * Rewrites the journal as one numbers line and the messages in MsgSeqNum order (the last line
   * of a number kept), written aside and renamed. Streams when the numbers only rose; a journal
   * whose numbers went down (rare) is sorted in memory once.
   */
  private compactJournal (): number {
    const aside = `${this.journalPath}.tmp`
    const out = openSync(aside, 'w')
    try {
      writeSync(out, JSON.stringify(this.numbers) + '\n')
      if (this.ascending) {
        this.scan(0, (line, _, text) => { if (line.kind === 'message') writeSync(out, text + '\n') })
      } else {
        const all = new Map<number, string>()
        this.scan(0, (line, _, text) => { if (line.kind === 'message') all.set(line.message.seqNum, text) })
        for (const seqNum of [...all.keys()].sort((a, b) => a - b)) writeSync(out, all.get(seqNum)! + '\n')
      }
    } finally {
      closeSync(out)
    }
    closeSync(this.openFd())
    renameSync(aside, this.journalPath)
    this.fd = openSync(this.journalPath, 'a+')
    return this.load()
  }

  /** The first format (seqnums.json) and the second (seqnums.jsonl + messages.jsonl) become journal.jsonl. */
  private migrateEarlierFormat (): void {
    const legacyNumbers = join(this.directory, 'seqnums.json')
    const numbersPath = join(this.directory, 'seqnums.jsonl')
    const messagesPath = join(this.directory, 'messages.jsonl')
    if (existsSync(this.journalPath) || ![legacyNumbers, numbersPath, messagesPath].some(existsSync)) return
    const numbers = [...(existsSync(legacyNumbers) ? [readFileSync(legacyNumbers, 'utf8')] : []), ...validLines(numbersPath)].map((l) => JSON.parse(l) as Partial<SequenceNumbers>).at(-1)
    const lines = [...(numbers !== undefined ? [JSON.stringify(numbers)] : []), ...validLines(messagesPath)]
    const aside = `${this.journalPath}.tmp`
    writeFileSync(aside, lines.map((l) => l + '\n').join(''))
    renameSync(aside, this.journalPath)
    for (const path of [legacyNumbers, numbersPath, messagesPath]) rmSync(path, { force: true })
  }

  private syncIfDirty (): void {
    if (!this.dirty || this.fd === undefined) return
    this.dirty = false
    this.fsync(this.fd)
  }

  private openFd (): number {
    if (this.fd === undefined) throw new Error(`session store ${this.directory} is not open`)
    return this.fd
  }

  private get journalPath (): string { return join(this.directory, 'journal.jsonl') }
}

/** A journal line, or null if it is not one (a torn line). */
function parseLine (text: string): JournalLine | null {
  if (text.trim() === '') return null
  try {
    const value = JSON.parse(text) as Record<string, unknown>
    if (typeof value['seqNum'] === 'number' && typeof value['raw'] === 'string') return { kind: 'message', message: value as unknown as SentMessage }
    if ('nextSenderSeqNum' in value || 'nextTargetSeqNum' in value) return { kind: 'numbers', numbers: value as Partial<SequenceNumbers> }
    return null
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

/**
 * A sent message's journal line: what JSON.stringify(message) writes (same keys, same order),
 * built without walking the object, as this runs for every message sent.
 */
function sentLine (m: SentMessage): string {
  return `{"seqNum":${JSON.stringify(m.seqNum)},"msgType":${JSON.stringify(m.msgType)},"sendingTime":${JSON.stringify(m.sendingTime)},"raw":${JSON.stringify(m.raw)}}`
}

/** The numbers' journal line, as JSON.stringify of SequenceNumbers writes it. */
function numbersLine (n: SequenceNumbers): string {
  return `{"nextSenderSeqNum":${JSON.stringify(n.nextSenderSeqNum)},"nextTargetSeqNum":${JSON.stringify(n.nextTargetSeqNum)}}`
}
