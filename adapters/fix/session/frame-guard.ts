/**
 * FIX tag=value framing in front of jspurefix's parser. jspurefix's AsciiParser finds the end of
 * a message by looking for tag 10, never checks BodyLength or CheckSum before handing the message
 * on, and throws on a malformed header, which reaches the session as a stream error and kills it.
 * FIX says a garbled message (bad BodyLength, bad CheckSum, not a FIX frame) is to be ignored:
 * no Reject, no sequence number consumed, the session goes on. The parser's framing is one
 * monolithic `parse` loop, so rather than re-implement it in a subclass this Transform sits between
 * the socket and the parser and passes on only frames whose BodyLength and CheckSum are right.
 */
import { Transform, type TransformCallback } from 'node:stream'

const SOH = 0x01
/** "10=nnn<SOH>" */
const TRAILER_BYTES = 7
/** A message whose BodyLength claims more than this is treated as garbled, not waited for. */
export const MAX_BODY_LENGTH = 1024 * 1024
const MAX_NOISE_BYTES = 4096
/** BeginString(8): FIX.4.x, FIXT.1.1 and the like. */
const BEGIN_STRING = /^8=FIXT?\.\d\.\d$/

export type GarbledReason = 'not a FIX frame' | 'bad BodyLength' | 'bad CheckSum'

export function checksumOf (bytes: Buffer): number {
  let sum = 0
  for (let i = 0; i < bytes.length; i++) sum += bytes[i]!
  return sum % 256
}

export class FrameGuard extends Transform {
  private pending: Buffer = Buffer.alloc(0)

  constructor (private readonly onGarbled: (reason: GarbledReason, bytes: string) => void) {
    super()
  }

  override _transform (chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes])
    this.frameAll()
    done()
  }

  private frameAll (): void {
    for (;;) {
      // Noise may run straight into a frame, so here "8=FIX" counts anywhere; BodyLength and
      // CheckSum then tell a real frame from text that happens to look like one.
      const start = this.pending.indexOf('8=FIX', 0, 'latin1')
      if (start < 0) {
        // Noise so far; it is reported once a frame begins, or here once it grows large
        // (keeping what could be the start of a "8=FIX").
        if (this.pending.length > MAX_NOISE_BYTES) this.dropGarbage(this.pending.length - 4)
        return
      }
      this.dropGarbage(start)
      const outcome = this.frameOne()
      if (outcome === 'need more') return
    }
  }

  /** Looks at the frame at the start of `pending`: passes it on, drops it, or waits for more bytes. */
  private frameOne (): 'framed' | 'dropped' | 'need more' {
    const p = this.pending
    const endOfBegin = p.indexOf(SOH)
    if (endOfBegin < 0) return p.length > 32 ? this.skip('not a FIX frame') : 'need more'
    // "8=FIX" left over from a truncated frame, running into the next one: not this frame's start.
    if (!BEGIN_STRING.test(p.toString('latin1', 0, endOfBegin))) return this.skip('not a FIX frame')
    if (p.length < endOfBegin + 3) return 'need more'
    if (p[endOfBegin + 1] !== 0x39 || p[endOfBegin + 2] !== 0x3d) return this.skip('not a FIX frame') // "9="
    const endOfLength = p.indexOf(SOH, endOfBegin + 3)
    if (endOfLength < 0) return p.length - endOfBegin > 12 ? this.skip('bad BodyLength') : 'need more'
    const bodyLength = digitsAt(p, endOfBegin + 3, endOfLength)
    if (bodyLength < 0 || endOfLength - endOfBegin - 3 > 7 || bodyLength > MAX_BODY_LENGTH) return this.skip('bad BodyLength')
    const trailerAt = endOfLength + 1 + bodyLength
    if (p.length < trailerAt + TRAILER_BYTES) {
      // A BodyLength that is too long would have us wait forever; if another frame has begun
      // in the meantime, this one is garbled.
      return this.nextBeginString(endOfLength) >= 0 ? this.skip('bad BodyLength') : 'need more'
    }
    // "10=nnn<SOH>"
    const checksum = digitsAt(p, trailerAt + 3, trailerAt + 6)
    if (p[trailerAt - 1] !== SOH || p[trailerAt] !== 0x31 || p[trailerAt + 1] !== 0x30 || p[trailerAt + 2] !== 0x3d || checksum < 0 || p[trailerAt + 6] !== SOH) return this.skip('bad BodyLength')
    const frame = p.subarray(0, trailerAt + TRAILER_BYTES)
    this.pending = p.subarray(frame.length)
    // MsgType must be the third field: a frame whose first three fields are out of order is garbled.
    if (p[endOfLength + 1] !== 0x33 || p[endOfLength + 2] !== 0x35 || p[endOfLength + 3] !== 0x3d) {
      this.onGarbled('not a FIX frame', frame.toString('latin1'))
      return 'dropped'
    }
    if (checksumOf(p.subarray(0, trailerAt)) !== checksum) {
      this.onGarbled('bad CheckSum', frame.toString('latin1'))
      return 'dropped'
    }
    // A view, not a copy: socket chunks are never reused, and the parser copies what it reads.
    this.push(frame)
    return 'framed'
  }

  /**
   * Drops the frame at the start of `pending` up to the next "8=FIX". A garbled frame can end
   * anywhere, even without its SOH (a truncated "9=12" running into the next frame's "8=FIX"), so
   * here any "8=FIX" counts, not only one at the start of a field.
   */
  private skip (reason: GarbledReason): 'dropped' {
    const next = this.pending.indexOf('8=FIX', 1, 'latin1')
    const end = next < 0 ? this.pending.length : next
    this.onGarbled(reason, this.pending.toString('latin1', 0, end))
    this.pending = this.pending.subarray(end)
    return 'dropped'
  }

  private dropGarbage (end: number): void {
    if (end <= 0) return
    const garbage = this.pending.toString('latin1', 0, end)
    if (garbage.trim() !== '') this.onGarbled('not a FIX frame', garbage)
    this.pending = this.pending.subarray(end)
  }

  /** Index of "8=FIX" at the start of a field (position 0 or after SOH), from `from` on. */
  private nextBeginString (from: number): number {
    let i = this.pending.indexOf('8=FIX', from, 'latin1')
    while (i > 0 && this.pending[i - 1] !== SOH) i = this.pending.indexOf('8=FIX', i + 1, 'latin1')
    return i
  }
}

/** The decimal number written in bytes[from, to), or -1 if that is not one or more digits. */
function digitsAt (bytes: Buffer, from: number, to: number): number {
  if (to <= from) return -1
  let n = 0
  for (let i = from; i < to; i++) {
    const d = bytes[i]! - 0x30
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}
