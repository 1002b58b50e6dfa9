/**
 * What a FIX session must remember across restarts: the next sequence number each way, and every
 * message it sent (exactly as it went on the wire), so that a counterparty's ResendRequest after a
 * restart can still be answered. `SessionStore` is the boundary; `FileSessionStore` keeps one
 * session in a folder, and a PostgreSQL store can implement the same interface later.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
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
 * One session in one folder: `seqnums.json` (replaced atomically on every change) and
 * `messages.jsonl` (one line per sent message). Writes are synchronous so that their order is the
 * order of the wire: the session calls in from event handlers that must not interleave.
 * Not fsync'ed: a process crash loses nothing, a power cut may lose the last writes.
 */
export class FileSessionStore implements SessionStore {
  private numbers: SequenceNumbers = { nextSenderSeqNum: 1, nextTargetSeqNum: 1 }
  private messages = new Map<number, SentMessage>()

  constructor (readonly directory: string) {}

  get sequenceNumbers (): SequenceNumbers {
    return { ...this.numbers }
  }

  async open (): Promise<SequenceNumbers> {
    mkdirSync(this.directory, { recursive: true })
    this.numbers = { nextSenderSeqNum: 1, nextTargetSeqNum: 1 }
    this.messages = new Map()
    if (existsSync(this.seqNumsPath)) {
      const saved = JSON.parse(readFileSync(this.seqNumsPath, 'utf8')) as Partial<SequenceNumbers>
      this.numbers = {
        nextSenderSeqNum: positive(saved.nextSenderSeqNum, 'nextSenderSeqNum'),
        nextTargetSeqNum: positive(saved.nextTargetSeqNum, 'nextTargetSeqNum')
      }
    }
    if (existsSync(this.messagesPath)) {
      for (const line of readFileSync(this.messagesPath, 'utf8').split('\n')) {
        // A torn last line (crash mid-append) is skipped; its message is gap-filled on a resend.
        if (line.trim() === '') continue
        try {
          const m = JSON.parse(line) as SentMessage
          this.messages.set(m.seqNum, m)
        } catch { /* torn line */ }
      }
    }
    return this.sequenceNumbers
  }

  async saveSent (message: SentMessage): Promise<void> {
    appendFileSync(this.messagesPath, JSON.stringify(message) + '\n')
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
    rmSync(this.messagesPath, { force: true })
    this.messages = new Map()
    this.write({ nextSenderSeqNum: 1, nextTargetSeqNum: 1 })
  }

  async close (): Promise<void> {}

  private write (numbers: SequenceNumbers): void {
    this.numbers = numbers
    const temp = `${this.seqNumsPath}.tmp`
    writeFileSync(temp, JSON.stringify(numbers))
    renameSync(temp, this.seqNumsPath)
  }

  private get seqNumsPath (): string { return join(this.directory, 'seqnums.json') }
  private get messagesPath (): string { return join(this.directory, 'messages.jsonl') }
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
