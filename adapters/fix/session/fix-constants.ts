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
