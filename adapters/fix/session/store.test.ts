/**
 * FileSessionStore across "restarts" (new instances on the same folder): numbers and sent
 * messages survive, a torn last line is skipped, reset starts a new sequence; memory bounded by
 * the cache size, older messages read from disk; the fsync setting honoured.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { DEFAULT_MAX_CACHED_MESSAGES, FileSessionStore, type SentMessage } from './store.js'

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

  it('keeps at most maxCachedMessages in memory and reads older ones from the journal, also after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fix-store-'))
    const store = new FileSessionStore(dir, { maxCachedMessages: 50 })
    await store.open()
    for (let seqNum = 1; seqNum <= 5000; seqNum++) {
      await store.saveSent(message(seqNum, seqNum % 7 === 0 ? '0' : '8'))
      if (seqNum % 100 === 0) await store.setNextTargetSeqNum(seqNum / 100 + 1)
    }
    expect(store.cachedMessages).toBe(50)
    // Old ones (before, across and after the 1024-message checkpoints), from disk, in order.
    for (const [from, to] of [[1, 3], [1020, 1030], [2047, 2050], [4940, 4960], [4990, 5010]] as const) {
      const got = await store.sentBetween(from, to)
      expect(got.map(m => m.seqNum)).toEqual(Array.from({ length: Math.min(to, 5000) - from + 1 }, (_, i) => from + i))
      expect(got.every(m => m.raw === message(m.seqNum, m.msgType).raw)).toBe(true)
    }
    expect(store.cachedMessages).toBe(50)
    await store.close()

    const reopened = new FileSessionStore(dir, { maxCachedMessages: 50 })
    expect(await reopened.open()).toEqual({ nextSenderSeqNum: 5001, nextTargetSeqNum: 51 })
    expect(reopened.cachedMessages).toBe(50)
    expect((await reopened.sentBetween(3000, 3002)).map(m => m.seqNum)).toEqual([3000, 3001, 3002])
    expect(new FileSessionStore(dir).cachedMessages).toBe(0)
    expect(DEFAULT_MAX_CACHED_MESSAGES).toBe(10_000)
  })

  it('the last message stored under a number counts, also when numbers went down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fix-store-'))
    const store = new FileSessionStore(dir, { maxCachedMessages: 2 })
    await store.open()
    for (const seqNum of [1, 2, 3, 4]) await store.saveSent(message(seqNum))
    await store.saveSent({ ...message(2), msgType: 'G' })
    expect((await store.sentBetween(1, 4)).map(m => `${m.seqNum}${m.msgType}`)).toEqual(['1D', '2G', '3D', '4D'])
    await store.close()
    const reopened = new FileSessionStore(dir, { maxCachedMessages: 2 })
    expect((await reopened.open()).nextSenderSeqNum).toBe(5)
    expect((await reopened.sentBetween(1, 4)).map(m => `${m.seqNum}${m.msgType}`)).toEqual(['1D', '2G', '3D', '4D'])
  })

  it('writes what one turn of the event loop stored in one append, at the latest when the turn ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fix-store-'))
    const fsyncs: number[] = []
    const store = new FileSessionStore(dir, { sync: 'every-write', fsync: (fd) => fsyncs.push(fd) })
    await store.open()
    void store.setNextTargetSeqNum(2)
    void store.saveSent(message(1))
    void store.saveSent(message(2))
    const journal = join(dir, 'journal.jsonl')
    const linesNow = (): number => readFileSync(journal, 'utf8').split('\n').filter(l => l !== '').length
    expect(linesNow()).toBe(0)
    store.flushPending()
    expect(linesNow()).toBe(3)
    expect(fsyncs).toHaveLength(1)
    void store.saveSent(message(3))
    await new Promise<void>((resolve) => process.nextTick(resolve))
    expect(linesNow()).toBe(4)
    expect(fsyncs).toHaveLength(2)
    await store.close()
  })

  it("fsyncs as its sync setting says: never by default, after every write, or on an interval when something was written", async () => {
    const run = async (options: ConstructorParameters<typeof FileSessionStore>[1]): Promise<{ store: FileSessionStore, fsyncs: number[] }> => {
      const fsyncs: number[] = []
      const store = new FileSessionStore(mkdtempSync(join(tmpdir(), 'fix-store-')), { ...options, fsync: (fd) => fsyncs.push(fd) })
      await store.open()
      return { store, fsyncs }
    }
    const none = await run({})
    await none.store.saveSent(message(1))
    none.store.flushPending()
    await none.store.close()
    expect(none.fsyncs).toEqual([])

    const every = await run({ sync: 'every-write' })
    for (const seqNum of [1, 2, 3]) {
      await every.store.saveSent(message(seqNum))
      every.store.flushPending()
    }
    expect(every.fsyncs).toHaveLength(3)
    await every.store.close()

    const interval = await run({ sync: 'interval', syncIntervalMs: 20 })
    await interval.store.saveSent(message(1))
    interval.store.flushPending()
    await vi.waitFor(() => expect(interval.fsyncs).toHaveLength(1), { timeout: 5000 })
    // Nothing new written: no more fsyncs.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(interval.fsyncs).toHaveLength(1)
    await interval.store.saveSent(message(2))
    await interval.store.close() // fsyncs what is unsynced
    expect(interval.fsyncs).toHaveLength(2)

    expect(() => new FileSessionStore('x', { sync: 'always' as never })).toThrow(/sync must be one of/)
  })

  it('opens a store of the earlier format (seqnums.jsonl and messages.jsonl) and replaces it by the journal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fix-store-'))
    writeFileSync(join(dir, 'seqnums.jsonl'), '{"nextSenderSeqNum":1,"nextTargetSeqNum":1}\n{"nextSenderSeqNum":3,"nextTargetSeqNum":7}\n')
    writeFileSync(join(dir, 'messages.jsonl'), `${JSON.stringify(message(1))}\n${JSON.stringify(message(2))}\n{"seqNum":3,"ms`)
    const store = new FileSessionStore(dir)
    expect(await store.open()).toEqual({ nextSenderSeqNum: 3, nextTargetSeqNum: 7 })
    expect((await store.sentBetween(1, 5)).map(m => m.seqNum)).toEqual([1, 2])
    expect(existsSync(join(dir, 'messages.jsonl'))).toBe(false)
    expect(existsSync(join(dir, 'seqnums.jsonl'))).toBe(false)
  })
})
