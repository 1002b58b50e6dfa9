/**
 * Time for the market: fixed-length ISO 8601 durations in milliseconds, and an injectable clock
 * (a demo or a simulation runs the market faster than the wall clock).
 */
import { DURATION_RE } from '../../schemas/simple-types.js'

const UNIT_MS = { W: 604_800_000, D: 86_400_000, H: 3_600_000, M: 60_000, S: 1000 } as const

/** Durations a market uses are few; each is parsed once. */
const known = new Map<string, number>()

/**
 * Milliseconds of a duration of fixed length (weeks, days, hours, minutes, seconds). Years and
 * months have no fixed length: they are refused, as are negative or malformed durations.
 */
export function durationMs (iso: string): number {
  const cached = known.get(iso)
  if (cached !== undefined) return cached
  const ms = parseDuration(iso)
  if (known.size < 1000) known.set(iso, ms)
  return ms
}

function parseDuration (iso: string): number {
  if (!DURATION_RE.test(iso)) throw new RangeError(`"${iso}" is not an ISO 8601 duration`)
  const m = /^P(?:(\d+)W)?(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso)
  if (m === null) throw new RangeError(`"${iso}" is not an ISO 8601 duration`)
  if (m[2] !== undefined || m[3] !== undefined) throw new RangeError(`"${iso}" uses years or months, which have no fixed length`)
  return Number(m[1] ?? 0) * UNIT_MS.W + Number(m[4] ?? 0) * UNIT_MS.D + Number(m[5] ?? 0) * UNIT_MS.H +
    Number(m[6] ?? 0) * UNIT_MS.M + Math.round(Number(m[7] ?? 0) * UNIT_MS.S)
}

export interface Clock {
  now: () => Date
}

export const systemClock: Clock = { now: () => new Date() }

/** A clock that moves only when told: tests and simulations. */
export class ManualClock implements Clock {
  private ms: number
  constructor (start: Date | string) { this.ms = new Date(start).getTime() }
  now (): Date { return new Date(this.ms) }
  set (to: Date | string): void { this.ms = new Date(to).getTime() }
  advance (iso: string | number): void { this.ms += typeof iso === 'number' ? iso : durationMs(iso) }
}

/** An instant written as the LMA writes every instant: UTC with milliseconds, e.g. 2026-06-20T12:00:00.000Z. */
export function utc (instant: string | Date): string {
  return new Date(instant).toISOString()
}

/** Whether a dateTime string names an instant (has Z or an offset). */
export function hasZone (dateTime: string): boolean {
  return /(Z|[+-]\d\d:\d\d)$/.test(dateTime) && dateTime.includes('T')
}

/** The wall clock shifted by an offset: a simulation jumps ahead, then time runs on at real speed. */
export class OffsetClock implements Clock {
  private offsetMs = 0
  now (): Date { return new Date(Date.now() + this.offsetMs) }
  /** Moves the clock forward to `to` (never back). */
  jumpTo (to: Date): void {
    const gap = to.getTime() - this.now().getTime()
    if (gap > 0) this.offsetMs += gap
  }
}
