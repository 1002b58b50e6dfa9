/**
 * LME benchmark: our order book against the npm order books a TypeScript user would pick instead,
 * on identical pre-generated order streams, each engine in a process of its own, one after another.
 *   npm run bench:lme [-- --scale 0.5 --runs 5]
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' }, runs: { type: 'string', default: '5' } } })
const runner = fileURLToPath(new URL('./lme-runner.ts', import.meta.url))
const engines = ['te-gateway', 'nodejs-order-book', 'limit-order-book']

interface Result {
  engine: string
  workload: string
  description: string
  ops: number
  opsPerSecond: number
  p50: number
  p99: number
  p999: number
  bytesPerOrder?: number
  checksum: string
  differs?: string
}

function runEngine (engine: string): Promise<Result[]> {
  return new Promise((resolve, reject) => {
    const child = fork(runner, [engine, values.scale!, values.runs!], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      for (const line of d.toString().trim().split('\n')) {
        if (line.startsWith('{')) { const r = JSON.parse(line) as Result; process.stderr.write(`  ${engine} ${r.workload}: ${fmt(r.opsPerSecond)} ops/s\n`) }
      }
    })
    child.on('exit', (code) => code === 0
      ? resolve(out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Result))
      : reject(new Error(`${engine} runner exited with ${code}`)))
  })
}

const fmt = (n: number) => n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0)
const us = (ns: number) => `${(ns / 1000).toFixed(2)}`

const results: Result[] = []
console.log(`LME benchmark: ${engines.join(', ')} (scale ${values.scale}, median of ${values.runs} runs after warm-up; Node ${process.version})`)
for (const engine of engines) {
  process.stderr.write(`running ${engine} ...\n`)
  results.push(...await runEngine(engine))
}

const workloadNames = [...new Set(results.map((r) => r.workload))]
console.log('\n| workload | engine | ops | ops/s | p50 µs | p99 µs | p99.9 µs | bytes/resting order | ours vs this | same fills |')
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---|')
for (const w of workloadNames) {
  const ours = results.find((r) => r.workload === w && r.engine === 'te-gateway')!
  for (const r of results.filter((x) => x.workload === w)) {
    const ratio = r === ours ? '' : `${(ours.opsPerSecond / r.opsPerSecond).toFixed(1)}x`
    const same = r === ours ? '(reference)' : r.checksum === ours.checksum ? 'yes' : r.differs !== undefined ? 'no (see note)' : 'NO'
    console.log(`| ${w} | ${r.engine} | ${r.ops} | ${fmt(r.opsPerSecond)} | ${us(r.p50)} | ${us(r.p99)} | ${us(r.p999)} | ${r.bytesPerOrder === undefined ? '' : r.bytesPerOrder.toFixed(0)} | ${ratio} | ${same} |`)
  }
}
for (const r of results.filter((x) => x.differs !== undefined && x.workload === 'A')) console.log(`\nNote: ${r.engine}: ${r.differs}.`)

const ours = (w: string) => results.find((r) => r.workload === w && r.engine === 'te-gateway')!
const peer = (w: string, e: string) => results.find((r) => r.workload === w && r.engine === e)!
const goals = [
  [`M >= 5x nodejs-order-book`, ours('M').opsPerSecond >= 5 * peer('M', 'nodejs-order-book').opsPerSecond, `${(ours('M').opsPerSecond / peer('M', 'nodejs-order-book').opsPerSecond).toFixed(1)}x`],
  ['M >= 2.5M ops/s', ours('M').opsPerSecond >= 2.5e6, fmt(ours('M').opsPerSecond)],
  ['Q >= 1M ops/s (O(1) cancel)', ours('Q').opsPerSecond >= 1e6, fmt(ours('Q').opsPerSecond)],
  ['K within 20% of one book holding the same 100,000 orders (K1)', ours('K').opsPerSecond >= 0.8 * ours('K1').opsPerSecond, `${(100 * ours('K').opsPerSecond / ours('K1').opsPerSecond).toFixed(0)}% of K1`],
  ['<= 200 bytes per resting order', (ours('K').bytesPerOrder ?? Infinity) <= 200, `${ours('K').bytesPerOrder?.toFixed(0)} B (K setup, 100,000 orders)`]
] as const
console.log('\nGoals:')
for (const [goal, met, figure] of goals) console.log(`  ${met ? 'met ' : 'MISSED'}  ${goal}: ${figure}`)
