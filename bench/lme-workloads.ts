/**
 * The benchmark's order streams, generated from a seeded PRNG so that every engine, in its own
 * process, gets exactly the same commands. Liveness (which orders a cancel can name) is tracked
 * with a simulation of the stream in our own order book, before any timing.
 */
import { OrderBook } from '../market/lme/order-book.js'

export const Kind = { Add: 0, Cancel: 1, Reduce: 2 } as const
export type Kind = typeof Kind[keyof typeof Kind]

export interface Op {
  kind: Kind
  book: number
  id: string
  side: 0 | 1 // 0 buy, 1 sell
  price: number
  quantity: number
}

export interface Workload {
  name: string
  description: string
  books: number
  /** Orders entered before the timed stream (not timed). */
  setup: Op[]
  ops: Op[]
}

/** mulberry32: small, fast, seeded. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** One simulated book: our OrderBook plus the set of live order ids, for picking cancels. */
class Simulation {
  readonly live: string[] = []
  private readonly index = new Map<string, number>()
  readonly book = new OrderBook({
    fill: (maker) => { if (maker.remaining === 0) this.drop(maker.orderId) },
    cancel: (orderId, _p, _s, _c, remaining) => { if (remaining === 0) this.drop(orderId) }
  }, 'allow')

  add (op: Op): void {
    this.book.enter(op.id, 'p', op.side === 0 ? 'buy' : 'sell', op.price, op.quantity)
    if (this.book.has(op.id)) { this.index.set(op.id, this.live.length); this.live.push(op.id) }
  }

  private drop (id: string): void {
    const i = this.index.get(id)
    if (i === undefined) return
    const last = this.live.pop()!
    if (last !== id) { this.live[i] = last; this.index.set(last, i) }
    this.index.delete(id)
  }
}

const MID = 10_000

function passive (rand: () => number, book: number, id: string, spread = 50): Op {
  const side = rand() < 0.5 ? 0 : 1
  const offset = 1 + Math.floor(rand() * spread)
  return { kind: Kind.Add, book, id, side, price: side === 0 ? MID - offset : MID + offset, quantity: 1 + Math.floor(rand() * 100) }
}

/** Steady-state ops on simulated books: 50% adds (1 in 5 marketable, walking 1-3 levels), 40% cancels, 10% reduces. */
function steady (rand: () => number, sims: Simulation[], count: number, prefix: string): Op[] {
  const ops: Op[] = []
  for (let i = 0; i < count; i++) {
    const b = Math.floor(rand() * sims.length)
    const sim = sims[b]!
    const r = rand()
    let op: Op
    if (r < 0.5 || sim.live.length === 0) {
      const id = `${prefix}${i}`
      if (rand() < 0.2) {
        const side = rand() < 0.5 ? 0 : 1
        const levels = sim.book.levels(side === 0 ? 'sell' : 'buy')
        const walk = Math.min(levels.length, 1 + Math.floor(rand() * 3))
        if (walk === 0) op = passive(rand, b, id)
        else {
          let quantity = 0
          for (let k = 0; k < walk - 1; k++) quantity += levels[k]!.quantity
          quantity += 1 + Math.floor(rand() * levels[walk - 1]!.quantity)
          op = { kind: Kind.Add, book: b, id, side, price: levels[walk - 1]!.price, quantity }
        }
      } else op = passive(rand, b, id)
      sim.add(op)
    } else {
      const id = sim.live[Math.floor(rand() * sim.live.length)]!
      const order = sim.book.order(id)!
      if (r < 0.9 || order.remaining < 2) {
        op = { kind: Kind.Cancel, book: b, id, side: order.side === 'buy' ? 0 : 1, price: order.price, quantity: 0 }
        sim.book.cancel(id)
      } else {
        const quantity = 1 + Math.floor(rand() * (order.remaining - 1))
        op = { kind: Kind.Reduce, book: b, id, side: order.side === 'buy' ? 0 : 1, price: order.price, quantity }
        sim.book.reduce(id, quantity)
      }
    }
    ops.push(op)
  }
  return ops
}

function populate (rand: () => number, sims: Simulation[], perBook: number): Op[] {
  const setup: Op[] = []
  sims.forEach((sim, b) => {
    for (let i = 0; i < perBook; i++) {
      const op = passive(rand, b, `s${b}-${i}`)
      sim.add(op)
      setup.push(op)
    }
  })
  return setup
}

export function workloads (scale = 1): Workload[] {
  const n = (x: number) => Math.max(1, Math.round(x * scale))
  const out: Workload[] = []

  {
    const ops: Op[] = []
    for (let i = 0; i < n(25_000); i++) {
      const id = `a${i}`
      const side = i % 2 === 0 ? 0 : 1
      const price = side === 0 ? MID - 1 - (i % 50) : MID + 1 + (i % 50)
      ops.push({ kind: Kind.Add, book: 0, id, side, price, quantity: 10 }, { kind: Kind.Cancel, book: 0, id, side, price, quantity: 0 })
    }
    out.push({ name: 'A', description: 'add then cancel', books: 1, setup: [], ops })
  }
  {
    const rand = prng(1)
    const sims = [new Simulation()]
    const setup = populate(rand, sims, 1_000)
    out.push({ name: 'M', description: 'steady state, 1,000 resting: 50% adds, 40% cancels, 10% reduces', books: 1, setup, ops: steady(rand, sims, n(50_000), 'm') })
  }
  {
    const rand = prng(2)
    const sim = new Simulation()
    const setup: Op[] = []
    for (let i = 0; i < 10_000; i++) {
      const op: Op = { kind: Kind.Add, book: 0, id: `q${i}`, side: 1, price: MID, quantity: 10 }
      sim.add(op)
      setup.push(op)
    }
    const ops: Op[] = []
    for (let i = 0; i < n(2_500); i++) {
      const id = sim.live[Math.floor(rand() * sim.live.length)]!
      ops.push({ kind: Kind.Cancel, book: 0, id, side: 1, price: MID, quantity: 0 })
      sim.book.cancel(id)
      const add: Op = { kind: Kind.Add, book: 0, id: `qn${i}`, side: 1, price: MID, quantity: 10 }
      sim.add(add)
      ops.push(add)
    }
    out.push({ name: 'Q', description: 'deep queue: 10,000 orders at one price, random cancel + add', books: 1, setup, ops })
  }
  {
    const rand = prng(3)
    const sims = Array.from({ length: 288 }, () => new Simulation())
    const setup = populate(rand, sims, Math.round(100_000 / 288))
    out.push({ name: 'K', description: '288 books (5-minute intervals of a day), 100,000 resting', books: 288, setup, ops: steady(rand, sims, n(50_000), 'k') })
  }
  {
    // K's baseline: the same number of resting orders and the same op mix in one book.
    const rand = prng(3)
    const sims = [new Simulation()]
    const setup = populate(rand, sims, 100_000)
    out.push({ name: 'K1', description: 'baseline for K: one book, 100,000 resting', books: 1, setup, ops: steady(rand, sims, n(50_000), 'k') })
  }
  return out
}
