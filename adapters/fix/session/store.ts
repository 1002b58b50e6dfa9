/**
 * What a FIX session must remember across restarts: the next sequence number each way, and every
 * message it sent (exactly as it went on the wire), so that a counterparty's ResendRequest after a
 * restart can still be answered. `SessionStore` is the boundary; `FileSessionStore` keeps one
 * session in a folder, and a PostgreSQL store can implement the same interface later.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
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

/**
 * One session in one folder, two append-only journals:
 *   - `seqnums.jsonl`: one line per change of the numbers, the last valid line counts;
 *   - `messages.jsonl`: one line per sent message.
 * Each change is one write to an open file: no rewrite-and-rename, which cost a few hundred
 * microseconds per message on a disk (bench/fix.ts). At open both journals are compacted, written
 * aside and renamed. That drops the numbers' history and any torn last line, so later appends
 * never glue onto a fragment.
 *
 * Writes are synchronous so that their order is the order of the wire: the session calls in from
 * event handlers that must not interleave. They are not fsync'ed: a process crash loses nothing,
 * a power cut may lose the last writes. A lost numbers line is made good from the messages: the
 * next sender number is never below the last stored message + 1.
 */
export class FileSessionStore implements SessionStore {
  private numbers: SequenceNumbers = { nextSenderSeqNum: 1, nextTargetSeqNum: 1 }
  private messages = new Map<number, SentMessage>()
  private numbersFd: number | undefined
  private messagesFd: number | undefined

  constructor (readonly directory: string) {}

  get sequenceNumbers (): SequenceNumbers {
    return { ...this.numbers }
  }

  async open (): Promise<SequenceNumbers> {
    await this.close()
    mkdirSync(this.directory, { recursive: true })
    this.numbers = { nextSenderSeqNum: 1, nextTargetSeqNum: 1 }
    this.messages = new Map()
    // A store written as one JSON object (the first format) still opens.
    const legacy = join(this.directory, 'seqnums.json')
    const saved = [...(existsSync(legacy) ? [readFileSync(legacy, 'utf8')] : []), ...validLines(this.numbersPath)].map((l) => JSON.parse(l) as Partial<SequenceNumbers>).at(-1)
    if (saved !== undefined) {
      this.numbers = { nextSenderSeqNum: positive(saved.nextSenderSeqNum, 'nextSenderSeqNum'), nextTargetSeqNum: positive(saved.nextTargetSeqNum, 'nextTargetSeqNum') }
    }
    // A torn last line (crash mid-append) is skipped; its message is gap-filled on a resend.
    for (const line of validLines(this.messagesPath)) {
      const m = JSON.parse(line) as SentMessage
      this.messages.set(m.seqNum, m)
      if (m.seqNum + 1 > this.numbers.nextSenderSeqNum) this.numbers.nextSenderSeqNum = m.seqNum + 1
    }
    this.compact(this.numbersPath, [JSON.stringify(this.numbers)])
    this.compact(this.messagesPath, [...this.messages.values()].sort((a, b) => a.seqNum - b.seqNum).map((m) => JSON.stringify(m)))
    rmSync(legacy, { force: true })
    this.numbersFd = openSync(this.numbersPath, 'a')
    this.messagesFd = openSync(this.messagesPath, 'a')
    return this.sequenceNumbers
  }

  async saveSent (message: SentMessage): Promise<void> {
    writeSync(this.fd(this.messagesFd), JSON.stringify(message) + '\n')
    this.messages.set(message.seqNum, message)
    if (message.seqNum + 1 > this.numbers.nextSenderSeqNum) this.write({ ...this.numbers, nextSenderSeqNum: message.seqNum + 1 })
  }

  async setNextSenderSeqNum (seqNum: number): Promise<void> {
    this.write({ ...this.numbers, nextSenderSeqNum: seqNum })
  }

  async setNextTargetSeqNum (seqNum: number): Promise<void> {
    if (seqNum !== this.numbers.nextTargetSeqNum) this.write({ ...this.numbers, nextTargetSeqNum: seqNum })
  }

  async sentBetween (from: number, to: number): Promise<SentMessage[]> {
    return [...this.messages.values()].filter(m => m.seqNum >= from && m.seqNum <= to).sort((a, b) => a.seqNum - b.seqNum)
  }

  async reset (): Promise<void> {
    await this.close()
    rmSync(this.messagesPath, { force: true })
    rmSync(this.numbersPath, { force: true })
    await this.open()
  }

  async close (): Promise<void> {
    if (this.numbersFd !== undefined) closeSync(this.numbersFd)
    if (this.messagesFd !== undefined) closeSync(this.messagesFd)
    this.numbersFd = undefined
    this.messagesFd = undefined
  }

  private write (numbers: SequenceNumbers): void {
    this.numbers = numbers
    writeSync(this.fd(this.numbersFd), JSON.stringify(numbers) + '\n')
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
