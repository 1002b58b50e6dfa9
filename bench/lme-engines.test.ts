/**
 * The benchmark compares like with like: on the same streams, the peers end with the same traded
 * volume and the same book as ours (where their semantics coincide).
 */
import { describe, expect, it } from 'vitest'
import { ENGINES } from './lme-engines.js'
import { Kind, workloads, type Op } from './lme-workloads.js'

function run (name: string, w: ReturnType<typeof workloads>[number]): string {
  const engine = ENGINES[name]!()
  engine.reset(w.books)
  const apply = (op: Op) => op.kind === Kind.Add
    ? engine.add(op.book, op.id, op.side, op.price, op.quantity)
    : op.kind === Kind.Cancel ? engine.cancel(op.book, op.id) : engine.reduce(op.book, op.id, op.quantity)
  for (const op of w.setup) apply(op)
  for (const op of w.ops) apply(op)
  return `${engine.volume()}|${engine.depth()}`
}

describe('benchmark engines', () => {
  const small = workloads(0.02).filter((w) => w.name === 'A' || w.name === 'M' || w.name === 'Q')
  it.each(small.map((w) => [w.name, w] as const))('workload %s: limit-order-book and nodejs-order-book end as ours', (_name, w) => {
    const ours = run('te-gateway', w)
    if (w.name === 'M') expect(Number(ours.split('|')[0])).toBeGreaterThan(0)
    expect(run('limit-order-book', w)).toBe(ours)
    if (w.name !== 'M') expect(run('nodejs-order-book', w)).toBe(ours)
  })
})
