/**
 * A message the dictionary cannot encode must be refused to its sender, not end the session.
 * jspurefix's transmitter encodes inside its encoder stream's transform, and an exception there
 * fails the stream and with it the session. Trying each body on a second encoder first (as we
 * did) costs a whole encode per message; instead the transmitter's own `encodeMessage` is wrapped:
 * when it throws, the sequence number it may have taken is given back, the half-written buffer is
 * emptied (the transform then pushes nothing to the socket) and it returns null, which the
 * transform reports to the send's callback as "could not encode". The reason is kept for that
 * callback (`takeRefusal`), which runs synchronously right after.
 *
 * Relies on jspurefix 5.11.4's AsciiMsgTransmitter: `encodeMessage(msgType, obj)` returning the
 * header or null, `msgSeqNum`, `encoder.reset()`; checked by jspurefix-overrides.test.ts.
 */
import type { ILooseObject, MsgTransmitter } from 'jspurefix'

/** The parts of jspurefix's AsciiMsgTransmitter the guard relies on. */
export interface GuardableTransmitter {
  msgSeqNum: number
  encoder: { reset (): void }
  encodeMessage (msgType: string, obj: ILooseObject): ILooseObject | null
}

const guards = new WeakMap<object, EncodeGuard>()

export class EncodeGuard {
  private refusal: Error | null = null

  private constructor (transmitter: GuardableTransmitter) {
    const encodeMessage = transmitter.encodeMessage
    transmitter.encodeMessage = (msgType: string, obj: ILooseObject): ILooseObject | null => {
      const seqNum = transmitter.msgSeqNum
      try {
        return encodeMessage.call(transmitter, msgType, obj)
      } catch (e) {
        transmitter.msgSeqNum = seqNum
        transmitter.encoder.reset()
        this.refusal = e instanceof Error ? e : new Error(String(e))
        return null
      }
    }
  }

  /** Guards this transmitter (once; a second call returns the same guard). */
  static on (transmitter: MsgTransmitter | GuardableTransmitter): EncodeGuard {
    let guard = guards.get(transmitter)
    if (guard === undefined) {
      guard = new EncodeGuard(asGuardable(transmitter))
      guards.set(transmitter, guard)
    }
    return guard
  }

  /** Why the last refused message could not be encoded; cleared by reading it. */
  takeRefusal (): Error | null {
    const refusal = this.refusal
    this.refusal = null
    return refusal
  }
}

function asGuardable (transmitter: object): GuardableTransmitter {
  const t = transmitter as Partial<GuardableTransmitter>
  if (typeof t.encodeMessage !== 'function' || typeof t.msgSeqNum !== 'number' || typeof t.encoder?.reset !== 'function') {
    throw new Error('jspurefix transmitter without encodeMessage/msgSeqNum/encoder.reset: the encode guard does not fit this jspurefix version')
  }
  return t as GuardableTransmitter
}
