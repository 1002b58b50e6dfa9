/**
 * LME benchmark: our order book against the npm order books a TypeScript user would pick instead,
 * on identical pre-generated order streams (seeded PRNG), each engine in a worker thread of its
 * own, one after another.
 *   npm run bench:lme [-- --length 600000 --runs 5 --engines te-gateway,nodejs-order-book]
 *
 * Workers run TypeScript through tsx's register API (Node 20 does not apply --import hooks to a
 * worker's .ts entry), and have gc because the flag is set before they start (Worker refuses
 * --expose-gc in execArgv).
 */
import { Worker } from 'node:worker_threads'
import { setFlagsFromString } from 'node:v8'
import { parseArgs } from 'node:util'
import type { WorkerInput, WorkloadResult } from './lme-worker.js'
import type { WorkloadName } from './lme-workloads.js'

const { values } = parseArgs({
  options: {
    length: { type: 'string', default: '600000' },
    runs: { type: 'string', default: '5' },
    engines: { type: 'string', default: 'te-gateway,te-gateway mechanism,nodejs-order-book,limit-order-book' }
  }
})
const length = Number(values.length)
const runs = Number(values.runs)
const engines = values.engines!.split(',')
const OURS = 'te-gateway'
const MECHANISM = 'te-gateway mechanism'
const PEER_WORKLOADS: WorkloadName[] = ['A', 'M', 'Q', 'K']
/** K1 and KW are baselines for K, run for our engine only. */
const OUR_WORKLOADS: WorkloadName[] = ['A', 'M', 'Q', 'K', 'K1', 'KW']

setFlagsFromString('--expose-gc')
const workerUrl = new URL('./lme-worker.ts', import.meta.url).href
const bootstrap = `import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(workerUrl)})`

function runEngine (engine: string): Promise<WorkloadResult[]> {
  const input: WorkerInput = { engine, workloads: engine.startsWith(OURS) ? OUR_WORKLOADS : PEER_WORKLOADS, length, runs }
  return new Promise((resolve, reject) => {
    const results: WorkloadResult[] = []
    const worker = new Worker(bootstrap, { eval: true, workerData: input })
    worker.on('message', (r: WorkloadResult) => {
      results.push(r)
      process.stderr.write(`  ${engine} ${r.workload}: ${fmt(r.opsPerSecond)} ops/s\n`)
    })
    worker.on('error', reject)
    worker.on('exit', (code) => code === 0 ? resolve(results) : reject(new Error(`${engine} worker exited with ${code}`)))
  })
}

const fmt = (n: number) => n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0)
const us = (ns: number) => (ns / 1000).toFixed(2)

const began = Date.now()
console.log(`LME benchmark (Node ${process.version}, ${engines.length} engines, stream of ${length} ops per workload, median of ${runs} timed segments after a warm-up one)`)
const results: WorkloadResult[] = []
for (const engine of engines) {
  process.stderr.write(`running ${engine} ...\n`)
  results.push(...await runEngine(engine))
}

const find = (w: string, e: string) => results.find((r) => r.workload === w && r.engine === e)
console.log('\n| workload | engine | ops/s | p50 µs | p99 µs | p99.9 µs | bytes/resting order | te-gateway ÷ this | fills as ours |')
console.log('|---|---|---:|---:|---:|---:|---:|---:|---|')
for (const w of OUR_WORKLOADS) {
  const ours = find(w, OURS)
  for (const r of results.filter((x) => x.workload === w)) {
    const ratio = ours === undefined || r === ours ? '' : `${(ours.opsPerSecond / r.opsPerSecond).toFixed(1)}x`
    const same = ours === undefined || r === ours ? '(reference)' : r.checksum === ours.checksum && r.restingAfterCheck === ours.restingAfterCheck ? 'yes' : r.differs !== undefined ? 'no (see note)' : 'NO'
    console.log(`| ${w} | ${r.engine} | ${fmt(r.opsPerSecond)} | ${us(r.p50)} | ${us(r.p99)} | ${us(r.p999)} | ${r.bytesPerOrder === undefined ? 'n/a' : r.bytesPerOrder.toFixed(0)} | ${ratio} | ${same} |`)
  }
}

console.log('\nWorkloads:')
for (const w of OUR_WORKLOADS) {
  const r = results.find((x) => x.workload === w)
  if (r === undefined) continue
  const marketable = r.marketableShare > 0 ? `; ${(100 * r.marketableShare).toFixed(1)}% of adds marketable` : ''
  console.log(`  ${w}: ${r.description}${marketable}; fills compared on the first ${r.checkOps} ops`)
}
console.log('\nSegments timed (ops per segment, by engine): ' + [...new Set(results.map((r) => r.engine))]
  .map((e) => `${e} ${results.filter((r) => r.engine === e).map((r) => `${r.workload} ${r.segment}`).join(', ')}`).join('; '))
console.log(`Latency includes the timer's own cost: two readings with nothing between them are ${Math.round(results[0]?.timerNs ?? 0)} ns apart (median) on this machine. Bytes per resting order: heap + external memory after gc, over >= 100,000 resting orders (the setup copied into more books where smaller).`)
for (const e of engines) {
  const d = results.find((r) => r.engine === e)?.differs
  if (d !== undefined) console.log(`Note: ${e}: ${d}.`)
}

const ours = (w: string) => find(w, OURS)
const peer = (w: string, e: string) => find(w, e)
const goals: Array<[string, boolean, string]> = []
const m = ours('M')
const nob = peer('M', 'nodejs-order-book')
if (m !== undefined && nob !== undefined) goals.push(['M >= 5x nodejs-order-book', m.opsPerSecond >= 5 * nob.opsPerSecond, `${(m.opsPerSecond / nob.opsPerSecond).toFixed(1)}x`])
if (m !== undefined) goals.push(['M >= 2.5M ops/s', m.opsPerSecond >= 2.5e6, `${fmt(m.opsPerSecond)} (the MarketMechanism with its events: ${fmt(find('M', MECHANISM)?.opsPerSecond ?? NaN)})`])
const q = ours('Q')
if (q !== undefined) goals.push(['Q >= 1M ops/s (O(1) cancel)', q.opsPerSecond >= 1e6, fmt(q.opsPerSecond)])
const k = ours('K')
const kw = ours('KW')
const k1 = ours('K1')
if (k !== undefined && kw !== undefined) {
  goals.push(['K within 20% of one book holding the same 100,000 orders (KW)', k.opsPerSecond >= 0.8 * kw.opsPerSecond,
    `K ${fmt(k.opsPerSecond)} = ${(100 * k.opsPerSecond / kw.opsPerSecond).toFixed(0)}% of KW${k1 === undefined ? '' : `; ${(100 * k.opsPerSecond / k1.opsPerSecond).toFixed(0)}% of K1, one book of a K book's size (the difference is memory: 100,000 resting orders do not fit in cache)`}`])
}
const memory = OUR_WORKLOADS.map((w) => ours(w)).filter((r): r is WorkloadResult => r?.bytesPerOrder !== undefined)
if (memory.length > 0) {
  const worst = memory.reduce((a, b) => (a.bytesPerOrder! >= b.bytesPerOrder! ? a : b))
  goals.push(['<= 200 bytes per resting order', worst.bytesPerOrder! <= 200, `at most ${worst.bytesPerOrder!.toFixed(0)} B (${worst.workload}); K ${ours('K')?.bytesPerOrder?.toFixed(0) ?? '?'} B`])
}
console.log('\nGoals:')
for (const [goal, met, figure] of goals) console.log(`  ${met ? 'met   ' : 'MISSED'}  ${goal}: ${figure}`)
console.log(`\n(${((Date.now() - began) / 1000).toFixed(0)} s)`)
