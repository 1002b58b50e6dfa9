/**
 * The limits as command-line options, each also read from an environment variable: one table,
 * so that the options, their defaults and the README's "Limits and security" table say the same.
 */
import { type Command, InvalidArgumentError, Option } from 'commander'
import { DEFAULT_LIMITS, type Limits } from '../rest/limits.js'
import { durationMs } from '../../market/lma/time.js'

type Unit = 'count' | 'bytes' | 'seconds' | 'duration'
interface LimitOption { key: keyof Limits, flag: string, env: string, unit: Unit, description: string }

export const LIMIT_OPTIONS: LimitOption[] = [
  { key: 'bodyBytes', flag: '--body-limit', env: 'BODY_LIMIT', unit: 'bytes', description: 'largest request body (413 above)' },
  { key: 'xmlDepth', flag: '--xml-depth', env: 'XML_DEPTH', unit: 'count', description: 'deepest XML element nesting (400 deeper), checked before parsing' },
  { key: 'partyRequests', flag: '--party-rate', env: 'PARTY_RATE', unit: 'count', description: 'requests per rate window of one authenticated party (429 above)' },
  { key: 'addressRequests', flag: '--address-rate', env: 'ADDRESS_RATE', unit: 'count', description: 'requests per rate window from one address without a valid token (429 above)' },
  { key: 'rateWindowMs', flag: '--rate-window', env: 'RATE_WINDOW', unit: 'seconds', description: 'the rate window' },
  { key: 'addressRegistrations', flag: '--address-registrations', env: 'ADDRESS_REGISTRATIONS', unit: 'count', description: 'registrations per registration window from one address (429 above)' },
  { key: 'registrationWindowMs', flag: '--registration-window', env: 'REGISTRATION_WINDOW', unit: 'seconds', description: 'the registration window' },
  { key: 'activeParties', flag: '--max-parties', env: 'MAX_PARTIES', unit: 'count', description: 'active registrations in the market (422 beyond)' },
  { key: 'tendersPerRequest', flag: '--tenders-per-request', env: 'TENDERS_PER_REQUEST', unit: 'count', description: 'interval tenders in one eiCreateTender (a stream counts its intervals; 422 above)' },
  { key: 'deliveryHorizon', flag: '--delivery-horizon', env: 'DELIVERY_HORIZON', unit: 'duration', description: 'how far ahead a delivery interval may start, ISO 8601 (422 beyond; a market\'s deliveryHorizon wins)' },
  { key: 'requestTimeoutMs', flag: '--request-timeout', env: 'REQUEST_TIMEOUT', unit: 'seconds', description: 'a request, headers and body, must arrive within this (408, connection closed)' },
  { key: 'headersTimeoutMs', flag: '--headers-timeout', env: 'HEADERS_TIMEOUT', unit: 'seconds', description: 'the headers must arrive within this' },
  { key: 'keepAliveTimeoutMs', flag: '--keep-alive-timeout', env: 'KEEP_ALIVE_TIMEOUT', unit: 'seconds', description: 'an idle keep-alive connection is closed after this' },
  { key: 'connectionTimeoutMs', flag: '--connection-timeout', env: 'CONNECTION_TIMEOUT', unit: 'seconds', description: 'a socket without any activity is closed after this (0: never)' }
]

function parserOf (unit: Unit, flag: string): (value: string) => number | string {
  return (value) => {
    if (unit === 'duration') {
      try { if (durationMs(value) > 0) return value } catch {}
      throw new InvalidArgumentError(`${flag}: an ISO 8601 duration of fixed length, e.g. P7D or PT48H`)
    }
    const n = Number(value)
    if (unit === 'seconds') {
      if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${flag}: seconds, 0 or more`)
      return Math.round(n * 1000)
    }
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${flag}: a whole number, 1 or more`)
    return n
  }
}

/** The default as the option shows it (seconds for the *Ms limits). */
export function defaultShown (o: LimitOption): string {
  const value = DEFAULT_LIMITS[o.key]
  return o.unit === 'seconds' ? String(Number(value) / 1000) : String(value)
}

/** Adds every limit option to a command; the environment variable, when set, is the default. */
export function withLimitOptions (command: Command): Command {
  for (const o of LIMIT_OPTIONS) {
    const placeholder = o.unit === 'duration' ? '<iso>' : o.unit === 'seconds' ? '<seconds>' : o.unit === 'bytes' ? '<bytes>' : '<n>'
    command.addOption(new Option(`${o.flag} ${placeholder}`, `${o.description} [default ${defaultShown(o)}]`).env(o.env).argParser(parserOf(o.unit, o.flag)))
  }
  return command
}

/** The limits an action's options set (the rest keep their defaults). */
export function limitsFromOptions (options: Record<string, unknown>): Partial<Limits> {
  const limits: Record<string, unknown> = {}
  for (const o of LIMIT_OPTIONS) {
    const name = o.flag.slice(2).replace(/-(\w)/g, (_, c: string) => c.toUpperCase())
    if (options[name] !== undefined) limits[o.key] = options[name]
  }
  return limits as Partial<Limits>
}
