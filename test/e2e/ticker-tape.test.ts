/**
 * The ticker tape under slow and absent readers, over real HTTP: a subscriber that never reads is
 * dropped with a final event once its queue passes the bound, while an honest subscriber and the
 * traders go on; a subscriber that falls behind or loses its connection resumes with
 * Last-Event-ID and gets every event of the ledger exactly once, in order; an id the ledger
 * cannot resume from gets a reset.
 */
import { randomBytes } from 'node:crypto'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../adapters/rest/app.js'
import { HttpLmaClient } from '../../adapters/rest/lma-client.js'
import { MarketDataStream, type TapeEvent } from '../../adapters/rest/market-data-client.js'
import type { TickerTapeOptions } from '../../adapters/rest/ticker-tape.js'
import { LocalMarketAgent } from '../../market/lma/lma.js'
import type { BookCommandRecord } from '../../market/lma/ledger.js'
import { PgLedger } from '../../adapters/postgres/ledger.js'
import { ManualClock } from '../../market/lma/time.js'
import type { Database } from '../../adapters/postgres/database.js'
import { dropTestDatabase, openTestDatabase } from '../database.js'
import { H12, H13, START, tender, testMarket } from '../market.js'

const QUEUE = 64 * 1024
const TENDERS = 2000

let db: Database
let lma: LocalMarketAgent
const apps: FastifyInstance[] = []
const bridges: Server[] = []
const streams: MarketDataStream[] = []
/** Run first after each test, whatever happened (a stalled reader let go). */
const cleanups: Array<() => void> = []
const sockets: Socket[] = []

/**
 * The app on TCP, and on a Unix socket too: a Unix socket's kernel buffers take a few hundred KB
 * where loopback TCP's take megabytes, so a reader that stops there fills its queue after a few
 * thousand tenders rather than tens of thousands.
 */
async function serve (tape: TickerTapeOptions): Promise<{ url: string, socketPath: string }> {
  const app = await buildApp({ lma, tape: { dropGraceMs: 120_000, ...tape } })
  apps.push(app)
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const socketPath = join(tmpdir(), `te-tape-${randomBytes(6).toString('hex')}.sock`)
  const bridge = createServer((socket) => app.server.emit('connection', socket))
  await new Promise<void>((resolve) => bridge.listen(socketPath, resolve))
  bridges.push(bridge)
  return { url, socketPath }
}

beforeEach(async () => {
  db = await openTestDatabase()
  lma = await LocalMarketAgent.open({ markets: [testMarket()], ledger: new PgLedger(db, () => ({ priceScale: 3, quantityScale: 1 })), clock: new ManualClock(START) })
}, 60_000)
afterEach(async () => {
  for (const c of cleanups.splice(0)) c()
  for (const s of streams.splice(0)) await s.close()
  for (const s of sockets.splice(0)) s.destroy()
  for (const bridge of bridges.splice(0)) bridge.close()
  for (const app of apps.splice(0)) await app.close()
  await lma.close()
  await dropTestDatabase(db)
})

function subscribe (url: string, options: Partial<ConstructorParameters<typeof MarketDataStream>[1]> = {}): { stream: MarketDataStream, events: TapeEvent[] } {
  const events: TapeEvent[] = []
  const stream = new MarketDataStream(url, { retryMs: 20, onEvent: (e) => { events.push(e) }, ...options })
  streams.push(stream)
  return { stream, events }
}

/** `count` tenders, sells and buys at one price (most fill), 10 per request, 8 requests at a time; every one must be accepted. */
async function trade (url: string, prefix: string, count: number): Promise<void> {
  const [seller, buyer] = await Promise.all(['s', 'b'].map(async (p) => ({ partyID: `${prefix}${p}`, ...await HttpLmaClient.register(url, { partyID: `${prefix}${p}`, partyRole: 'teua' }) })))
  const requests = Array.from({ length: Math.ceil(count / 10) }, (_, r) => async () => {
    const party = r % 2 === 0 ? seller! : buyer!
    const eiTender = Array.from({ length: Math.min(10, count - r * 10) }, (_, i) =>
      tender(`${prefix}-${r}-${i}`, r % 2 === 0 ? 'sell' : 'buy', '0.100', '1.0', i % 2 === 0 ? H12 : H13))
    const reply = await party.client.call('eiCreateTender', 'eiCreatedTender', { requestID: `${prefix}-${r}`, partyID: party.partyID, counterPartyID: 'lma', eiTender })
    expect(reply.status).toBe(200)
  })
  for (let i = 0; i < requests.length; i += 8) await Promise.all(requests.slice(i, i + 8).map((send) => send()))
}

/** Every book command in the ledger, by position. */
async function ledgerCommands (): Promise<BookCommandRecord[]> {
  const all: BookCommandRecord[] = []
  for (;;) {
    const batch = await lma.tape!.bookCommandsAfter(all.at(-1)?.position ?? 0, 1000)
    all.push(...batch)
    if (batch.length < 1000) return all
  }
}

/** The events with ids the tape must have sent for these commands: id, name, book, seq. */
function expectedEvents (commands: BookCommandRecord[]): string[] {
  return commands.flatMap((c) => c.events.map((e, i) => `${c.position}-${i} ${e.type} ${c.book} ${e.seq}`))
}

function seen (events: TapeEvent[]): string[] {
  return events.filter((e) => e.id !== undefined).map((e) => `${e.id} ${e.event} ${e.data.book} ${e.data.seq}`)
}

/** The heap in use after a full collection. */
function heapAfterGc (): number {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
  return process.memoryUsage().heapUsed
}

/**
 * A subscriber over a raw socket, paused: it reads nothing until resumed (its request written,
 * the kernel's buffers and the socket's own 16 KB fill, then nothing moves).
 */
function rawSubscriber (socketPath: string): { socket: Socket, received: () => Buffer } {
  const socket = connect(socketPath)
  sockets.push(socket)
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.pause()
  socket.write('GET /lma/market-data/stream HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n')
  return { socket, received: () => Buffer.concat(chunks) }
}

/** The body of a chunked HTTP response read so far (a last partial chunk included). */
function dechunk (raw: Buffer): string {
  let at = raw.indexOf('\r\n\r\n')
  if (at < 0) return ''
  at += 4
  const parts: Buffer[] = []
  while (at < raw.length) {
    const eol = raw.indexOf('\r\n', at)
    if (eol < 0) break
    const size = parseInt(raw.subarray(at, eol).toString(), 16)
    if (size === 0) break
    parts.push(raw.subarray(eol + 2, Math.min(raw.length, eol + 2 + size)))
    at = eol + 2 + size + 2
  }
  return Buffer.concat(parts).toString('utf8')
}

/** The complete SSE events of a body, as the client reads them. */
function parseFrames (body: string): TapeEvent[] {
  const complete = body.slice(0, body.lastIndexOf('\n\n') + 2)
  return complete.split('\n\n').flatMap((block): TapeEvent[] => {
    const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2)
    const data = field('data')
    const id = field('id')
    return data === undefined ? [] : [{ ...(id !== undefined && { id }), event: field('event') ?? 'message', data: JSON.parse(data) }]
  })
}

describe('ticker tape: bounded queues, resume with Last-Event-ID', () => {
  it('drops readers that fall behind with a final event while honest readers and traders go on; a dropped reader resumes with Last-Event-ID and gets every event exactly once', async () => {
    const { url, socketPath } = await serve({ maxQueuedBytes: QUEUE, catchUpBatch: 50 })
    const honest = subscribe(url)
    const silent = [rawSubscriber(socketPath), rawSubscriber(socketPath), rawSubscriber(socketPath)]
    // This one reads a little, then stops.
    const stalled = rawSubscriber(socketPath)
    stalled.socket.resume()
    await vi.waitFor(() => expect(dechunk(stalled.received())).toContain(': te-gateway market data\n\n'))
    stalled.socket.pause()
    await vi.waitFor(() => expect(honest.stream.connections).toBe(1))
    const heapBefore = heapAfterGc()

    await trade(url, 'a', TENDERS)

    const expectedFirst = expectedEvents(await ledgerCommands())
    await vi.waitFor(() => expect(seen(honest.events).length).toBe(expectedFirst.length), { timeout: 60_000 })
    expect(seen(honest.events)).toEqual(expectedFirst)
    expect(honest.stream.connections).toBe(1)
    // Loosely: the process did not keep the tape for each of the four that did not read.
    expect(heapAfterGc() - heapBefore).toBeLessThan(64 * 1024 * 1024)

    // They read now: what was queued for them, then the final event, then the end; never the last
    // event of the tape.
    const lastId = honest.stream.lastEventId!
    const done = (raw: Buffer) => { const t = dechunk(raw); return t.includes('event: dropped') || t.includes(`id: ${lastId}\n`) }
    for (const reader of [...silent, stalled]) {
      reader.socket.resume()
      await vi.waitFor(() => expect(done(reader.received())).toBe(true), { timeout: 30_000 })
      const text = dechunk(reader.received())
      expect(text).toMatch(/event: dropped\ndata: \{"type":"dropped","reason":"more than 65536 bytes waiting[^\n]*Last-Event-ID[^\n]*","lastEventId":"\d+-\d+"\}\n\n$/)
      expect(text).not.toContain(`id: ${lastId}\n`)
    }

    // The stalled one comes back with the id of the last event it read: the rest from the ledger,
    // then live, while 600 more tenders trade and its connection is cut twice more.
    const before = parseFrames(dechunk(stalled.received()))
    const resumed = subscribe(url, { lastEventId: before.filter((e) => e.id !== undefined).at(-1)!.id! })
    const trading = trade(url, 'b', 600)
    for (const n of [2, 3]) {
      const count = seen(resumed.events).length
      await vi.waitFor(() => expect(seen(resumed.events).length).toBeGreaterThan(count + 100), { timeout: 30_000 })
      resumed.stream.reconnect()
      await vi.waitFor(() => expect(resumed.stream.connections).toBe(n), { timeout: 30_000 })
    }
    await trading

    const expected = expectedEvents(await ledgerCommands())
    const all = () => seen([...before, ...resumed.events])
    await vi.waitFor(() => expect(all().length).toBeGreaterThanOrEqual(expected.length), { timeout: 60_000 })
    expect(all()).toEqual(expected)
    expect(seen(honest.events)).toEqual(expected)
  }, 120_000)

  it('an id the ledger cannot resume from gets a reset whose id is the present, and the tape goes on from there', async () => {
    const { url } = await serve({ maxCatchUp: 10 })
    await trade(url, 'a', 100)
    const last = lma.tape!.lastPosition()
    for (const lastEventId of ['book#12', `${last + 5}-0`, '1-0']) {
      const s = subscribe(url, { lastEventId })
      await vi.waitFor(() => expect(s.events[0]?.event).toBe('reset'))
      expect(s.events[0]!.id).toBe(String(last))
      expect(s.stream.lastEventId).toBe(String(last))
    }
    // Within reach: the gap, then live.
    const near = subscribe(url, { lastEventId: String(last - 5) })
    await trade(url, 'b', 10)
    const expected = expectedEvents((await ledgerCommands()).filter((c) => c.position! > last - 5))
    await vi.waitFor(() => expect(seen(near.events)).toEqual(expected))
  }, 60_000)
})
