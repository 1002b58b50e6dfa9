/**
 * Our runner for QuickFIX's server acceptance scripts (test/definitions/server/<version>/*.def of
 * QuickFIX's source package), written after QuickFIX's own Ruby runner (test/Runner.rb,
 * Reflector.rb, ReflectorClient.rb, FixParser.rb, Comparator.rb, atrun's compareAction):
 *   - a line `iCONNECT` / `iDISCONNECT` opens / closes connection 1 (`i2,CONNECT`: connection 2);
 *     `I<fix>` sends, `E<fix>` reads the next message and compares it, `eDISCONNECT` waits for
 *     the acceptor to close the connection (data instead is a failure, as in QuickFIX);
 *   - <TIME>, <TIME+n>, <TIME-n> become the current UTC time (%Y%m%d-%H:%M:%S, seconds offset),
 *     each line when it is played; BodyLength and CheckSum are filled in when the line has none;
 *   - messages are read as FixParser.rb does: up to "\x019=", the length, that many bytes, the
 *     CheckSum field.
 * Three comparisons of an expected message with the one received:
 *   - exact: QuickFIX's Comparator: same number of fields, same order, each value equal or,
 *     for the tags of fields.fmt (10, 42, 52, 60, 122), matching its pattern;
 *   - sameFields: the same fields in any order (a multiset), values compared as above, except
 *     BodyLength(9), which is framing: it need only be right for the message received (it is: the
 *     message was read by it), whatever its padding or the length of our SendingTime;
 *   - fieldsPresent: every expected field is there (as in sameFields), extra fields allowed.
 * QuickFIX's runner waits forever for an expected message and 10 s for a disconnection; ours
 * waits `expectMs` / `disconnectMs`, so a script always ends.
 */
import { connect, type Socket } from 'node:net'
import { readFileSync } from 'node:fs'

const SOH = '\x01'

export type Comparison = 'exact' | 'sameFields' | 'fieldsPresent'
export const COMPARISONS: readonly Comparison[] = ['exact', 'sameFields', 'fieldsPresent']

export interface ScriptResult {
  script: string
  /** Whether the script passed under each comparison (a script passes under a looser one if it does under a stricter one). */
  passed: Record<Comparison, boolean>
  /** Why it failed under the loosest comparison that failed, with the line. */
  reason?: string
}

/** Patterns of test/definitions/fields.fmt: tag → regular expression (unanchored, as Ruby's ===). */
export function readPatterns (fieldsFmt: string): Map<number, RegExp> {
  const patterns = new Map<number, RegExp>()
  for (const line of readFileSync(fieldsFmt, 'latin1').split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) patterns.set(Number(line.slice(0, eq)), new RegExp(line.slice(eq + 1).trim()))
  }
  return patterns
}

interface Line { number: number, kind: 'I' | 'E' | 'i' | 'e', cid: number, body: string }

export function parseScript (text: string): Line[] {
  const lines: Line[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '')
    if (line === '' || line.startsWith('#')) return
    const kind = line[0]
    if (kind !== 'I' && kind !== 'E' && kind !== 'i' && kind !== 'e') throw new Error(`line ${i + 1}: syntax error: ${line}`)
    const withCid = /^[IEie]\d,/.test(line)
    lines.push({ number: i + 1, kind, cid: withCid ? Number(line[1]) : 1, body: line.slice(withCid ? 3 : 1) })
  })
  return lines
}

function utc (date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())}`
}

/** Reflector.rb's timeify!: <TIME>, <TIME+n>, <TIME-n> (seconds). */
export function timeify (message: string, now: Date = new Date()): string {
  return message.replace(/<TIME([+-]\d+)?>/g, (_, offset: string | undefined) => utc(new Date(now.getTime() + Number(offset ?? 0) * 1000)))
}

/** Reflector.rb's fixify!: BodyLength and CheckSum added when the line has none. */
export function fixify (message: string): string {
  const head = /^8=.*?\x01/.exec(message)
  if (head === null) return message
  const hasLength = /\x019=.*?\x01/.test(message)
  let rest = message.slice(head[0].length)
  const checksum = /\x0110=.*\x01$/.exec(rest)
  if (checksum !== null) rest = rest.slice(0, checksum.index + 1)
  const length = hasLength ? '' : `9=${Buffer.byteLength(rest, 'latin1')}${SOH}`
  let trailer = checksum === null ? '' : checksum[0].slice(1)
  if (checksum === null) {
    let sum = 0
    for (const b of Buffer.from(head[0] + length + rest, 'latin1')) sum += b
    trailer = `10=${String(sum % 256).padStart(3, '0')}${SOH}`
  }
  return head[0] + length + rest + trailer
}

type FieldPair = [string, string | undefined]

/** Ruby's split("\001") then split("="): trailing empty fields dropped, the value is what lies between the first and second '='. */
function rubyFields (message: string): FieldPair[] {
  const parts = message.split(SOH)
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop()
  return parts.map((part) => {
    const pieces = part.split('=')
    while (pieces.length > 1 && pieces[pieces.length - 1] === '') pieces.pop()
    return [pieces[0] ?? '', pieces[1]]
  })
}

function valueMatches (patterns: Map<number, RegExp>, tag: string, expected: string | undefined, received: string | undefined): boolean {
  const pattern = patterns.get(Number(tag))
  if (pattern === undefined) return expected === received
  return received !== undefined && pattern.test(received)
}

/** Why `received` does not match `expected` under `comparison`, or null when it does. */
export function compare (comparison: Comparison, expected: string, received: string, patterns: Map<number, RegExp>): string | null {
  const e = rubyFields(expected)
  const r = rubyFields(received)
  if (comparison === 'exact') {
    if (e.length !== r.length) return 'Number of fields do not match'
    for (let i = 0; i < e.length; i++) {
      const [et, ev] = e[i] as FieldPair
      const [rt, rv] = r[i] as FieldPair
      if (et !== rt) return `Expected field (${et}) but found field (${rt})`
      if (!valueMatches(patterns, et, ev, rv)) return `Value in field (${et}) should be (${ev ?? ''}) but was (${rv ?? ''})`
    }
    return null
  }
  const unmatched = [...r]
  for (const [tag, value] of e) {
    const at = unmatched.findIndex(([rt, rv]) => rt === tag && (tag === '9' || valueMatches(patterns, tag, value, rv)))
    if (at < 0) {
      const seen = r.filter(([rt]) => rt === tag).map(([, rv]) => rv ?? '')
      return seen.length === 0 ? `field (${tag}) missing` : `Value in field (${tag}) should be (${value ?? ''}) but was (${seen.join(', ')})`
    }
    unmatched.splice(at, 1)
  }
  if (comparison === 'sameFields' && unmatched.length > 0) return `unexpected field(s) ${unmatched.map(([t, v]) => `${t}=${v ?? ''}`).join(', ')}`
  return null
}

/** One connection to the acceptor, read as FixParser.rb reads. */
class Connection {
  private pending = Buffer.alloc(0)
  private closed = false
  private readonly waiters: Array<() => void> = []

  constructor (readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => { this.pending = Buffer.concat([this.pending, chunk]); this.wake() })
    socket.on('close', () => { this.closed = true; this.wake() })
    socket.on('error', () => {})
  }

  static open (port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => { socket.removeListener('error', reject); resolve(new Connection(socket)) })
      socket.once('error', reject)
    })
  }

  /** The next message, or why there is none. */
  async next (ms: number): Promise<string> {
    const deadline = Date.now() + ms
    for (;;) {
      const frame = this.frame()
      if (typeof frame === 'string') return frame
      if (frame !== null) throw new Error(frame.error)
      if (this.closed) throw new Error('Was disconnected, expected data')
      if (!await this.wait(deadline - Date.now())) throw new Error(`no message within ${ms} ms`)
    }
  }

  /** Resolves once the acceptor has closed the connection; data first is a failure. */
  async disconnected (ms: number): Promise<void> {
    const deadline = Date.now() + ms
    for (;;) {
      if (this.pending.length > 0) throw new Error(`Expected disconnection, got data: ${this.pending.toString('latin1').replace(/\x01/g, '|')}`)
      if (this.closed) return
      if (!await this.wait(deadline - Date.now())) throw new Error(`Connection hangs after ${ms / 1000} seconds.`)
    }
  }

  close (): void { this.socket.destroy() }

  private frame (): string | { error: string } | null {
    const text = this.pending.toString('latin1')
    const lengthAt = text.indexOf(`${SOH}9=`)
    if (lengthAt < 0) return null
    const lengthEnd = text.indexOf(SOH, lengthAt + 3)
    if (lengthEnd < 0) return null
    const length = text.slice(lengthAt + 3, lengthEnd)
    if (!/^\d*$/.test(length)) return { error: `BodyLength not a number: ${length}` }
    const bodyEnd = lengthEnd + 1 + Number(length)
    const checksumEnd = text.indexOf(SOH, bodyEnd)
    if (checksumEnd < 0) return null
    this.pending = this.pending.subarray(checksumEnd + 1)
    return text.slice(0, checksumEnd + 1)
  }

  private wait (ms: number): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(false)
    return new Promise((resolve) => {
      const timer = setTimeout(() => { const i = this.waiters.indexOf(wake); if (i >= 0) this.waiters.splice(i, 1); resolve(false) }, ms)
      const wake = (): void => { clearTimeout(timer); resolve(true) }
      this.waiters.push(wake)
    })
  }

  private wake (): void {
    for (const w of this.waiters.splice(0)) w()
  }
}

export interface RunOptions {
  port: number
  patterns: Map<number, RegExp>
  expectMs?: number
  disconnectMs?: number
}

/** Plays one script against an acceptor listening on `port`. */
export async function runScript (name: string, text: string, options: RunOptions): Promise<ScriptResult> {
  const still: Record<Comparison, boolean> = { exact: true, sameFields: true, fieldsPresent: true }
  const reasons: Partial<Record<Comparison, string>> = {}
  const connections = new Map<number, Connection>()
  try {
    for (const line of parseScript(text)) {
      const body = line.kind === 'I' || line.kind === 'E' ? fixify(timeify(line.body)) : line.body
      const connection = connections.get(line.cid)
      if (line.kind === 'i' && body === 'CONNECT') {
        connections.set(line.cid, await Connection.open(options.port))
      } else if (line.kind === 'i' && body === 'DISCONNECT') {
        connection?.close()
        connections.delete(line.cid)
      } else if (line.kind === 'e' && body === 'CONNECT') {
        // Only for scripts where the runner is the acceptor (client scripts): none of the server scripts.
        throw new Error(`line ${line.number}: eCONNECT is for client scripts`)
      } else if (line.kind === 'e' && body === 'DISCONNECT') {
        if (connection === undefined) throw new Error(`line ${line.number}: no connection ${line.cid}`)
        await connection.disconnected(options.disconnectMs ?? 10_000)
      } else if (line.kind === 'I') {
        if (connection === undefined || connection.socket.destroyed) throw new Error(`line ${line.number}: Unable to send message because connection was dropped`)
        connection.socket.write(Buffer.from(body, 'latin1'))
      } else if (line.kind === 'E') {
        if (connection === undefined) throw new Error(`line ${line.number}: no connection ${line.cid}`)
        const received = await connection.next(options.expectMs ?? 8000)
        for (const comparison of COMPARISONS) {
          if (!still[comparison]) continue
          const why = compare(comparison, body, received, options.patterns)
          if (why === null) continue
          still[comparison] = false
          reasons[comparison] = `line ${line.number}: ${why}\n    expected ${body.replace(/\x01/g, '|')}\n    received ${received.replace(/\x01/g, '|')}`
        }
        if (!still.fieldsPresent) break
      } else {
        throw new Error(`line ${line.number}: syntax error: ${line.body}`)
      }
    }
  } catch (e) {
    for (const c of COMPARISONS) {
      if (still[c]) reasons[c] = (e as Error).message
      still[c] = false
    }
  } finally {
    for (const c of connections.values()) c.close()
  }
  // A looser comparison passes whenever a stricter one does.
  if (still.exact) still.sameFields = true
  if (still.sameFields) still.fieldsPresent = true
  return { script: name, passed: still, reason: still.sameFields ? undefined : reasons.sameFields }
}
