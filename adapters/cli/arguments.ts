/**
 * Parsers of te-gateway's command-line values, each with the range that makes sense for what it
 * is: a port, a count of delivery intervals, seconds, minutes. A value outside is refused with
 * the range (commander's InvalidArgumentError), never clamped.
 */
import { InvalidArgumentError } from 'commander'

/** A parser of whole numbers from min to max; refused with `${what} from ${min} to ${max}`. */
export function wholeNumberIn (min: number, max: number, what: string): (value: string) => number {
  return (value: string): number => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${what} from ${min} to ${max}`)
    return n
  }
}

/** A TCP port; 0 asks for any free one. */
export const port = wholeNumberIn(0, 65535, 'a port')

/** A number of delivery intervals (to trade, plan or keep liquid): up to two days of half-hours. */
export const intervalCount = wholeNumberIn(1, 48, 'a whole number of intervals')

/** A period in whole seconds (a heartbeat, a polling or planning period): up to a day. */
export const seconds = wholeNumberIn(1, 86_400, 'whole seconds')

/** A period in whole minutes: up to a day. */
export const minutes = wholeNumberIn(1, 1440, 'whole minutes')
