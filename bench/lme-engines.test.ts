/**
 * The benchmark compares like with like: on the same streams, the engines make the same fills
 * (checksum) and leave the same number of resting orders, where their semantics coincide.
 */
import { describe, expect, it } from 'vitest'
import { ENGINES } from './lme-engines.js'
import { Kind, workload, type Op, type WorkloadName } from './lme-workloads.js'

function run (name: string, w: ReturnType<typeof workload>): string {
  const engine = ENGINES[name]!(true)
  engine.reset(w.books)
  const apply = (op: Op) => op.kind === Kind.Add
    ? engine.add(op.book, op.id, op.side, op.price, op.quantity)
    : op.kind === Kind.Cancel ? engine.cancel(op.book, op.id) : engine.reduce(op.book, op.id, op.quantity)
  for (const op of w.setup) apply(op)
  for (const op of w.ops.slice(0, w.checkOps)) apply(op)
  return `${engine.checksum()}|${engine.resting()}`
}

describe('benchmark engines', () => {
  it.each<WorkloadName>(['A', 'M', 'Q', 'K1'])('workload %s: same fills from our book, our mechanism, limit-order-book, and nodejs-order-book where it keeps priority', (name) => {
    const w = workload(name, 6_000)
    const ours = run('te-gateway', w)
    const none = run('te-gateway', { ...w, ops: [] })
    if (name === 'M' || name === 'K1') expect(ours.split('|')[0]).not.toBe(none.split('|')[0]) // some fills happened
    expect(run('te-gateway mechanism', w)).toBe(ours)
    expect(run('limit-order-book', w)).toBe(ours)
    // nodejs-order-book re-queues a reduced order (see its `differs`): only streams without reduces agree.
    if (!w.ops.slice(0, w.checkOps).some((op) => op.kind === Kind.Reduce)) expect(run('nodejs-order-book', w)).toBe(ours)
  })

  it('steady-state streams stay near their target of resting orders', () => {
    const m = workload('M', 20_000)
    expect(m.restingAtEnd).toBeGreaterThan(900)
    expect(m.restingAtEnd).toBeLessThan(1_100)
    expect(m.marketableShare).toBeGreaterThan(0.01)
  })
})
