/**
 * Nothing acknowledged is lost: the LMA runs as its own process, takes a stream of tenders over
 * HTTP, is killed with SIGKILL in the middle of it, and restarts on the same ledger. Every tender
 * it acknowledged is there exactly once, in the state the acknowledgements said, and the books,
 * transactions and positions rebuilt from the ledger agree with each other. And on an idle LMA,
 * killed right after one answer, the answer's idempotency record is there: the resent request
 * gets the original answer. Every process a test starts is ended whatever happens (afterAll).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { HttpLmaClient } from '../../adapters/rest/lma-client.js'
import { testMarket, MARKET } from '../market.js'
import { checkEveryAnswer } from '../cts-answers.js'
import type { Payload } from '../../schemas/registry.js'

const url = process.env.DATABASE_URL
const schemas: string[] = []
const dir = mkdtempSync(join(tmpdir(), 'te-crash-'))
/** Every LMA process started: afterAll ends those still running, even when a test failed half way. */
const children = new Set<ChildProcess>()

/** A ledger of its own: a PostgreSQL schema, or an embedded PostgreSQL directory. */
function newStore (): { schema: string, dataDir: string } {
  const schema = `crash_${randomBytes(4).toString('hex')}`
  schemas.push(schema)
  return { schema, dataDir: join(dir, schema) }
}
// Intervals far ahead, so that gate closure never interferes.
const H = (k: number) => new Date(Date.UTC(2030, 0, 1, 12 + k)).toISOString()
const markets = join(dir, 'markets.json')
// ... beyond the default delivery horizon (7 days): this market's own is ten years.
writeFileSync(markets, JSON.stringify([testMarket({ deliveryHorizon: 'P3650D' })]))

function freePort (): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)) })
  })
}

async function startLma (port: number, store: { schema: string, dataDir: string }): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'adapters/cli/te-gateway.ts', 'lma', '--port', String(port), '--markets', markets, '--data-dir', store.dataDir, '--schema', store.schema, '--log-level', 'warn'], {
    env: { ...process.env, ...(url !== undefined && { DATABASE_URL: url }) }, stdio: ['ignore', 'ignore', 'inherit']
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  // Up to two minutes: a loaded machine starting embedded PostgreSQL takes its time (bounds, not expectations).
  for (let i = 0; i < 1200 && child.exitCode === null; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return child
    } catch {}
    await new Promise((r) => setTimeout(r, 100))
  }
  await stop(child, 'SIGKILL')
  throw new Error('the LMA did not start')
}

function exited (child: ChildProcess): Promise<unknown> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r))
}

/** Sends the signal and waits for the process to be gone. */
async function stop (child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const gone = exited(child)
  child.kill(signal)
  await gone
}

afterAll(async () => {
  await Promise.all([...children].map((child) => stop(child, 'SIGKILL')))
  if (url !== undefined) {
    const pool = new pg.Pool({ connectionString: url })
    try {
      for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    } finally {
      await pool.end()
    }
  }
}, 30_000)


checkEveryAnswer()

describe('SIGKILL mid-stream', () => {
  it('loses no acknowledged tender or transaction, and duplicates none', async () => {
    const port = await freePort()
    const store = newStore()
    let lma = await startLma(port, store)
    const base = `http://127.0.0.1:${port}`
    const parties = await Promise.all(['p0', 'p1', 'p2', 'p3'].map((partyID) => HttpLmaClient.register(base, { partyID, partyRole: 'teua' })))
    const acknowledged = new Map<string, { party: string, side: string, request: Payload<'eiCreateTender'>, answer: unknown }>()
    let sent = 0
    let killed = false
    const stream = async (who: number) => {
      const { client } = parties[who]!
      for (let i = 0; !killed; i++) {
        // p0 and p2 only buy, p1 and p3 only sell: no self-trades, so a tender that is not open has traded.
        const side = who % 2 === 0 ? 'buy' : 'sell'
        const tenderID = `p${who}-t${i}`
        const price = side === 'buy' ? `0.1${(i * 7 + who) % 10}0` : `0.1${(i * 3 + who) % 10}5`
        sent++
        try {
          const request = {
            requestID: `p${who}-r${i}`, partyID: `p${who}`, counterPartyID: 'lma',
            eiTender: [{ tenderID, product: { dtStart: H(i % 3), duration: 'PT1H', temixPower: { price, quantity: `${1 + (i % 4)}.0` }, uid: tenderID, transactiveState: 'tender' as const, marketContext: MARKET, side: side as 'buy' | 'sell' } }]
          }
          const reply = await client.call('eiCreateTender', 'eiCreatedTender', request)
          if (reply.status === 200) acknowledged.set(tenderID, { party: `p${who}`, side, request, answer: reply.payload })
        } catch (error) {
          return // the connection died with the process
        }
      }
    }
    const streams = [0, 1, 2, 3].map(stream)
    while (acknowledged.size < 60) await new Promise((r) => setTimeout(r, 5))
    const dead = stop(lma, 'SIGKILL')
    killed = true
    await Promise.all(streams)
    await dead

    lma = await startLma(port, store)
    try {
      // Every acknowledged tender is in the rebuilt market, once.
      const open = new Map<string, number>()
      for (const [who, { client }] of parties.entries()) {
        const reply = await client.call('eiRequestTender', 'eiReplyTender', { requestID: `after-${who}`, partyID: `p${who}`, requestorPartyID: `p${who}` })
        for (const t of reply.payload.eiTender ?? []) open.set(t.tenderID, (open.get(t.tenderID) ?? 0) + 1)
      }
      const txs = new Map<string, number>()
      let bought = 0
      let sold = 0
      for (const [who, { client }] of parties.entries()) {
        const reply = await client.call('eiRequestTransaction', 'eiReplyTransaction', { requestID: `tx-${who}`, partyID: `p${who}`, requestorPartyID: `p${who}` })
        for (const t of reply.payload.eiTransaction ?? []) {
          txs.set(t.transactionID, (txs.get(t.transactionID) ?? 0) + 1)
          const q = Number(t.product.temixPower.quantity) * 10
          if (t.product.side === 'buy') bought += q
          else sold += q
        }
      }
      expect([...open.values()].every((n) => n === 1)).toBe(true)
      expect([...txs.values()].every((n) => n === 1)).toBe(true)
      expect(bought).toBe(sold)
      // Resending an acknowledged request gets its original answer and creates nothing; reusing its requestID for another request is a conflict.
      const [someTender, { request, answer }] = [...acknowledged.entries()][0]!
      const who = Number(someTender.slice(1, someTender.indexOf('-')))
      const again = await parties[who]!.client.call('eiCreateTender', 'eiCreatedTender', request)
      expect(again.status).toBe(200)
      expect(again.payload).toEqual(answer)
      const other = await parties[who]!.client.call('eiCreateTender', 'eiCreatedTender', { ...request, eiTender: [{ ...request.eiTender[0]!, tenderID: `${someTender}-other` }] })
      expect(other.status).toBe(409)
      // Each acknowledged tender is open (listed above) or done (filled/canceled), none missing.
      const pool = url !== undefined ? new pg.Pool({ connectionString: url, options: `-c search_path=${store.schema}` }) : undefined
      if (pool !== undefined) {
        const rows = (await pool.query('SELECT tender_id FROM tenders')).rows.map((r) => r.tender_id as string)
        await pool.end()
        for (const id of acknowledged.keys()) expect(rows).toContain(id)
      } else {
        for (const id of acknowledged.keys()) {
          if (open.has(id)) continue
          // Not open: it must have traded. Its owner's transactions name it.
          const owner = Number(id.slice(1, id.indexOf('-')))
          const reply = await parties[owner]!.client.call('eiRequestTransaction', 'eiReplyTransaction', { requestID: `own-${id}`, partyID: `p${owner}`, requestorPartyID: `p${owner}` })
          expect((reply.payload.eiTransaction ?? []).some((t) => t.tenderID === id)).toBe(true)
        }
      }
      expect(sent).toBeGreaterThan(acknowledged.size - 1)
    } finally {
      await stop(lma, 'SIGTERM')
    }
  }, 300_000)
})

describe('SIGKILL on an idle LMA right after one answer', () => {
  it('the answer\'s record is in the ledger: the resent requestID gets the original answer', async () => {
    const port = await freePort()
    const store = newStore()
    let lma = await startLma(port, store)
    const base = `http://127.0.0.1:${port}`
    const { client } = await HttpLmaClient.register(base, { partyID: 'idle', partyRole: 'teua' })
    const request = {
      requestID: 'only-one', partyID: 'idle', counterPartyID: 'lma',
      eiTender: [{ tenderID: 'idle-t1', product: { dtStart: H(0), duration: 'PT1H', temixPower: { price: '0.100', quantity: '1.0' }, uid: 'idle-t1', transactiveState: 'tender' as const, marketContext: MARKET, side: 'buy' as const } }]
    }
    const first = await client.call('eiCreateTender', 'eiCreatedTender', request)
    expect(first.status).toBe(200)
    // Nothing else happens: no later batch could carry the record.
    await stop(lma, 'SIGKILL')
    lma = await startLma(port, store)
    try {
      const again = await client.call('eiCreateTender', 'eiCreatedTender', request)
      expect(again.status).toBe(200)
      expect(again.payload).toEqual(first.payload)
    } finally {
      await stop(lma, 'SIGTERM')
    }
  }, 300_000)
})
