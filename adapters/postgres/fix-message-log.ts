/**
 * The ledger's record of FIX application messages (migration 005): one row per message, written
 * before the message is acted on.
 */
import type { Database } from './database.js'

export interface FixMessageEntry {
  session: string
  direction: 'in' | 'out'
  msgType: string
  seqNum: number
  message: string
}

export class PgFixMessageLog {
  constructor (private readonly db: Database) {}

  async record (e: FixMessageEntry): Promise<void> {
    await this.db.pool.query({
      name: 'fix-message',
      text: 'INSERT INTO fix_messages (session, direction, msg_type, seq_num, message) VALUES ($1, $2, $3, $4, $5)',
      values: [e.session, e.direction, e.msgType, e.seqNum, e.message]
    })
  }

  async messages (session: string): Promise<FixMessageEntry[]> {
    const { rows } = await this.db.pool.query('SELECT session, direction, msg_type, seq_num, message FROM fix_messages WHERE session = $1 ORDER BY id', [session])
    return rows.map((r) => ({ session: r.session, direction: r.direction, msgType: r.msg_type, seqNum: r.seq_num, message: r.message }))
  }
}
