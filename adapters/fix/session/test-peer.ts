/**
 * A raw-socket FIX 4.4 peer for tests: it writes hand-built frames (BodyLength and CheckSum
 * computed here, independently of the session layer under test) and reads whole frames back,
 * so a test can drive our session exactly as a counterparty's engine would, including the
 * malformed and out-of-order messages a real engine would never send.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'

const SOH = '\x01'

/** One field: [tag, value]. Order matters on the wire, so a frame is a list, not a map. */
export type Field = readonly [number, string | number]

/** A received frame: its fields in order, and `get` for the first value of a tag. */
export interface Frame {
  raw: string
  fields: Field[]
  get (tag: number): string | undefined
  msgType: string
  seqNum: number
}

/** FIX UTCTimestamp with milliseconds. */
export function fixTime (date: Date = new Date()): string {
  return date.toISOString().replace(/-/g, '').replace('T', '-').replace('Z', '')
}

/** Builds a complete frame around `body`: BeginString, BodyLength, CheckSum computed here. */
export function buildFrame (body: readonly Field[], beginString = 'FIX.4.4'): string {
  const bodyText = body.map(([tag, value]) => `${tag}=${value}${SOH}`).join('')
  const head = `8=${beginString}${SOH}9=${Buffer.byteLength(bodyText, 'latin1')}${SOH}`
  const sum = [...Buffer.from(head + bodyText, 'latin1')].reduce((a, b) => a + b, 0) % 256
  return `${head}${bodyText}10=${String(sum).padStart(3, '0')}${SOH}`
}

export function parseFrame (raw: string): Frame {
  const fields: Field[] = raw.split(SOH).filter(Boolean).map((pair) => {
    const eq = pair.indexOf('=')
    return [Number(pair.slice(0, eq)), pair.slice(eq + 1)] as const
  })
  const get = (tag: number): string | undefined => {
    const found = fields.find(([t]) => t === tag)
    return found === undefined ? undefined : String(found[1])
  }
  return { raw, fields, get, msgType: get(35) ?? '', seqNum: Number(get(34)) }
}

export interface PeerIds { sender: string, target: string, beginString?: string }

/**
 * A connected raw peer. `send` numbers messages itself (34, 49, 56, 52 filled in unless the
 * caller gives them); `next` waits for the next frame, `expectNone` proves nothing came.
 */
export class RawPeer {
  private readonly frames: Frame[] = []
  private readonly waiters: Array<(f: Frame) => void> = []
  private pending = ''
  private closedFlag = false
  private readonly closeWaiters: Array<() => void> = []
  nextSeqNum = 1

  private constructor (readonly socket: Socket, readonly ids: PeerIds) {
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => this.onData(chunk))
    socket.on('error', () => { /* the session under test may drop us; `closed` reports it */ })
    socket.on('close', () => {
      this.closedFlag = true
      for (const w of this.closeWaiters.splice(0)) w()
    })
  }

  static connect (port: number, ids: PeerIds): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new RawPeer(socket, ids)))
      socket.once('error', reject)
    })
  }

  /** A peer on a socket accepted elsewhere (a raw acceptor serving many connections). */
  static wrap (socket: Socket, ids: PeerIds): RawPeer {
    return new RawPeer(socket, ids)
  }

  /** Listens on 127.0.0.1 (any free port) for one connection, as a raw acceptor. */
  static async listen (ids: PeerIds): Promise<{ port: number, accepted: Promise<RawPeer>, close: () => void }> {
    const server = createServer()
    const accepted = new Promise<RawPeer>((resolve) => server.once('connection', (socket) => resolve(new RawPeer(socket, ids))))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return { port: (server.address() as AddressInfo).port, accepted, close: () => { server.close() } }
  }

  /** Sends a message of `msgType` with `body`; header fields given in `header` replace the defaults. */
  send (msgType: string, body: readonly Field[] = [], header: readonly Field[] = []): number {
    const { raw, seqNum } = this.frame(msgType, body, header)
    this.write(raw)
    return seqNum
  }

  /** The frame `send` would write (taking a MsgSeqNum unless the header gives one), not written. */
  frame (msgType: string, body: readonly Field[] = [], header: readonly Field[] = []): { raw: string, seqNum: number } {
    const given = new Map(header.map(([t, v]) => [t, v]))
    const seqNum = given.has(34) ? Number(given.get(34)) : this.nextSeqNum++
    const standard: Field[] = [[35, msgType], [49, this.ids.sender], [56, this.ids.target], [34, seqNum], [52, fixTime()]]
    const head: Field[] = standard.map(([t, v]) => [t, given.get(t) ?? v] as const)
    const extra = header.filter(([t]) => ![35, 49, 56, 34, 52].includes(t))
    return { raw: buildFrame([...head, ...extra, ...body], this.ids.beginString), seqNum }
  }

  write (raw: string): void {
    this.socket.write(Buffer.from(raw, 'latin1'))
  }

  logon (heartBtInt = 1, extra: readonly Field[] = [], header: readonly Field[] = []): number {
    return this.send('A', [[98, 0], [108, heartBtInt], ...extra], header)
  }

  /** The next frame, or an error after `ms`. */
  next (ms = 3000): Promise<Frame> {
    const ready = this.frames.shift()
    if (ready) return Promise.resolve(ready)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter)
        if (i >= 0) this.waiters.splice(i, 1)
        reject(new Error(`no FIX message within ${ms} ms`))
      }, ms)
      const waiter = (f: Frame): void => { clearTimeout(timer); resolve(f) }
      this.waiters.push(waiter)
    })
  }

  /** The next frame that is not a Heartbeat (35=0). */
  async nextNonHeartbeat (ms = 3000): Promise<Frame> {
    for (;;) {
      const f = await this.next(ms)
      if (f.msgType !== '0') return f
    }
  }

  /** The next frame that is not an unsolicited Heartbeat: a Heartbeat answering `testReqId` counts. */
  async nextAnswerOr (testReqId: string, ms = 3000): Promise<Frame> {
    for (;;) {
      const f = await this.next(ms)
      if (f.msgType !== '0' || f.get(112) === testReqId) return f
    }
  }

  /** Resolves once the session under test has closed the connection. */
  closed (ms = 5000): Promise<void> {
    if (this.closedFlag) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connection still open after ${ms} ms`)), ms)
      this.closeWaiters.push(() => { clearTimeout(timer); resolve() })
    })
  }

  get isClosed (): boolean { return this.closedFlag }

  /** Frames received so far and not yet taken. */
  drain (): Frame[] { return this.frames.splice(0) }

  close (): void { this.socket.destroy() }

  private onData (chunk: string): void {
    this.pending += chunk
    for (;;) {
      const m = /\x0110=\d{3}\x01/.exec(this.pending)
      if (!m) return
      const end = m.index + m[0].length
      const frame = parseFrame(this.pending.slice(0, end))
      this.pending = this.pending.slice(end)
      const waiter = this.waiters.shift()
      if (waiter) waiter(frame)
      else this.frames.push(frame)
    }
  }
}
