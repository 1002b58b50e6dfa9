/**
 * One FIX session (FIX 4.4 or FIXT.1.1), as jspurefix's AsciiSession with the session-level
 * defects of its shipped version fixed by overriding its protected hooks:
 *   - `onMsg`, where every received message enters, runs our own checks in the order FIX and
 *     QuickFIX use: BeginString, logon identity/CompIDs, SendingTime, PossDupFlag/OrigSendingTime,
 *     MsgSeqNum (too low: Logout with reason; too high: one ResendRequest), SequenceReset rules,
 *     dictionary validation; every Reject carries RefSeqNum, RefTagID, SessionRejectReason, Text.
 *     AsciiSession's own `checkSeqNo`/`checkIntegrity`/`dispatchMsg` are private, so they cannot be
 *     overridden one by one; this replaces the path through them and still hands Logon,
 *     Logout, Heartbeat and TestRequest to AsciiSession's `onSessionMsg`.
 *   - `onResendRequest` replays stored application messages (PossDupFlag=Y, OrigSendingTime =
 *     the original SendingTime) and gap-fills admin messages; the shipped one reads an in-memory
 *     store nothing writes to, so it only ever gap-fills.
 *   - `validStateApplicationMsg` lets application messages through while a TestRequest or a
 *     ResendRequest is outstanding (the shipped one terminates the session).
 *   - `send` records every message we send, as it went on the wire, in our SessionStore, and
 *     keeps TestReqID out of unsolicited Heartbeats (jspurefix puts a date there).
 *   - Logon: an acceptor answers a reset Logon with ResetSeqNumFlag=Y and MsgSeqNum 1, and
 *     heartbeats at the initiator's HeartBtInt.
 * The sequence numbers live in `SessionStore`, written only here (see ReadOnlyJspurefixStore).
 */
import 'reflect-metadata'
import type { Writable } from 'node:stream'
import { AsciiSession, SessionState } from 'jspurefix'
import type { IJsFixConfig, ILooseObject, MsgTransport, MsgView, SendCallback } from 'jspurefix'
import { AdminMsgType, isAdmin, RejectReason, rejectText, Tag } from './fix-constants.js'
import { EncodeGuard } from './encode-guard.js'
import { fieldPairs, lazyReceivedMessage, type FieldPair } from './received.js'
import { DictionaryCheck } from './dictionary-check.js'
import { allowRawBodies, rawBody } from './raw-body.js'
import { MissingTags } from './missing-tags.js'
import { ReplayPlanner } from './replay.js'
import type { SessionStore } from './store.js'
import { compIdProblem, DEFAULT_SENDING_TIME_TOLERANCE_MS, possDupProblem, sendingTimeProblem, type HeaderProblem } from './validation.js'

/** An incoming application message, handed to the application after the session checks passed. */
export interface ReceivedMessage {
  msgType: string
  seqNum: number
  possDup: boolean
  /** Typed fields by dictionary name (jspurefix's `toObject`), StandardHeader included. */
  fields: ILooseObject
  /** The message as received, '|' for SOH (for logs: a '|' inside a value makes it ambiguous). */
  text: string
  /** Every field in wire order, header and trailer included, values exactly as received. */
  readonly fieldList: readonly FieldPair[]
}

/** What the session tells the code that runs it. */
export interface SessionEvents {
  onLogon (): void
  onMessage (message: ReceivedMessage): void
  /** The session is over: logged out, disconnected or failed (`error`). */
  onStopped (reason: string, error?: Error): void
}

export interface SessionOptions {
  store: SessionStore
  events: SessionEvents
  sendingTimeToleranceMs?: number
  /** A connection that has not logged on within this long is closed (QuickFIX's LogonTimeout). Default 10 s. */
  logonTimeoutMs?: number
  behaviour?: SessionBehaviour
}

/** What counterparties differ on; the defaults say more, QuickFIX's choice is given for each. */
export interface SessionBehaviour {
  /** Our Logon carries ResetSeqNumFlag=N when we do not reset (default true; QuickFIX omits it). */
  sendResetSeqNumFlagN?: boolean
  /** A refused Logon (CompIDs, BeginString, SendingTime) gets a Logout saying why before the disconnect (default true; QuickFIX disconnects only). */
  logoutBeforeRefusingLogon?: boolean
  /** Our Logout confirming the counterparty's carries a Text (default true; QuickFIX sends none). */
  logoutConfirmationText?: boolean
  /** Every Logon starts a new sequence without our saying ResetSeqNumFlag=Y (QuickFIX's ResetOnLogon; default false). */
  quietResetOnLogon?: boolean
  /** TestReqID of the TestRequests we send (default: jspurefix's "ping-<date>"). */
  testRequestId?: () => string
}

/** Messages kept beyond a gap, at most; further ones are left to the resend. */
const MAX_QUEUED = 10_000

/** Header and trailer fields the session writes on every message it sends. */
const SESSION_WRITTEN: ReadonlySet<number> = new Set([8, 9, 35, 34, 49, 52, 56, 43, 122, 93, 89, 10])

const AWAITING_STATES: ReadonlySet<SessionState> = new Set([
  SessionState.AwaitingProcessingResponseToTestRequest,
  SessionState.AwaitingProcessingResponseToResendRequest,
  SessionState.HandleResendRequest
])

export class GatewaySession extends AsciiSession {
  private readonly gatewayStore: SessionStore
  private readonly checks: DictionaryCheck
  private readonly options: SessionOptions
  /** The fields of the message being processed (a Reject of it routes back by them). */
  private receivedFields: readonly FieldPair[] = []
  /** Messages beyond a gap, by MsgSeqNum. */
  private readonly queued = new Map<number, { msgType: string, view: MsgView, text: string }>()
  private readonly events: SessionEvents
  private readonly toleranceMs: number
  private readonly logonTimeoutMs: number
  private readonly behaviour: Required<SessionBehaviour>
  private logonTimer: NodeJS.Timeout | null = null
  /** Store writes (and resend reads) in wire order, whatever the store's own latency. */
  private storeWrites: Promise<void> = Promise.resolve()
  private pendingStoreWrites = 0
  private loggedOn = false
  /** While our ResendRequest is answered: the highest MsgSeqNum seen beyond the gap. */
  private resendUntil: number | null = null
  private readonly replayPlanner: ReplayPlanner
  private stoppedReason: string | null = null
  private ended = false
  /** A Logout for a fault is on its way; the connection closes right after. */
  private closing = false
  /** Set while AsciiSession answers a TestRequest: only that Heartbeat carries a TestReqID. */
  private answeringTestRequest = false
  /** The last message as the parser decoded it ('|' for SOH): jspurefix hands it over just before the message. */
  private lastDecoded = ''

  constructor (config: IJsFixConfig, options: SessionOptions) {
    super(config)
    this.gatewayStore = options.store
    this.checks = DictionaryCheck.for(config.definitions)
    this.options = options
    this.events = options.events
    this.toleranceMs = options.sendingTimeToleranceMs ?? DEFAULT_SENDING_TIME_TOLERANCE_MS
    this.logonTimeoutMs = options.logonTimeoutMs ?? 10_000
    const b = options.behaviour ?? {}
    this.behaviour = {
      sendResetSeqNumFlagN: b.sendResetSeqNumFlagN ?? true,
      logoutBeforeRefusingLogon: b.logoutBeforeRefusingLogon ?? true,
      logoutConfirmationText: b.logoutConfirmationText ?? true,
      quietResetOnLogon: b.quietResetOnLogon ?? false,
      testRequestId: b.testRequestId ?? ((): string => `ping-${new Date().toUTCString()}`)
    }
    this.replayPlanner = new ReplayPlanner(config, (seqNum, e) => this.sessionLogger.warning(`stored message ${seqNum} unreadable, gap-filled: ${e.message}`))
    // Our onMsg validates every message itself; the shipped integrity check would reject twice.
    this.checkMsgIntegrity = false
  }

  get isLoggedOn (): boolean {
    return this.loggedOn && this.getState() !== SessionState.Stopped
  }

  /** Sends an application message; the session numbers and stores it. */
  sendMessage (msgType: string, body: ILooseObject): Promise<number> {
    if (!this.isLoggedOn) return Promise.reject(new Error(`cannot send ${msgType}: session not logged on`))
    // A body the dictionary cannot encode is refused here, without a sequence number (EncodeGuard).
    if (this.config.definitions.message.get(msgType) === undefined) return Promise.reject(new Error(`cannot send ${msgType}: the dictionary has no message type ${msgType}`))
    return new Promise((resolve, reject) => {
      this.send(msgType, body, (error, result) => {
        if (error) reject(new Error(`cannot send ${msgType}: ${(this.encodeGuard?.takeRefusal() ?? error).message}`))
        else resolve(Number(result.header?.['MsgSeqNum']))
      })
    })
  }

  private encodeGuard: EncodeGuard | undefined
  /** view.missing() remembered by the shape of the message (missing-tags.ts). */
  private readonly missingTags = new MissingTags()

  /**
   * Sends an application message whose body is `fields`, written exactly as given and in this
   * order (no dictionary encoding); the session adds header and trailer, numbers and stores it.
   */
  sendFields (msgType: string, fields: readonly FieldPair[]): Promise<number> {
    if (!this.isLoggedOn) return Promise.reject(new Error(`cannot send ${msgType}: session not logged on`))
    if (this.config.definitions.message.get(msgType) === undefined) return Promise.reject(new Error(`cannot send ${msgType}: the dictionary has no message type ${msgType}`))
    return new Promise((resolve, reject) => {
      this.send(msgType, rawBody(fields), (error, result) => {
        if (error) reject(new Error(`cannot send ${msgType}: ${error.message}`))
        else resolve(Number(result.header?.['MsgSeqNum']))
      })
    })
  }

  /** The body of a received message: its fields that are neither header nor trailer, in order. */
  bodyOf (message: ReceivedMessage): FieldPair[] {
    const outside = this.headerAndTrailerTags()
    return message.fieldList.filter(([tag]) => !outside.has(tag))
  }

  /**
   * What an echo of a received message sends: its header fields other than those the session
   * writes itself (identity, numbering, times, PossDupFlag, OrigSendingTime), then its body, as
   * received. QuickFIX's echo of a copied message sends the same.
   */
  echoFieldsOf (message: ReceivedMessage): FieldPair[] {
    const outside = this.headerAndTrailerTags()
    const header = message.fieldList.filter(([tag]) => outside.has(tag) && !SESSION_WRITTEN.has(tag))
    return [...header, ...this.bodyOf(message)]
  }

  private outsideBody: Set<number> | undefined

  private headerAndTrailerTags (): Set<number> {
    if (this.outsideBody === undefined) {
      const tags = new Set<number>()
      for (const name of ['StandardHeader', 'StandardTrailer']) {
        const component = this.config.definitions.component.get(name)
        if (component !== undefined) for (const tag of Object.keys(component.containedTag)) tags.add(Number(tag))
      }
      for (const tag of [8, 9, 10, 93, 89]) tags.add(tag)
      this.outsideBody = tags
    }
    return this.outsideBody
  }

  /** Starts a Logout; the session stops when the counterparty confirms or after a timeout. */
  logout (text = 'logout'): void {
    if (!this.isLoggedOn) {
      this.stop()
      return
    }
    if (this.sessionState.logoutSentAt) return
    this.setState(SessionState.WaitingLogoutConfirm)
    this.sessionState.logoutSentAt = new Date()
    this.sendLogout(text)
  }

  /** Closes the connection now, without a Logout. */
  disconnectNow (reason: string): void {
    if (this.getState() === SessionState.Stopped) return
    this.sessionLogger.info(`disconnect: ${reason}`)
    this.stoppedReason = reason
    this.stop()
  }

  /**
   * A garbled message was dropped before it reached us. Within a session it is ignored (FIX); before
   * the Logon, the connection is not a FIX session we can trust and is closed, as QuickFIX does.
   */
  onGarbled (reason: string): void {
    if (!this.loggedOn && !this.isStopped) this.disconnectNow(`garbled message before Logon (${reason})`)
  }

  get isStopped (): boolean {
    return this.getState() === SessionState.Stopped
  }

  /** Resolves once pending store writes are done (tests, shutdown). */
  flushStore (): Promise<void> {
    return this.storeWrites
  }

  // ---- what every received message goes through ----

  protected override onMsg (msgType: string, view: MsgView): void {
    this.processMsg(msgType, view)
    if (this.queued.size > 0) this.processQueued()
  }

  /** Messages that arrived beyond a gap, processed in order once the gap is filled (QuickFIX's queue). */
  private processQueued (): void {
    for (;;) {
      if (this.getState() === SessionState.Stopped || this.closing) return
      const expected = this.sessionState.lastPeerMsgSeqNum + 1
      for (const seq of this.queued.keys()) if (seq < expected) this.queued.delete(seq)
      const next = this.queued.get(expected)
      if (next === undefined) return
      this.queued.delete(expected)
      this.lastDecoded = next.text
      this.processMsg(next.msgType, next.view)
    }
  }

  private processMsg (msgType: string, view: MsgView): void {
    // Once we have said Logout for a fault, what follows in the same read is not processed.
    if (this.getState() === SessionState.Stopped || this.closing) return
    const seqNum = Number(view.getTyped(Tag.MsgSeqNum))
    const expected = this.sessionState.lastPeerMsgSeqNum + 1
    const description = this.config.description
    // A SequenceReset in Reset mode counts whatever its MsgSeqNum, 34=0 included (QuickFIX).
    const resetMode = msgType === AdminMsgType.SequenceReset && view.getTyped(Tag.GapFillFlag) !== true
    if (!resetMode && (!Number.isInteger(seqNum) || seqNum < 1)) {
      this.logoutAndDisconnect(`MsgSeqNum missing or not a positive integer: ${view.getString(Tag.MsgSeqNum) ?? '(none)'}`)
      return
    }

    const beginString = view.getString(Tag.BeginString)
    if (beginString !== description.BeginString) {
      // QuickFIX's text, without the values: the Logout is the answer whatever the BeginString.
      if (this.loggedOn) this.logoutAndDisconnect('Incorrect BeginString')
      else this.refuseLogon(`Incorrect BeginString ${beginString ?? '(none)'}, expecting ${description.BeginString}`)
      return
    }
    const fields = fieldPairs(view)
    this.receivedFields = fields
    if (this.loggedOn) {
      // What QuickFIX finds while parsing comes first: a missing TargetCompID is a missing tag, not a CompID problem.
      const structure = this.checks.structure(msgType, fields)
      if (structure !== null) {
        this.rejectHeader(msgType, seqNum, expected, { ...structure, thenLogout: false })
        return
      }
    }
    const ids = { ours: description.SenderCompId, theirs: description.TargetCompID }
    const idProblem = compIdProblem(view.getString(Tag.SenderCompID), view.getString(Tag.TargetCompID), ids)
    if (!this.loggedOn) {
      if (msgType === AdminMsgType.Logout && this.initiator) {
        // The acceptor refuses our Logon and says why.
        this.disconnect(`Logon refused by counterparty: ${view.getString(Tag.Text) ?? '(no reason given)'}`)
        return
      }
      if (msgType !== AdminMsgType.Logon) {
        this.disconnect(`first message is ${msgType}, not Logon`)
        return
      }
      if (idProblem) {
        // No session to reject within: the Logon is refused, without a Reject.
        this.refuseLogon(idProblem.detail ?? idProblem.text)
        return
      }
      if (description.BeginString === 'FIXT.1.1' && !view.contains(Tag.DefaultApplVerID)) {
        // FIXT.1.1: the Logon says which application version the session carries.
        this.refuseLogon('Logon without DefaultApplVerID(1137)')
        return
      }
      const logonTimeProblem = sendingTimeProblem(asDate(view.getTyped(Tag.SendingTime)), new Date(), this.toleranceMs)
      if (logonTimeProblem) {
        this.refuseLogon(logonTimeProblem.detail ?? logonTimeProblem.text)
        return
      }
    } else if (idProblem) {
      this.rejectHeader(msgType, seqNum, expected, idProblem)
      return
    }

    const sendingTime = asDate(view.getTyped(Tag.SendingTime))
    const headerProblem = sendingTimeProblem(sendingTime, new Date(), this.toleranceMs) ??
      possDupProblem(msgType, view.getTyped(Tag.PossDupFlag) === true, asDate(view.getTyped(Tag.OrigSendingTime)), sendingTime)
    if (headerProblem) {
      this.rejectHeader(msgType, seqNum, expected, headerProblem)
      return
    }

    if (msgType === AdminMsgType.Logon) {
      const logonProblem = this.dictionaryProblem(msgType, view, fields)
      if (logonProblem) this.logoutAndDisconnect(`Logon refused: ${logonProblem.detail ?? logonProblem.text}`)
      else this.onLogonMsg(view, seqNum, expected)
      return
    }
    if (resetMode) {
      this.onSequenceResetMode(view, seqNum, expected)
      return
    }
    if (seqNum < expected) {
      // QuickFIX takes a Logout or a ResendRequest whatever its MsgSeqNum (verify without the
      // too-low check): a counterparty that lost count can still log out or ask for messages.
      if (msgType === AdminMsgType.Logout || msgType === AdminMsgType.ResendRequest) {
        this.noteLiveness()
        this.onAdminMsg(msgType, view)
        return
      }
      if (view.getTyped(Tag.PossDupFlag) === true) {
        this.sessionLogger.info(`ignoring duplicate ${msgType} MsgSeqNum ${seqNum}, expecting ${expected}`)
        return
      }
      this.logoutAndDisconnect(`MsgSeqNum too low, expecting ${expected} but received ${seqNum}`)
      return
    }
    if (seqNum > expected) {
      this.onSeqNumTooHigh(msgType, view, seqNum, expected)
      return
    }

    // MsgSeqNum is the one expected: the message counts as received even if rejected below.
    const dictionaryProblem = this.dictionaryProblem(msgType, view, fields)
    if (dictionaryProblem) {
      this.acceptSeqNum(seqNum)
      this.rejectWith(seqNum, msgType, dictionaryProblem)
      return
    }
    this.noteLiveness()
    if (msgType === AdminMsgType.SequenceReset) {
      this.onGapFill(view, seqNum)
      return
    }
    this.acceptSeqNum(seqNum)
    if (isAdmin(msgType)) this.onAdminMsg(msgType, view)
    else this.checkForwardMsg(msgType, view)
  }

  private onAdminMsg (msgType: string, view: MsgView): void {
    switch (msgType) {
      case AdminMsgType.Reject:
        this.sessionLogger.warning(`counterparty rejects our ${view.getString(Tag.RefMsgType) ?? '?'} ${view.getString(Tag.RefSeqNum) ?? '?'}: ${view.getString(Tag.Text) ?? ''}`)
        return
      case AdminMsgType.ResendRequest:
        this.onResendRequest(view)
        return
      case AdminMsgType.Logout:
        // The shipped peerLogout ignores a Logout in the "awaiting" states.
        if (AWAITING_STATES.has(this.getState())) this.setState(SessionState.ActiveNormalSession)
        this.stoppedReason = this.getState() === SessionState.WaitingLogoutConfirm
          ? `our logout confirmed: ${view.getString(Tag.Text) ?? ''}`
          : `counterparty logged out: ${view.getString(Tag.Text) ?? ''}`
        this.onSessionMsg(msgType, view)
        return
      case AdminMsgType.TestRequest:
        this.answeringTestRequest = true
        try {
          this.onSessionMsg(msgType, view)
        } finally {
          this.answeringTestRequest = false
        }
        return
      default:
        this.onSessionMsg(msgType, view)
    }
  }

  /** Logon: sequence rules of ResetSeqNumFlag, then AsciiSession's own logon handshake. */
  private onLogonMsg (view: MsgView, seqNum: number, expected: number): void {
    if (this.loggedOn && view.getTyped(Tag.ResetSeqNumFlag) === true && seqNum === 1) {
      this.resetWithinSession()
      return
    }
    if (this.loggedOn || !this.okForLogon()) {
      this.logoutAndDisconnect('Logon received on an established session')
      return
    }
    if (this.acceptor && this.behaviour.quietResetOnLogon) {
      // QuickFIX's ResetOnLogon: both numbers start again at 1, and this Logon is checked against
      // that (a higher MsgSeqNum is a gap to ask for), without 141=Y in our answer.
      this.queueStore(s => s.reset())
      const tx = this.transport?.transmitter as { msgSeqNum: number } | undefined
      if (tx) tx.msgSeqNum = 1
      this.sessionState.lastPeerMsgSeqNum = 0
      expected = 1
    }
    const weReset = this.config.description.ResetSeqNumFlag
    const peerReset = view.getTyped(Tag.ResetSeqNumFlag) === true
    // An acceptor that resets on logon starts a new sequence with this Logon, whatever its number:
    // asking for the "missing" ones would be the needless ResendRequest of the shipped session.
    const newSequence = peerReset || (this.acceptor && weReset)
    if (!newSequence && seqNum < expected) {
      this.logoutAndDisconnect(`MsgSeqNum too low, expecting ${expected} but received ${seqNum}`)
      return
    }
    const transmitter = this.transport?.transmitter as { msgSeqNum: number } | undefined
    const ourNext = transmitter?.msgSeqNum ?? 1
    if (this.acceptor && newSequence) {
      // Our Logon answers with ResetSeqNumFlag=Y and MsgSeqNum 1. (jspurefix keeps our old number
      // when both sides ask for the reset; an initiator resets before its Logon, in onPreLogon.)
      this.queueStore(s => s.reset())
      if (transmitter) transmitter.msgSeqNum = 1
    }
    // The acceptor's answer to a reset Logon must say ResetSeqNumFlag=Y too, but jspurefix writes
    // the configured flag: it is raised for this answer (description is this session's own copy).
    const description = this.config.description as { ResetSeqNumFlag: boolean, HeartBtInt: number }
    const peerHeartBtInt = Number(view.getTyped(Tag.HeartBtInt))
    if (this.acceptor && Number.isInteger(peerHeartBtInt) && peerHeartBtInt > 0) {
      // FIX: the acceptor heartbeats at the interval the initiator asked for, and says so in its
      // Logon; jspurefix keeps its own configured interval.
      description.HeartBtInt = peerHeartBtInt;
      (this.sessionState as { heartBeat: number }).heartBeat = peerHeartBtInt
    }
    const configuredReset = description.ResetSeqNumFlag
    const answerWithReset = this.acceptor && peerReset && !configuredReset
    if (answerWithReset) description.ResetSeqNumFlag = true
    try {
      this.onSessionMsg(AdminMsgType.Logon, view) // peerLogon → completePeerLogon → (acceptor) our Logon → onReady
    } finally {
      if (answerWithReset) description.ResetSeqNumFlag = configuredReset
    }
    if (this.getState() === SessionState.Stopped) return
    if (this.initiator && peerReset && !configuredReset && transmitter) {
      // jspurefix restarts our numbering at 1 here; the counterparty already counted our Logon.
      transmitter.msgSeqNum = ourNext
    }
    if (newSequence || seqNum === expected) {
      this.acceptSeqNum(seqNum)
    } else {
      this.sessionState.lastPeerMsgSeqNum = expected - 1
      this.requestResend(expected, seqNum)
    }
  }

  /**
   * A Logon with ResetSeqNumFlag=Y and MsgSeqNum 1 within a session: both sides start again, the
   * counterparty at 2 after this Logon, we with our Logon (141=Y) at 1 (FIX; QuickFIX's SessionReset).
   */
  private resetWithinSession (): void {
    this.sessionLogger.info('Logon with ResetSeqNumFlag=Y within the session: both sequences start again')
    this.queueStore(s => s.reset())
    const transmitter = this.transport?.transmitter as { msgSeqNum: number } | undefined
    if (transmitter) transmitter.msgSeqNum = 1
    this.queued.clear()
    this.resendUntil = null
    this.acceptSeqNum(1)
    const description = this.config.description as { ResetSeqNumFlag: boolean }
    const configured = description.ResetSeqNumFlag
    description.ResetSeqNumFlag = true
    try {
      this.sendLogon()
    } finally {
      description.ResetSeqNumFlag = configured
    }
  }

  /** SequenceReset in Reset mode (123=N or absent): MsgSeqNum does not matter. */
  private onSequenceResetMode (view: MsgView, seqNum: number, expected: number): void {
    const newSeqNo = Number(view.getTyped(Tag.NewSeqNo))
    if (!Number.isInteger(newSeqNo) || newSeqNo < expected) {
      // QuickFIX names no RefTagID here.
      this.rejectWith(Number.isInteger(seqNum) ? seqNum : 0, AdminMsgType.SequenceReset, {
        reason: RejectReason.ValueIsIncorrect, thenLogout: false, text: rejectText(RejectReason.ValueIsIncorrect),
        detail: `NewSeqNo ${view.getString(Tag.NewSeqNo) ?? '(none)'} is lower than expected ${expected}`
      })
      return
    }
    this.noteLiveness()
    this.sessionLogger.info(`SequenceReset (reset): next expected ${expected} → ${newSeqNo}`)
    this.setExpected(newSeqNo)
  }

  /** SequenceReset-GapFill arriving at the expected MsgSeqNum. */
  private onGapFill (view: MsgView, seqNum: number): void {
    const newSeqNo = Number(view.getTyped(Tag.NewSeqNo))
    if (!Number.isInteger(newSeqNo) || newSeqNo <= seqNum) {
      this.acceptSeqNum(seqNum)
      this.rejectWith(seqNum, AdminMsgType.SequenceReset, {
        reason: RejectReason.ValueIsIncorrect, refTagId: Tag.NewSeqNo, thenLogout: false,
        text: `Attempt to lower sequence number, invalid value NewSeqNo=${view.getString(Tag.NewSeqNo) ?? '(none)'}`
      })
      return
    }
    this.setExpected(newSeqNo)
  }

  private onSeqNumTooHigh (msgType: string, view: MsgView, seqNum: number, expected: number): void {
    // FIX: answer the counterparty's ResendRequest first, then ask for our gap.
    if (msgType === AdminMsgType.ResendRequest) this.onResendRequest(view)
    if (msgType === AdminMsgType.Logout) {
      this.onAdminMsg(msgType, view)
      return
    }
    this.noteLiveness()
    // Kept (a copy: the parser reuses its buffer) to be processed once the gap is filled; a
    // ResendRequest was answered above and is not processed twice.
    if (msgType !== AdminMsgType.ResendRequest && this.queued.size < MAX_QUEUED && !this.queued.has(seqNum)) {
      this.queued.set(seqNum, { msgType, view: view.clone(), text: this.lastDecoded })
    }
    this.requestResend(expected, seqNum)
  }

  /** One ResendRequest per gap (to infinity); what arrives beyond it meanwhile is queued. */
  private requestResend (expected: number, seen: number): void {
    if (this.resendUntil !== null && this.resendUntil >= expected) {
      this.resendUntil = Math.max(this.resendUntil, seen)
      return
    }
    this.resendUntil = seen
    this.sessionLogger.info(`MsgSeqNum too high, expecting ${expected} but received ${seen}: ResendRequest ${expected}-0`)
    this.send(AdminMsgType.ResendRequest, { BeginSeqNo: expected, EndSeqNo: 0 })
  }

  private acceptSeqNum (seqNum: number): void {
    this.setExpected(seqNum + 1)
  }

  private setExpected (next: number): void {
    this.sessionState.lastPeerMsgSeqNum = next - 1
    if (this.resendUntil !== null && next > this.resendUntil) this.resendUntil = null
    this.queueStore(s => s.setNextTargetSeqNum(next))
  }

  /** Any message in sequence shows the counterparty is alive, as a Heartbeat would. */
  private noteLiveness (): void {
    this.sessionState.lastTestRequestAt = null
  }

  private dictionaryProblem (msgType: string, view: MsgView, fields: readonly FieldPair[]): HeaderProblem | null {
    if (view.segment.set === null || view.segment.set === undefined || this.config.definitions.message.get(msgType) === undefined) {
      return { reason: RejectReason.InvalidMsgType, text: rejectText(RejectReason.InvalidMsgType), detail: `Invalid MsgType ${msgType}`, thenLogout: false }
    }
    const found = this.checks.content(msgType, fields, this.config.description.BeginString === 'FIXT.1.1' && isAdmin(msgType))
    if (found !== null) return this.nonNumericTag() ?? { ...found, thenLogout: false }
    // Required fields inside required components: jspurefix's view knows the nesting.
    const missing = this.missingTags.of(msgType, view)
    if (missing.length > 0) {
      return { reason: RejectReason.RequiredTagMissing, refTagId: missing[0] ?? 0, text: rejectText(RejectReason.RequiredTagMissing), detail: `Required tag missing: ${missing.join(', ')}`, thenLogout: false }
    }
    return null
  }

  /**
   * A field whose tag is not a number ("-1=HI"): jspurefix's parser skips to the first digit and
   * reads another tag, so it is looked for in the text as received, only once a check has failed.
   */
  private nonNumericTag (): HeaderProblem | null {
    // Field by field, not one regular expression over the text: that one backtracked quadratically
    // on a long field without "=" (a peer's 1 MB frame would have held the process for minutes).
    const bad = nonNumericTagIn(this.lastDecoded)
    if (bad === null) return null
    const tag = Number(bad)
    return { reason: RejectReason.InvalidTagNumber, refTagId: Number.isFinite(tag) ? tag : 0, text: rejectText(RejectReason.InvalidTagNumber), detail: `Invalid tag ${bad}`, thenLogout: false }
  }

  /** A bad header: Reject (the MsgSeqNum counts if it was the expected one), Logout if FIX says so. */
  private rejectHeader (msgType: string, seqNum: number, expected: number, problem: HeaderProblem): void {
    if (seqNum === expected) this.acceptSeqNum(seqNum)
    this.rejectWith(seqNum, msgType, problem)
    // QuickFIX's Logout after such a Reject says nothing more: the Reject has said it.
    if (problem.thenLogout) this.logoutAndDisconnect(problem.detail ?? problem.text, null)
  }

  private rejectWith (refSeqNum: number, refMsgType: string, problem: HeaderProblem): void {
    this.sessionLogger.warning(`Reject ${refMsgType} ${refSeqNum}: ${problem.detail ?? problem.text}${problem.refTagId === undefined ? '' : ` (tag ${problem.refTagId})`}`)
    const reject: ILooseObject = { RefSeqNum: refSeqNum, RefMsgType: refMsgType, Text: problem.text }
    // FIX 4.2 knows SessionRejectReason 0-11 only: a later reason is said in Text alone (QuickFIX).
    if (this.rejectReasonKnown(problem.reason)) reject['SessionRejectReason'] = problem.reason
    const route = reverseRoute(this.receivedFields)
    if (route !== null) reject['StandardHeader'] = route
    if (problem.refTagId !== undefined) reject['RefTagID'] = problem.refTagId
    this.send(AdminMsgType.Reject, reject)
  }

  private rejectReasonKnown (reason: number): boolean {
    const field = this.config.definitions.tagToSimple[Tag.SessionRejectReason]
    return field !== undefined && (!field.isEnum() || field.enums.has(String(reason)))
  }

  /** Logout with the reason, then close the connection without waiting for a confirmation. */
  private logoutAndDisconnect (reason: string, text: string | null = reason): void {
    this.sessionLogger.warning(`logout and disconnect: ${reason}`)
    this.stoppedReason = reason
    this.closing = true
    if (text === null) this.send(AdminMsgType.Logout, {})
    else this.sendLogout(text)
    // The Logout is still on its way through the encoder stream: close after it is written.
    setImmediate(() => this.stop())
  }

  /** A Logon we do not accept: disconnect, after a Logout saying why if the behaviour says so. */
  private refuseLogon (reason: string): void {
    if (this.behaviour.logoutBeforeRefusingLogon) this.logoutAndDisconnect(`Logon refused: ${reason}`)
    else this.disconnect(`Logon refused: ${reason}`)
  }

  private disconnect (reason: string): void {
    this.sessionLogger.warning(`disconnect: ${reason}`)
    this.stoppedReason = reason
    this.stop()
  }

  // ---- resend ----

  protected override onResendRequest (view: MsgView): void {
    const begin = Number(view.getTyped(Tag.BeginSeqNo))
    const requestedEnd = Number(view.getTyped(Tag.EndSeqNo))
    const lastSent = this.nextOutgoingSeqNum() - 1
    const end = requestedEnd === 0 || requestedEnd > lastSent ? lastSent : requestedEnd
    this.sessionLogger.info(`ResendRequest ${begin}-${requestedEnd}: replaying ${begin}-${end}`)
    if (!(begin >= 1) || end < begin) return
    this.setState(SessionState.HandleResendRequest)
    // In the store queue: the replay reads what the writes before it have recorded.
    this.queueStore(async (store) => {
      try {
        const sent = await store.sentBetween(begin, end)
        for (const m of this.replayPlanner.plan(begin, end, sent)) this.send(m.msgType, m.body)
      } finally {
        if (this.getState() === SessionState.HandleResendRequest) this.setState(SessionState.ActiveNormalSession)
      }
    })
  }

  private nextOutgoingSeqNum (): number {
    const transmitter = this.transport?.transmitter as { msgSeqNum?: number } | undefined
    return transmitter?.msgSeqNum ?? this.gatewayStore.sequenceNumbers.nextSenderSeqNum
  }

  // ---- sending and storing ----

  protected override send (msgType: string, obj: ILooseObject, callback: SendCallback | null = null): void {
    if (msgType === AdminMsgType.Heartbeat && !this.answeringTestRequest && this.getState() === SessionState.AwaitingProcessingResponseToTestRequest) {
      // While our TestRequest is unanswered, no Heartbeat: the next thing the silent counterparty
      // sees from us is the disconnect (QuickFIX's needHeartbeat holds back while a TestRequest is out).
      // jspurefix asks for this Heartbeat on every tick before it looks at the timeout, so the
      // timeout is decided here: QuickFIX's 2.4 heartbeat intervals of silence.
      const state = this.sessionState as unknown as { lastReceivedAt: Date | null, heartBeat: number }
      const silentSeconds = (Date.now() - (state.lastReceivedAt?.getTime() ?? Date.now())) / 1000
      if (silentSeconds >= 2.4 * state.heartBeat) this.disconnectNow(`no answer to our TestRequest within ${Math.round(silentSeconds)} s`)
      callback?.(null, { msgType, header: null, encoded: null } as unknown as Parameters<SendCallback>[1])
      return
    }
    if (msgType === AdminMsgType.Heartbeat && !this.answeringTestRequest) {
      // jspurefix puts a date in every Heartbeat's TestReqID; FIX has it only in the answer to a TestRequest.
      const { TestReqID: _unsolicited, ...heartbeat } = obj
      obj = heartbeat
    } else if (msgType === AdminMsgType.TestRequest && this.options?.behaviour?.testRequestId !== undefined) {
      obj = { ...obj, TestReqID: this.behaviour.testRequestId() }
    } else if (msgType === AdminMsgType.Logon && obj['ResetSeqNumFlag'] === false && !this.behaviour.sendResetSeqNumFlagN) {
      const { ResetSeqNumFlag: _n, ...logon } = obj
      obj = logon
    } else if (msgType === AdminMsgType.Logout && !this.behaviour.logoutConfirmationText && this.getState() === SessionState.ConfirmingLogout) {
      const { Text: _text, ...logout } = obj
      obj = logout
    }
    this.holdWritesUntilTurnEnds()
    super.send(msgType, obj, (error, result) => {
      const header = result.header
      if (!error && header && header['PossDupFlag'] !== true && result.encoded) {
        const seqNum = Number(header['MsgSeqNum'])
        const raw = result.encoded.toString('latin1')
        const sendingTime = fieldOf(raw, Tag.SendingTime) ?? ''
        this.queueStore(s => s.saveSent({ seqNum, msgType, sendingTime, raw }))
      }
      callback?.(error, result)
    })
  }

  /**
   * What is sent in one turn of the event loop goes to the socket in one write, after the store
   * has written what the turn received and sent: the socket is corked on the first send of the
   * turn and uncorked at its end, once the store has flushed.
   */
  private holdWritesUntilTurnEnds (): void {
    if (this.heldWritable !== null) return
    const writable = this.transport?.duplex.writable
    if (!writable || writable.destroyed) return
    writable.cork()
    this.heldWritable = writable
    process.nextTick(() => {
      this.heldWritable = null
      try {
        this.gatewayStore.flushPending?.()
      } catch (e) {
        this.sessionLogger.error(asError(e))
      } finally {
        writable.uncork()
      }
    })
  }

  private heldWritable: Writable | null = null

  private queueStore (write: (store: SessionStore) => Promise<void>): void {
    if (this.gatewayStore.synchronous === true) {
      // Done (or buffered) when it returns: nothing to wait for, the call order is the order.
      startNow(() => write(this.gatewayStore)).catch((e: unknown) => this.sessionLogger.error(asError(e)))
      return
    }
    const start = (): Promise<void> => write(this.gatewayStore)
    // With nothing pending the write starts now: a synchronous store (the file store) has then
    // recorded a sent message before control returns to the event loop.
    const started = this.pendingStoreWrites === 0 ? startNow(start) : this.storeWrites.then(start)
    this.pendingStoreWrites++
    this.storeWrites = started
      .catch((e: unknown) => this.sessionLogger.error(asError(e)))
      .finally(() => { this.pendingStoreWrites-- })
  }

  protected override async onPreLogon (): Promise<void> {
    if (this.config.description.ResetSeqNumFlag) this.queueStore(s => s.reset())
    await super.onPreLogon()
  }

  // ---- states ----

  /** Application messages are welcome while our TestRequest or a ResendRequest is outstanding. */
  protected override validStateApplicationMsg (): boolean {
    return this.loggedOn && (AWAITING_STATES.has(this.getState()) || super.validStateApplicationMsg())
  }

  protected override rxOnError (e: Error): void {
    this.stoppedReason ??= `transport error: ${e.message}`
    super.rxOnError(e)
  }

  private clearLogonTimer (): void {
    if (this.logonTimer !== null) clearTimeout(this.logonTimer)
    this.logonTimer = null
  }

  // ---- AsciiSession's abstract hooks ----

  protected onApplicationMsg (msgType: string, view: MsgView): void {
    const received = lazyReceivedMessage(msgType, Number(view.getTyped(Tag.MsgSeqNum)), view.getTyped(Tag.PossDupFlag) === true, view, this.lastDecoded)
    try {
      this.events.onMessage(received.message)
    } finally {
      received.detach()
    }
  }

  /** jspurefix starts its heartbeat timer only after logon: until then, this one bounds the wait. */
  override run (transport: MsgTransport): Promise<number> {
    this.logonTimer = setTimeout(() => {
      if (!this.loggedOn) this.disconnectNow(`no Logon within ${this.logonTimeoutMs / 1000} s`)
    }, this.logonTimeoutMs)
    this.logonTimer.unref()
    this.encodeGuard = EncodeGuard.on(transport.transmitter)
    allowRawBodies(transport.transmitter)
    return super.run(transport)
  }

  protected onReady (_: MsgView): void {
    this.clearLogonTimer()
    this.loggedOn = true
    this.events.onLogon()
  }

  protected onStopped (error?: Error): void {
    // FixSession.stop cannot leave ConfirmingLogout (its setState refuses), so a second stop()
    // would run again: the state is forced here, and the end is reported once.
    if (this.ended) return
    this.ended = true
    this.clearLogonTimer()
    this.assignState(SessionState.Stopped)
    this.loggedOn = false
    const reason = this.stoppedReason ?? error?.message ?? 'session stopped'
    this.events.onStopped(reason, error)
  }

  protected onLogon (_: MsgView, __: string, ___: string): boolean {
    return true
  }

  protected onDecoded (_: string, text: string): void {
    this.lastDecoded = text
  }

  protected onEncoded (_: string, __: string): void {}
}

function startNow (start: () => Promise<void>): Promise<void> {
  try {
    return start()
  } catch (e) {
    return Promise.reject(e)
  }
}

function asDate (value: unknown): Date | null {
  return value instanceof Date ? value : null
}

function asError (e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e))
}

/** The first value of `tag` in an SOH-delimited frame. */
function fieldOf (raw: string, tag: number): string | null {
  const at = raw.indexOf(`\x01${tag}=`)
  if (at < 0) return null
  const start = at + String(tag).length + 2
  const end = raw.indexOf('\x01', start)
  return raw.slice(start, end < 0 ? raw.length : end)
}

/** OnBehalfOf* of a received message becomes DeliverTo* of our answer and the other way round (FIX routing; QuickFIX does it on Rejects). */
const REVERSED: ReadonlyArray<readonly [number, string]> = [
  [115, 'DeliverToCompID'], [116, 'DeliverToSubID'], [144, 'DeliverToLocationID'],
  [128, 'OnBehalfOfCompID'], [129, 'OnBehalfOfSubID'], [145, 'OnBehalfOfLocationID']
]

function reverseRoute (fields: readonly FieldPair[]): ILooseObject | null {
  let route: ILooseObject | null = null
  for (const [tag, name] of REVERSED) {
    const value = fields.find(([t]) => t === tag)?.[1]
    if (value !== undefined && value !== '') (route ??= {})[name] = value
  }
  return route
}

/** The first tag in `text` ('|'-delimited fields) that is not all digits, or null. */
function nonNumericTagIn (text: string): string | null {
  for (const field of text.split('|')) {
    const eq = field.indexOf('=')
    if (eq > 0 && !ALL_DIGITS.test(field.slice(0, eq))) return field.slice(0, eq)
  }
  return null
}
const ALL_DIGITS = /^\d+$/
