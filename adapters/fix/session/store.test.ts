/**
 * FileSessionStore across "restarts" (new instances on the same folder): numbers and sent
 * messages survive, a torn last line is skipped, reset starts a new sequence.
 */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FileSessionStore, type SentMessage } from './store.js'

const message = (seqNum: number, msgType = 'D'): SentMessage => ({ seqNum, msgType, sendingTime: '20260101-00:00:00.000', raw: `8=FIX.4.4\x0135=${msgType}\x0134=${seqNum}\x01` })

describe('FileSessionStore', () => {
  it('starts at 1 and 1, and a new instance on the same folder reads what the last one wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fix-store-'))
    const first = new FileSessionStore(dir)
    expect(await first.open()).toEqual({ nextSenderSeqNum: 1, nextTargetSeqNum: 1 })
    await first.saveSent(message(1, 'A'))
    await first.saveSent(message(2))
    await first.setNextTargetSeqNum(5)
    await first.close()

    const second = new FileSessionStore(dir)
    expect(await second.open()).toEqual({ nextSenderSeqNum: 3, nextTargetSeqNum: 5 })
    expect((await second.sentBetween(2, 10)).map(m => m.seqNum)).toEqual([2])
  })

  it('skips a torn last line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fix-store-'))
    const store = new FileSessionStore(dir)
    await store.open()
    await store.saveSent(message(1))
    await store.close()
    appendFileSync(join(dir, 'journal.jsonl'), '{"nextSenderSeqNum":3,"nextTar')
    const reopened = new FileSessionStore(dir)
    expect(await reopened.open()).toEqual({ nextSenderSeqNum: 2, nextTargetSeqNum: 1 })
    expect((await reopened.sentBetween(1, 2)).map(m => m.seqNum)).toEqual([1])
    // Later appends do not glue onto the torn fragment.
    await reopened.saveSent(message(2))
    await reopened.close()
    const again = new FileSessionStore(dir)
    await again.open()
    expect((await again.sentBetween(1, 5)).map(m => m.seqNum)).toEqual([1, 2])
  })

  it('never reuses a sequence number whose numbers line was lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fix-store-'))
    const store = new FileSessionStore(dir)
    await store.open()
    await store.saveSent(message(1))
    await store.saveSent(message(2))
    await store.close()
    // The numbers line says 1 (as if written before the messages); the messages say 2 was sent.
    writeFileSync(join(dir, 'journal.jsonl'), ['{"nextSenderSeqNum":1,"nextTargetSeqNum":1}', JSON.stringify(message(1)), JSON.stringify(message(2)), ''].join('\n'))
    const reopened = new FileSessionStore(dir)
    expect((await reopened.open()).nextSenderSeqNum).toBe(3)
  })

  it('reset starts a new sequence and forgets sent messages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fix-store-'))
    const store = new FileSessionStore(dir)
    await store.open()
    await store.saveSent(message(1))
    await store.reset()
    const reopened = new FileSessionStore(dir)
    expect(await reopened.open()).toEqual({ nextSenderSeqNum: 1, nextTargetSeqNum: 1 })
    expect(await reopened.sentBetween(1, 10)).toEqual([])
  })
})
