/**
 * A FIX session's store in the ledger database (migration 007), for gateways that keep all their
 * state in PostgreSQL: the next sequence numbers each way and every message sent. It implements
 * the session layer's SessionStore; the session awaits each write in wire order, so a slower store
 * costs latency, never order. A message and the sender number after it are written in one
 * statement.
 */
import type { Database } from './database.js'
import type { SentMessage, SequenceNumbers, SessionStore } from '../fix/session/store.js'

export class PgSessionStore implements SessionStore {
  private numbers: SequenceNumbers = { nextSenderSeqNum: 1, nextTargetSeqNum: 1 }

  /** `session` names the session in the tables, e.g. its BeginString-Sender-Target. */
  constructor (private readonly db: Database, readonly session: string) {}

  get sequenceNumbers (): SequenceNumbers {
    return { ...this.numbers }
  }

  async open (): Promise<SequenceNumbers> {
    const { rows } = await this.db.pool.query(
      `WITH s AS (INSERT INTO fix_sessions (session, next_sender, next_target) VALUES ($1, 1, 1) ON CONFLICT (session) DO NOTHING)
       SELECT f.next_sender, f.next_target, (SELECT max(seq_num) FROM fix_sent WHERE session = $1) AS last_sent
       FROM fix_sessions f WHERE f.session = $1`, [this.session])
    const row = rows[0] as { next_sender: number, next_target: number, last_sent: number | null } | undefined
    this.numbers = row === undefined
      ? { nextSenderSeqNum: 1, nextTargetSeqNum: 1 }
      : { nextSenderSeqNum: Math.max(row.next_sender, (row.last_sent ?? 0) + 1), nextTargetSeqNum: row.next_target }
    return this.sequenceNumbers
  }

  async saveSent (m: SentMessage): Promise<void> {
    if (m.seqNum + 1 > this.numbers.nextSenderSeqNum) this.numbers = { ...this.numbers, nextSenderSeqNum: m.seqNum + 1 }
    await this.db.pool.query({
      name: 'fix-session-sent',
      text: `WITH m AS (INSERT INTO fix_sent (session, seq_num, msg_type, sending_time, raw) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (session, seq_num) DO UPDATE SET msg_type = EXCLUDED.msg_type, sending_time = EXCLUDED.sending_time, raw = EXCLUDED.raw)
             UPDATE fix_sessions SET next_sender = GREATEST(next_sender, $2 + 1), updated_at = now() WHERE session = $1`,
      values: [this.session, m.seqNum, m.msgType, m.sendingTime, m.raw]
    })
  }

  async setNextSenderSeqNum (seqNum: number): Promise<void> {
    this.numbers = { ...this.numbers, nextSenderSeqNum: seqNum }
    await this.db.pool.query('UPDATE fix_sessions SET next_sender = $2, updated_at = now() WHERE session = $1', [this.session, seqNum])
  }

  async setNextTargetSeqNum (seqNum: number): Promise<void> {
    if (seqNum === this.numbers.nextTargetSeqNum) return
    this.numbers = { ...this.numbers, nextTargetSeqNum: seqNum }
    await this.db.pool.query({ name: 'fix-session-target', text: 'UPDATE fix_sessions SET next_target = $2, updated_at = now() WHERE session = $1', values: [this.session, seqNum] })
  }

  async sentBetween (from: number, to: number): Promise<SentMessage[]> {
    const { rows } = await this.db.pool.query('SELECT seq_num, msg_type, sending_time, raw FROM fix_sent WHERE session = $1 AND seq_num BETWEEN $2 AND $3 ORDER BY seq_num', [this.session, from, to])
    return rows.map((r) => ({ seqNum: r.seq_num, msgType: r.msg_type, sendingTime: r.sending_time, raw: r.raw }))
  }

  async reset (): Promise<void> {
    this.numbers = { nextSenderSeqNum: 1, nextTargetSeqNum: 1 }
    await this.db.pool.query(
      `WITH d AS (DELETE FROM fix_sent WHERE session = $1)
       UPDATE fix_sessions SET next_sender = 1, next_target = 1, updated_at = now() WHERE session = $1`, [this.session])
  }

  /** The database belongs to the caller. */
  async close (): Promise<void> {}
}
