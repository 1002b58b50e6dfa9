/**
 * REST benchmark: durable tenders per second through the LMA (every tender in the ledger before
 * its answer) against a fastify empty route, measured in the same run with the same load
 * generator (autocannon, in this process; the servers each run in a process of their own).
 *   npm run bench:rest [-- --seconds 10 --connections 128]
 * The ledger is PostgreSQL when DATABASE_URL is set, else embedded PGlite.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import autocannon from 'autocannon'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '128' } } })
const seconds = Number(values.seconds)
const connections = Number(values.connections)
const root = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'te-bench-'))
const url = process.env.DATABASE_URL
const schema = `bench_${randomBytes(4).toString('hex')}`
const MARKET = 'https://microgrid.example.org/markets/bench'
const markets = join(dir, 'markets.json')
writeFileSync(markets, JSON.stringify([{
  marketContext: MARKET, currency: 'USD', priceScale: 3, quantityScale: 1, energyReal: { itemDescription: 'RealEnergy', itemUnits: 'Wh', siScaleCode: 'k' },
  granularity: 'PT1H', duration: 'PT1H', gateClosure: 'PT5M', mechanism: 'continuous',
  // Its intervals are in 2031: beyond the default delivery horizon (7 days).
  deliveryHorizon: 'P3650D'
}]))

async function waitFor (address: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${address}/health`)).ok) return } catch {}
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${address} did not start`)
}

function run (opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => autocannon(opts, (error: unknown, result: autocannon.Result) => error ? reject(error) : resolve(result)))
}

function stop (child: ChildProcess): Promise<void> {
  return new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM') })
}

/** CPU seconds (user + system) a process has used, from /proc (Linux); undefined elsewhere. */
function cpuSeconds (pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch { return undefined }
}
/** CPU seconds of every PostgreSQL server process on this machine (the server under test when DATABASE_URL is local). */
function postgresCpuSeconds (): number | undefined {
  let total = 0
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue
      try { if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += cpuSeconds(Number(pid)) ?? 0 } catch {}
    }
  } catch { return undefined }
  return total
}
/** Runs the load and notes the CPU each side used per request (the figures that explain the rates). */
async function measured (opts: autocannon.Options, server: number, withPostgres: boolean) {
  const before = { server: cpuSeconds(server), pg: withPostgres ? postgresCpuSeconds() : undefined }
  const result = await run(opts)
  const after = { server: cpuSeconds(server), pg: withPostgres ? postgresCpuSeconds() : undefined }
  const perRequest = (a?: number, b?: number) => a === undefined || b === undefined || result.requests.total === 0 ? undefined : 1e6 * (b - a) / result.requests.total
  return { result, serverUs: perRequest(before.server, after.server), postgresUs: perRequest(before.pg, after.pg) }
}

const rows: Array<{ name: string, rate: number, tenders?: number, p50: number, p99: number, errors: number, non2xx: number, serverUs?: number, postgresUs?: number }> = []
const record = (name: string, m: Awaited<ReturnType<typeof measured>>, tendersPerRequest?: number) => rows.push({
  name, rate: m.result.requests.average, p50: m.result.latency.p50, p99: m.result.latency.p99, errors: m.result.errors, non2xx: m.result.non2xx,
  ...(tendersPerRequest !== undefined && { tenders: m.result.requests.average * tendersPerRequest }),
  ...(m.serverUs !== undefined && { serverUs: m.serverUs }), ...(m.postgresUs !== undefined && { postgresUs: m.postgresUs })
})

// 1. The yardstick.
const empty = fork(join(root, 'bench/empty-server.ts'), ['0'], { execArgv: ['--import', 'tsx'] })
const emptyUrl = await new Promise<string>((resolve) => empty.once('message', (m: { url: string }) => resolve(m.url)))
console.error(`fastify empty route: ${seconds}s, ${connections} connections ...`)
await run({ url: `${emptyUrl}/empty`, method: 'POST', connections, duration: 2 }) // warm-up
record('fastify empty route', await measured({ url: `${emptyUrl}/empty`, method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, connections, duration: seconds }, empty.pid!, false))
await stop(empty)

// 2. The LMA, durable tenders.
const port = 3900 + Math.floor(Math.random() * 90)
const lma = spawn(process.execPath, ['--import', 'tsx', ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : []), join(root, 'adapters/cli/te-gateway.ts'), 'lma', '--port', String(port), '--markets', markets, '--data-dir', join(dir, 'pglite'), '--schema', schema, '--log-level', 'warn',
  // Throughput, not the rate limit, is measured: each of the 8 parties sends thousands of requests a second.
  '--party-rate', '1000000'], {
  env: { ...process.env }, stdio: ['ignore', 'ignore', 'inherit']
})
const lmaUrl = `http://127.0.0.1:${port}`
await waitFor(lmaUrl)
const tokens: string[] = []
for (let i = 0; i < 8; i++) {
  const res = await fetch(`${lmaUrl}/lma/eiCreatePartyRegistration`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requestID: `reg-${i}`, registreePartyID: `bench-${i}`, eiRegistrationInfo: { partyRole: 'teua' } }) })
  tokens.push(res.headers.get('x-party-token')!)
}
/**
 * eiCreateTender bodies, `perRequest` tenders each, made before the run so that the load generator
 * spends its CPU on sending them. Parties take turns; buys (0.080..0.119) and sells
 * (0.100..0.139) alternate, so part of the tenders trade.
 */
function tenderRequests (perRequest: number, day: number) {
  const hours = Array.from({ length: perRequest === 1 ? 6 : perRequest }, (_, k) => new Date(Date.UTC(2031, 0, day, 12 + k)).toISOString())
  return Array.from({ length: Math.ceil(seconds + 2) * (perRequest === 1 ? 12_000 : 2_000) }, (_, i) => {
    const who = i % 8
    const buy = i % 2 === 0
    const price = buy ? `0.${String(80 + (i % 40)).padStart(3, '0')}` : `0.${100 + (i % 40)}`
    const eiTender = Array.from({ length: perRequest }, (_, k) => {
      const tenderID = `d${day}-${who}-${i}-${k}`
      return {
        tenderID,
        product: {
          dtStart: hours[perRequest === 1 ? Math.floor(i / 2) % 6 : k], duration: 'PT1H', temixPower: { price, quantity: `${1 + ((i + k) % 5)}.0` },
          uid: tenderID, transactiveState: 'tender', marketContext: MARKET, side: buy ? 'buy' : 'sell'
        }
      }
    })
    return {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who]}` },
      body: JSON.stringify({ requestID: `r-${day}-${i}`, partyID: `bench-${who}`, counterPartyID: 'lma', eiTender })
    }
  })
}

async function durableTenders (name: string, perRequest: number, day: number) {
  console.error(`${name}: ${seconds}s, ${connections} connections ...`)
  const prepared = tenderRequests(perRequest, day)
  let next = 0
  const requests = [{ method: 'POST' as const, path: '/lma/eiCreateTender', setupRequest: (req: any) => ({ ...req, ...prepared[next++ % prepared.length] }) }]
  const local = url !== undefined && /@(127\.0\.0\.1|localhost)[:/]/.test(url)
  await run({ url: lmaUrl, connections, duration: 2, requests }) // warm-up
  const m = await measured({ url: lmaUrl, connections, duration: seconds, requests }, lma.pid!, local)
  if (next > prepared.length) throw new Error(`the run sent ${next} requests but only ${prepared.length} distinct bodies were prepared (resent requestIDs would be idempotent replays)`)
  record(name, m, perRequest)
}

const store = url === undefined ? 'PGlite' : 'PostgreSQL'
await durableTenders(`LMA eiCreateTender, 1 tender each (durable, ${store})`, 1, 1)
await durableTenders(`LMA eiCreateTender, 24 tenders each: a day-ahead profile (durable, ${store})`, 24, 2)
const books = await (await fetch(`${lmaUrl}/lma/market-data/books`)).json() as unknown[]
await stop(lma)
if (url !== undefined) {
  const pool = new pg.Pool({ connectionString: url })
  const counted = (await pool.query(`SELECT (SELECT count(*) FROM ${schema}.tenders)::int AS tenders, (SELECT count(*) FROM ${schema}.transactions)::int AS transactions`)).rows[0]
  console.log(`ledger after the run: ${counted.tenders} tenders, ${counted.transactions} transactions in ${books.length} books`)
  await pool.query(`DROP SCHEMA ${schema} CASCADE`)
  await pool.end()
}

console.log(`\nREST benchmark (Node ${process.version}, ${seconds}s per run, ${connections} connections, autocannon; CPU per request from /proc)\n`)
const us = (v?: number) => v === undefined ? '-' : v.toFixed(0)
console.log('| endpoint | requests/s | tenders/s | p50 ms | p99 ms | errors | non-2xx | server CPU µs/req | PostgreSQL CPU µs/req |')
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
for (const r of rows) console.log(`| ${r.name} | ${r.rate.toFixed(0)} | ${r.tenders === undefined ? '-' : r.tenders.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${us(r.serverUs)} | ${us(r.postgresUs)} |`)
const goal = (label: string, tenders: number) => {
  const ratio = tenders / rows[0]!.rate
  console.log(`Goal, durable tenders/s at least half the empty route's requests/s, ${label}: ${(100 * ratio).toFixed(0)}% -> ${ratio >= 0.5 ? 'met' : 'MISSED'}`)
}
console.log('')
goal('one tender per request', rows[1]!.tenders!)
goal('24 tenders per request', rows[2]!.tenders!)
