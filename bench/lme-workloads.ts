/**
 * The benchmark's order streams, generated from a seeded PRNG so that every engine, in its own
 * worker, gets exactly the same commands. Which orders exist (what a cancel or reduce can name,
 * what a marketable order meets) is tracked by simulating the stream in our own order book before
 * any timing.
 *
 * Steady-state streams (M, K, K1) hold their books near a target number of resting orders: the op
 * mix is fixed (50% adds, 40% cancels, 10% reduces), and an add is marketable (walking 1 to 3
 * levels of the other side, never resting) with probability 1/4 while its book is at or above the
 * target and 0 below it, since marketable adds are what drain a book.
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
  /** The stream: the engines run it in segments (a warm-up, then the timed runs). */
  ops: Op[]
  /** How many ops from the start of the stream every engine runs for the fill checksum. */
  checkOps: number
  /** Share of the adds that were marketable, and resting orders at the end (from the simulation). */
  marketableShare: number
  restingAtEnd: number
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

/** One simulated book: our OrderBook plus the list of live order ids, for picking cancels. */
class Simulation {
  readonly live: string[] = []
  private readonly index = new Map<string, number>()
  readonly book = new OrderBook({
    fill: (makerId, _party, makerRemaining) => { if (makerRemaining === 0) this.drop(makerId) },
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
const SPREAD = 50

function passive (rand: () => number, book: number, id: string, spread = SPREAD): Op {
  const side = rand() < 0.5 ? 0 : 1
  const offset = 1 + Math.floor(rand() * spread)
  return { kind: Kind.Add, book, id, side, price: side === 0 ? MID - offset : MID + offset, quantity: 1 + Math.floor(rand() * 100) }
}

/** Steady-state ops on simulated books: 50% adds (some marketable, walking 1-3 levels), 40% cancels, 10% reduces. */
function steady (rand: () => number, sims: Simulation[], count: number, prefix: string, target: number, spread = SPREAD): { ops: Op[], marketableShare: number } {
  const ops: Op[] = []
  let adds = 0
  let marketable = 0
  for (let i = 0; i < count; i++) {
    const b = Math.floor(rand() * sims.length)
    const sim = sims[b]!
    const r = rand()
    let op: Op
    if (r < 0.5 || sim.live.length === 0) {
      const id = `${prefix}${i}`
      adds++
      op = passive(rand, b, id, spread)
      if (sim.book.size >= target && rand() < 0.25) {
        const side = rand() < 0.5 ? 0 : 1
        const levels = sim.book.levels(side === 0 ? 'sell' : 'buy', 3)
        const walk = Math.min(levels.length, 1 + Math.floor(rand() * 3))
        if (walk > 0) {
          let quantity = 0
          for (let k = 0; k < walk - 1; k++) quantity += levels[k]!.quantity
          quantity += 1 + Math.floor(rand() * levels[walk - 1]!.quantity)
          op = { kind: Kind.Add, book: b, id, side, price: levels[walk - 1]!.price, quantity }
          marketable++
        }
      }
      sim.add(op)
    } else {
      const id = sim.live[Math.floor(rand() * sim.live.length)]!
      const order = sim.book.order(id)!
      const side = order.side === 'buy' ? 0 : 1
      if (r < 0.9 || order.remaining < 2) {
        op = { kind: Kind.Cancel, book: b, id, side, price: order.price, quantity: 0 }
        sim.book.cancel(id)
      } else {
        const quantity = 1 + Math.floor(rand() * (order.remaining - 1))
        op = { kind: Kind.Reduce, book: b, id, side, price: order.price, quantity }
        sim.book.reduce(id, quantity)
      }
    }
    ops.push(op)
  }
  return { ops, marketableShare: adds === 0 ? 0 : marketable / adds }
}

function populate (rand: () => number, sims: Simulation[], perBook: number, spread = SPREAD): Op[] {
  const setup: Op[] = []
  sims.forEach((sim, b) => {
    for (let i = 0; i < perBook; i++) {
      const op = passive(rand, b, `s${b}-${i}`, spread)
      sim.add(op)
      setup.push(op)
    }
  })
  return setup
}

const resting = (sims: Simulation[]) => sims.reduce((n, s) => n + s.book.size, 0)

export const WORKLOADS = ['A', 'M', 'Q', 'K', 'K1', 'KW'] as const
export type WorkloadName = typeof WORKLOADS[number]

/** K: 288 books of about 347 resting orders each (100,000 in all). K1: one book like one of K's. */
const K_BOOKS = 288
const K_PER_BOOK = Math.round(100_000 / K_BOOKS)

/**
 * One workload, with a stream of `length` ops (the engines run it as a warm-up segment and five
 * timed segments, slow engines a shorter prefix).
 */
export function workload (name: WorkloadName, length = 600_000): Workload {
  switch (name) {
    case 'A': {
      const ops: Op[] = []
      for (let i = 0; i < length / 2; i++) {
        const id = `a${i}`
        const side = i % 2 === 0 ? 0 : 1
        const price = side === 0 ? MID - 1 - (i % SPREAD) : MID + 1 + (i % SPREAD)
        ops.push({ kind: Kind.Add, book: 0, id, side, price, quantity: 10 }, { kind: Kind.Cancel, book: 0, id, side, price, quantity: 0 })
      }
      return { name, description: 'add, then cancel it (empty book)', books: 1, setup: [], ops, checkOps: Math.min(length, 20_000), marketableShare: 0, restingAtEnd: 0 }
    }
    case 'M': {
      const rand = prng(1)
      const sims = [new Simulation()]
      const setup = populate(rand, sims, 1_000)
      const { ops, marketableShare } = steady(rand, sims, length, 'm', 1_000)
      return { name, description: 'one book, steady state of 1,000 resting: 50% adds, 40% cancels, 10% reduces', books: 1, setup, ops, checkOps: Math.min(length, 20_000), marketableShare, restingAtEnd: resting(sims) }
    }
    case 'Q': {
      const rand = prng(2)
      const sim = new Simulation()
      const setup: Op[] = []
      for (let i = 0; i < 10_000; i++) {
        const op: Op = { kind: Kind.Add, book: 0, id: `q${i}`, side: 1, price: MID, quantity: 10 }
        sim.add(op)
        setup.push(op)
      }
      const ops: Op[] = []
      for (let i = 0; i < length / 2; i++) {
        const id = sim.live[Math.floor(rand() * sim.live.length)]!
        ops.push({ kind: Kind.Cancel, book: 0, id, side: 1, price: MID, quantity: 0 })
        sim.book.cancel(id)
        const add: Op = { kind: Kind.Add, book: 0, id: `qn${i}`, side: 1, price: MID, quantity: 10 }
        sim.add(add)
        ops.push(add)
      }
      return { name, description: 'deep queue: 10,000 orders at one price, cancel a random one + add one', books: 1, setup, ops, checkOps: Math.min(length, 2_000), marketableShare: 0, restingAtEnd: resting([sim]) }
    }
    case 'K': {
      const rand = prng(3)
      const sims = Array.from({ length: K_BOOKS }, () => new Simulation())
      const setup = populate(rand, sims, K_PER_BOOK)
      const { ops, marketableShare } = steady(rand, sims, length, 'k', K_PER_BOOK)
      return { name, description: `${K_BOOKS} books (5-minute intervals of a day), ${setup.length} resting, M's mix on a random book`, books: K_BOOKS, setup, ops, checkOps: Math.min(length, 20_000), marketableShare, restingAtEnd: resting(sims) }
    }
    case 'K1': {
      const rand = prng(4)
      const sims = [new Simulation()]
      const setup = populate(rand, sims, K_PER_BOOK)
      const { ops, marketableShare } = steady(rand, sims, length, 'l', K_PER_BOOK)
      return { name, description: `K's baseline: one book like one of K's (${K_PER_BOOK} resting), the same mix`, books: 1, setup, ops, checkOps: Math.min(length, 20_000), marketableShare, restingAtEnd: resting(sims) }
    }
    case 'KW': {
      // K's orders in one book: K's density per price level over a band 288 times as wide.
      const rand = prng(5)
      const sims = [new Simulation()]
      const spread = SPREAD * K_BOOKS
      const setup = populate(rand, sims, K_PER_BOOK * K_BOOKS, spread)
      const { ops, marketableShare } = steady(rand, sims, length, 'w', K_PER_BOOK * K_BOOKS, spread)
      return { name, description: `K's ${K_PER_BOOK * K_BOOKS} orders in one book, at K's density per level over a ${K_BOOKS} times wider band`, books: 1, setup, ops, checkOps: Math.min(length, 20_000), marketableShare, restingAtEnd: resting(sims) }
    }
  }
}
