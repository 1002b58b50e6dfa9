/**
 * Runs the workloads on one engine, in a worker thread of its own (started by bench/lme.ts,
 * which exposes gc), and posts one result per workload.
 *
 * Per workload, each on a fresh engine with the setup entered untimed:
 * 1. throughput: a warm-up segment of the stream, as long as the engine gets through in about
 *    0.1 s (at least 1,000 ops, at most a sixth of the stream), then `runs` timed segments of the
 *    same length that follow it: ops/s is their median;
 * 2. latency: the same ops again, each timed alone (performance.now() around each);
 * 3. fill checksum: the first `checkOps` ops, every fill folded into a hash;
 * 4. memory: the setup entered again (copied into more books until it holds >= 100,000 orders),
 *    heap and external memory measured around it after gc, per resting order.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { ENGINES, type BenchEngine } from './lme-engines.js'
import { Kind, workload, type Op, type WorkloadName } from './lme-workloads.js'

export interface WorkerInput {
  engine: string
  workloads: WorkloadName[]
  length: number
  runs: number
}

export interface WorkloadResult {
  engine: string
  workload: WorkloadName
  description: string
  marketableShare: number
  segment: number
  opsPerSecond: number
  /** Per-op latency percentiles in ns (the timer's own cost included: timerNs is the floor). */
  p50: number
  p99: number
  p999: number
  timerNs: number
  bytesPerOrder?: number
  memoryOrders?: number
  checksum: string
  checkOps: number
  restingAfterCheck: number
  differs?: string
}

const input = workerData as WorkerInput
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

function apply (engine: BenchEngine, op: Op): void {
  if (op.kind === Kind.Add) engine.add(op.book, op.id, op.side, op.price, op.quantity)
  else if (op.kind === Kind.Cancel) engine.cancel(op.book, op.id)
  else engine.reduce(op.book, op.id, op.quantity)
}

function run (engine: BenchEngine, ops: Op[], from: number, to: number): void {
  for (let i = from; i < to; i++) apply(engine, ops[i]!)
}

function fresh (setup: Op[], books: number, record = false): BenchEngine {
  const engine = ENGINES[input.engine]!(record)
  engine.reset(books)
  run(engine, setup, 0, setup.length)
  return engine
}

/** The median interval between two timer readings with nothing between them: the latency floor. */
function timerFloor (): number {
  const n = 100_000
  const d = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    d[i] = (performance.now() - t) * 1e6
  }
  return d.sort()[n >> 1]!
}

/** Full gcs, with pauses for the sweeping of freed array buffers (external memory) to finish. */
async function settle (): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((resolve) => setTimeout(resolve, 30))
  }
}

for (const name of input.workloads) {
  const w = workload(name, input.length)
  const ops = w.ops
  const maxSegment = Math.floor(ops.length / (input.runs + 1))

  // 1. Throughput.
  gc()
  let engine = fresh(w.setup, w.books)
  let segment = 0
  const start = performance.now()
  while (segment < maxSegment && (segment < 1_000 || performance.now() - start < 100)) {
    const to = Math.min(maxSegment, segment + 1_000)
    run(engine, ops, segment, to)
    segment = to
  }
  const rates: number[] = []
  for (let r = 1; r <= input.runs; r++) {
    const t = performance.now()
    run(engine, ops, r * segment, (r + 1) * segment)
    rates.push(segment / ((performance.now() - t) / 1000))
  }
  rates.sort((a, b) => a - b)

  // 2. Latency of each op.
  engine = fresh(w.setup, w.books)
  gc()
  const n = (input.runs + 1) * segment
  const latencies = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const op = ops[i]!
    const t = performance.now()
    apply(engine, op)
    latencies[i] = (performance.now() - t) * 1e6
  }
  latencies.sort()
  const at = (p: number) => latencies[Math.min(n - 1, Math.floor(p * n))]!

  // 3. Fill checksum on the common prefix.
  engine = fresh(w.setup, w.books, true)
  run(engine, ops, 0, w.checkOps)
  const checksum = engine.checksum()
  const restingAfterCheck = engine.resting()

  // 4. Memory per resting order.
  let bytesPerOrder: number | undefined
  let memoryOrders: number | undefined
  if (w.setup.length > 0) {
    const copies = Math.ceil(100_000 / w.setup.length)
    const setup: Op[] = []
    for (let c = 0; c < copies; c++) for (const op of w.setup) setup.push({ ...op, book: op.book + c * w.books, id: c === 0 ? op.id : `${op.id}/${c}` })
    engine = ENGINES[input.engine]!(false)
    engine.reset(0)
    await settle()
    const before = process.memoryUsage()
    engine.reset(w.books * copies)
    run(engine, setup, 0, setup.length)
    await settle()
    const after = process.memoryUsage()
    memoryOrders = engine.resting()
    bytesPerOrder = (after.heapUsed + after.external - before.heapUsed - before.external) / memoryOrders
  }

  const result: WorkloadResult = {
    engine: input.engine, workload: name, description: w.description, marketableShare: w.marketableShare, segment,
    opsPerSecond: rates[Math.floor(rates.length / 2)]!, p50: at(0.5), p99: at(0.99), p999: at(0.999), timerNs: timerFloor(),
    bytesPerOrder, memoryOrders, checksum, checkOps: w.checkOps, restingAfterCheck, differs: ENGINES[input.engine]!(false).differs
  }
  parentPort!.postMessage(result)
}
