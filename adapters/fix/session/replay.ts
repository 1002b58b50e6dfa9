/**
 * The answer to a ResendRequest, as messages for jspurefix's encoder: each stored application
 * message again, with PossDupFlag=Y and its original SendingTime (the encoder writes a header's
 * SendingTime as OrigSendingTime and stamps a new one), and SequenceReset-GapFill over everything
 * else: admin messages (never resent, per FIX) and numbers with nothing stored.
 */
import 'reflect-metadata'
import { AsciiParser, DITokens } from 'jspurefix'
import type { ElasticBuffer, IJsFixConfig, ILooseObject, MsgView } from 'jspurefix'
import { makeSessionScope } from 'jspurefix/dist/runtime/session-scope.js'
import { AdminMsgType, isAdmin } from './fix-constants.js'
import type { SentMessage } from './store.js'

export interface Outgoing {
  msgType: string
  body: ILooseObject
}

export class ReplayPlanner {
  private parser: AsciiParser | null = null

  constructor (private readonly config: IJsFixConfig, private readonly onUnreadable: (seqNum: number, e: Error) => void) {}

  /** What to send for MsgSeqNum begin..end, given what was stored in that range. */
  plan (begin: number, end: number, sent: readonly SentMessage[]): Outgoing[] {
    const bySeqNum = new Map(sent.map(m => [m.seqNum, m]))
    const out: Outgoing[] = []
    let gapFrom: number | null = null
    const closeGap = (next: number): void => {
      if (gapFrom === null) return
      out.push({
        msgType: AdminMsgType.SequenceReset,
        body: { StandardHeader: { MsgSeqNum: gapFrom, PossDupFlag: true, SendingTime: new Date() }, GapFillFlag: true, NewSeqNo: next }
      })
      gapFrom = null
    }
    for (let seqNum = begin; seqNum <= end; seqNum++) {
      const stored = bySeqNum.get(seqNum)
      const replay = stored !== undefined && !isAdmin(stored.msgType) ? this.asReplay(stored) : null
      if (replay === null) {
        gapFrom ??= seqNum
        continue
      }
      closeGap(seqNum)
      out.push(replay)
    }
    closeGap(end + 1)
    return out
  }

  private asReplay (stored: SentMessage): Outgoing | null {
    const body = this.read(stored)
    if (body === null) return null
    const { StandardTrailer: _trailer, StandardHeader: header, ...rest } = body
    return {
      msgType: stored.msgType,
      body: { ...rest, StandardHeader: { ...(header as ILooseObject), MsgSeqNum: stored.seqNum, PossDupFlag: true, OrigSendingTime: undefined } }
    }
  }

  /** The stored frame as the dictionary's object, or null if it cannot be read (it is gap-filled). */
  private read (stored: SentMessage): ILooseObject | null {
    const parser = this.parserOf()
    let body: ILooseObject | null = null
    const onMsg = (_: string, view: MsgView): void => { body = view.toObject() as ILooseObject | null }
    parser.on('msg', onMsg)
    try {
      parser.parseText(stored.raw)
    } catch (e) {
      this.onUnreadable(stored.seqNum, e instanceof Error ? e : new Error(String(e)))
      parser.reset()
      body = null
    } finally {
      parser.removeListener('msg', onMsg)
    }
    return body
  }

  private parserOf (): AsciiParser {
    if (this.parser === null) {
      // A scope of its own: the parser's state works on the scope's ParseBuffer, which must also
      // be the buffer it reads into (jspurefix's FixMsgAsciiStoreResend passes a fresh one and so
      // cannot parse what it stored).
      const scope = makeSessionScope(this.config)
      this.parser = new AsciiParser(scope, null, scope.sessionContainer.resolve<ElasticBuffer>(DITokens.ParseBuffer))
    }
    return this.parser
  }
}
