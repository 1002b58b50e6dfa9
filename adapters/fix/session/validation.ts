/**
 * The checks FIX asks of every incoming message header, as pure functions: CompIDs, SendingTime
 * accuracy, PossDupFlag with OrigSendingTime. Each returns what to tell the counterparty (a
 * Reject's fields, and whether the session must then log out), or null when the header is fine.
 */
import { RejectReason, rejectText, Tag } from './fix-constants.js'

export interface HeaderProblem {
  reason: number
  /** RefTagID(371): the tag at fault; none when the whole message is at fault (QuickFIX gives none for CompIDs and SendingTime). */
  refTagId?: number
  /** Text(58) of the Reject: QuickFIX's text for the reason. */
  text: string
  /** What we log: the values at fault. */
  detail?: string
  /** FIX wants a Logout after this Reject (the session can no longer be trusted). */
  thenLogout: boolean
}

/** Default SendingTime tolerance: QuickFIX's default MaxLatency. */
export const DEFAULT_SENDING_TIME_TOLERANCE_MS = 120_000

/** SenderCompID/TargetCompID as seen from our side: theirs is our target, ours their target. */
export function compIdProblem (senderCompId: string | null, targetCompId: string | null, expected: { ours: string, theirs: string }): HeaderProblem | null {
  if (senderCompId !== expected.theirs) {
    return { reason: RejectReason.CompIdProblem, text: rejectText(RejectReason.CompIdProblem), detail: `CompID problem: SenderCompID ${senderCompId ?? '(none)'}, expecting ${expected.theirs}`, thenLogout: true }
  }
  if (targetCompId !== expected.ours) {
    return { reason: RejectReason.CompIdProblem, text: rejectText(RejectReason.CompIdProblem), detail: `CompID problem: TargetCompID ${targetCompId ?? '(none)'}, expecting ${expected.ours}`, thenLogout: true }
  }
  return null
}

export function sendingTimeProblem (sendingTime: Date | null, now: Date, toleranceMs: number): HeaderProblem | null {
  if (sendingTime === null || Number.isNaN(sendingTime.getTime())) {
    return { reason: RejectReason.RequiredTagMissing, refTagId: Tag.SendingTime, text: rejectText(RejectReason.RequiredTagMissing), detail: 'SendingTime missing or not a UTCTimestamp', thenLogout: false }
  }
  const offMs = Math.abs(now.getTime() - sendingTime.getTime())
  if (offMs > toleranceMs) {
    return { reason: RejectReason.SendingTimeAccuracyProblem, text: rejectText(RejectReason.SendingTimeAccuracyProblem), detail: `SendingTime accuracy problem: ${Math.round(offMs / 1000)} s off, tolerance ${toleranceMs / 1000} s`, thenLogout: true }
  }
  return null
}

/**
 * A possible duplicate must say when it was first sent, and that cannot be after it was sent
 * this time. SequenceReset is exempt from the first rule, as QuickFIX has it: engines gap-fill
 * with PossDupFlag=Y and no OrigSendingTime.
 */
export function possDupProblem (msgType: string, possDup: boolean, origSendingTime: Date | null, sendingTime: Date | null): HeaderProblem | null {
  if (!possDup) return null
  if (origSendingTime === null) {
    if (msgType === '4') return null
    return { reason: RejectReason.RequiredTagMissing, refTagId: Tag.OrigSendingTime, text: rejectText(RejectReason.RequiredTagMissing), detail: 'PossDupFlag=Y without OrigSendingTime', thenLogout: false }
  }
  if (sendingTime !== null && origSendingTime.getTime() > sendingTime.getTime()) {
    return { reason: RejectReason.SendingTimeAccuracyProblem, text: rejectText(RejectReason.SendingTimeAccuracyProblem), detail: 'OrigSendingTime is later than SendingTime', thenLogout: true }
  }
  return null
}
