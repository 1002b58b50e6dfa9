/** The FIX session-level tags, message types and SessionRejectReason values this layer uses. */

export const Tag = {
  BeginSeqNo: 7,
  BeginString: 8,
  EndSeqNo: 16,
  MsgSeqNum: 34,
  MsgType: 35,
  NewSeqNo: 36,
  PossDupFlag: 43,
  RefSeqNum: 45,
  SenderCompID: 49,
  SendingTime: 52,
  TargetCompID: 56,
  Text: 58,
  HeartBtInt: 108,
  TestReqID: 112,
  OrigSendingTime: 122,
  GapFillFlag: 123,
  ResetSeqNumFlag: 141,
  RefTagID: 371,
  RefMsgType: 372,
  SessionRejectReason: 373,
  DefaultApplVerID: 1137
} as const

export const AdminMsgType = {
  Heartbeat: '0',
  TestRequest: '1',
  ResendRequest: '2',
  Reject: '3',
  SequenceReset: '4',
  Logout: '5',
  Logon: 'A'
} as const

const ADMIN_TYPES: ReadonlySet<string> = new Set(Object.values(AdminMsgType))

export function isAdmin (msgType: string): boolean {
  return ADMIN_TYPES.has(msgType)
}

/** SessionRejectReason(373). */
export const RejectReason = {
  InvalidTagNumber: 0,
  RequiredTagMissing: 1,
  TagNotDefinedForMsgType: 2,
  TagWithoutValue: 4,
  ValueIsIncorrect: 5,
  IncorrectDataFormat: 6,
  CompIdProblem: 9,
  SendingTimeAccuracyProblem: 10,
  InvalidMsgType: 11,
  TagAppearsMoreThanOnce: 13,
  TagOutOfRequiredOrder: 14,
  IncorrectNumInGroupCount: 16
} as const

/** QuickFIX's Text for each SessionRejectReason. */
const REJECT_TEXT: Readonly<Record<number, string>> = {
  0: 'Invalid tag number',
  1: 'Required tag missing',
  2: 'Tag not defined for this message type',
  3: 'Undefined Tag',
  4: 'Tag specified without a value',
  5: 'Value is incorrect (out of range) for this tag',
  6: 'Incorrect data format for value',
  9: 'CompID problem',
  10: 'SendingTime accuracy problem',
  11: 'Invalid MsgType',
  13: 'Tag appears more than once',
  14: 'Tag specified out of required order',
  16: 'Incorrect NumInGroup count for repeating group'
}

export function rejectText (reason: number): string {
  return REJECT_TEXT[reason] ?? `SessionRejectReason ${reason}`
}
