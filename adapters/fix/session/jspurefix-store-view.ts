/**
 * Our SessionStore seen through jspurefix's IFixSessionStore, read-only. AsciiSession reads its
 * starting sequence numbers from this interface (so a restarted session resumes where it left
 * off), but it also writes through it from fire-and-forget promises (its coordinator's
 * `setTargetSeqNum`, `reset`, its `txOnEncoded`'s `put`) whose order is not the order of the wire,
 * and it records replays (PossDupFlag=Y) as if they were new. GatewaySession writes the store
 * itself at the points FIX defines, so every write here is deliberately a no-op.
 */
import type { IFixMsgStoreRecord, IFixSessionStore, SessionId } from 'jspurefix'
import type { SessionStore } from './store.js'

export class ReadOnlyJspurefixStore implements IFixSessionStore {
  readonly creationTime = new Date()

  constructor (readonly sessionId: SessionId, private readonly store: SessionStore) {}

  get senderSeqNum (): number { return this.store.sequenceNumbers.nextSenderSeqNum }
  set senderSeqNum (_: number) { /* written by GatewaySession */ }
  get targetSeqNum (): number { return this.store.sequenceNumbers.nextTargetSeqNum }
  set targetSeqNum (_: number) { /* written by GatewaySession */ }

  async put (_: IFixMsgStoreRecord): Promise<void> {}
  async get (_: number): Promise<IFixMsgStoreRecord | null> { return null }
  async getRange (_: number, __: number): Promise<IFixMsgStoreRecord[]> { return [] }
  async setSenderSeqNum (_: number): Promise<void> {}
  async setTargetSeqNum (_: number): Promise<void> {}
  async nextSenderSeqNum (): Promise<number> { return this.senderSeqNum }
  async nextTargetSeqNum (): Promise<number> { return this.targetSeqNum }
  async reset (): Promise<void> {}
  async initialize (): Promise<void> {}
  async flush (): Promise<void> {}
  async dispose (): Promise<void> {}
}
