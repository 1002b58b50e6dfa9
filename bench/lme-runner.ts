/**
 * Runs every workload on one engine, in a process of its own (started by bench/lme.ts with
 * --expose-gc), and prints one JSON line of results per workload.
 */
import { ENGINES, type BenchEngine } from './lme-engines.js'
import { Kind, workloads, type Op, type Workload } from './lme-workloads.js'

const [engineName, scaleArg, runsArg] = process.argv.slice(2)
const engine: BenchEngine = ENGINES[engineName!]!()
const scale = Number(scaleArg ?? '1')
const runs = Number(runsArg ?? '5')
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

function apply (op: Op): void {
  if (op.kind === Kind.Add) engine.add(op.book, op.id, op.side, op.price, op.quantity)
  else if (op.kind === Kind.Cancel) engine.cancel(op.book, op.id)
  else engine.reduce(op.book, op.id, op.quantity)
}

function prepare (w: Workload): void {
  engine.reset(w.books)
  for (const op of w.setup) apply(op)
}

function timed (w: Workload): number {
  prepare(w)
  const start = process.hrtime.bigint()
  const ops = w.ops
  for (let i = 0; i < ops.length; i++) apply(ops[i]!)
  return Number(process.hrtime.bigint() - start) / 1e9
}

function percentile (sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

// K1 is K's baseline for our own engine only (how much 288 books cost over one).
for (const w of workloads(scale).filter((x) => x.name !== 'K1' || engineName === 'te-gateway')) {
  timed(w) // warm-up
  const rates: number[] = []
  for (let r = 0; r < runs; r++) rates.push(w.ops.length / timed(w))
  rates.sort((a, b) => a - b)
  const checksum = `${engine.volume()}|${engine.depth()}`

  // Latency: a separate pass that times every operation.
  prepare(w)
  const latencies = new Float64Array(w.ops.length)
  for (let i = 0; i < w.ops.length; i++) {
    const t = process.hrtime.bigint()
    apply(w.ops[i]!)
    latencies[i] = Number(process.hrtime.bigint() - t)
  }
  latencies.sort()

  // Memory: heap held per resting order once the setup is entered.
  let bytesPerOrder: number | undefined
  if (w.setup.length >= 10_000) {
    engine.reset(0)
    gc(); gc()
    const before = process.memoryUsage().heapUsed
    prepare(w)
    gc(); gc()
    bytesPerOrder = (process.memoryUsage().heapUsed - before) / w.setup.length
  }

  console.log(JSON.stringify({
    engine: engine.name, workload: w.name, description: w.description, ops: w.ops.length,
    opsPerSecond: rates[Math.floor(rates.length / 2)], p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), p999: percentile(latencies, 0.999),
    bytesPerOrder, checksum, differs: engine.differs
  }))
}
