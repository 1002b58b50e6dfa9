/**
 * The simple types of the CTS schemas, as zod schemas. Where the XSD only says xs:string
 * (durations, ids) we check what the CTS documentation means (ISO 8601, non-empty).
 */
import { z } from 'zod'
import { leaf } from './sequence.js'
import { ISO4217_CURRENCIES } from './iso4217-currencies.js'
import { canonicalDecimal } from './decimal.js'

const TZ = '(Z|[+-](0\\d|1[0-3]):[0-5]\\d|[+-]14:00)'
const DATE = '-?\\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])'
const TIME = '([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d+)?'
const DATE_TIME_RE = new RegExp(`^${DATE}T${TIME}${TZ}?$`)
const DATE_RE = new RegExp(`^${DATE}${TZ}?$`)
const TIME_RE = new RegExp(`^${TIME}${TZ}?$`)

/** Rejects 30 February and the like, which the pattern alone lets through. */
function calendarDateExists (value: string): boolean {
  const m = /^(-?\d{4,})-(\d\d)-(\d\d)/.exec(value)
  if (m === null) return true
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0
  return day <= days
}

/** xs:dateTime, e.g. 2026-06-20T12:00:00Z. The XSD allows no time zone; "UTC must be explicitly stated". */
export const DateTime = z.string()
  .regex(DATE_TIME_RE, 'must be an xs:dateTime such as 2026-06-20T12:00:00Z')
  .refine(calendarDateExists, 'is not a calendar date')
  .describe('xs:dateTime, e.g. 2026-06-20T12:00:00Z')

/**
 * xcal:dtStart: in XML a wrapper holding one of xcal:dateTime, xcal:date or xcal:time; in our JSON
 * the string itself, whose form tells which (2026-06-20T12:00:00Z, 2026-06-20, 12:00:00).
 */
export const DateTimeDate = leaf('dateTimeDate', z.string()
  .refine((v) => DATE_TIME_RE.test(v) || DATE_RE.test(v) || TIME_RE.test(v),
    'must be an xs:dateTime (2026-06-20T12:00:00Z), xs:date (2026-06-20) or xs:time (12:00:00)')
  .refine(calendarDateExists, 'is not a calendar date')
  .describe('xcal:dtStart: xs:dateTime such as 2026-06-20T12:00:00Z (or an xs:date / xs:time)'))

export function dtStartElement (value: string): 'xcal:dateTime' | 'xcal:date' | 'xcal:time' {
  if (value.includes('T')) return 'xcal:dateTime'
  return TIME_RE.test(value) ? 'xcal:time' : 'xcal:date'
}

/**
 * ISO 8601 duration (xcal:DurationType is a bare xs:string in the XSD). Either weeks alone (P2W)
 * or years/months/days with an optional time part; at least one component; no sign.
 */
export const DURATION_RE = /^P(?:\d+W|(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?)$/
export const Duration = z.string()
  .regex(DURATION_RE, 'must be an ISO 8601 duration such as PT1H, PT15M or P1D')
  .describe('ISO 8601 duration, e.g. PT1H')

const DECIMAL_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)$/

/**
 * xs:decimal as an exact decimal string (never a binary float), e.g. "0.125" or "-12.5";
 * read in any xs:decimal form and kept in the form that is also a JSON number (canonicalDecimal).
 */
export const Decimal = leaf('decimal', z.string()
  .max(40, 'has too many digits')
  .regex(DECIMAL_RE, 'must be a decimal number written as a string, e.g. "0.125"')
  .overwrite(canonicalDecimal)
  .describe('exact decimal as a string, e.g. "0.125"'))

/** emix:quantity (xs:float in the XSD) as an exact, strictly positive decimal string. */
export const Quantity = leaf('decimal', z.string()
  .max(40, 'has too many digits')
  .regex(DECIMAL_RE, 'must be a decimal number written as a string, e.g. "50" or "2.5"')
  .overwrite(canonicalDecimal)
  .refine((v) => /[1-9]/.test(v) && !v.startsWith('-'), 'must be greater than 0')
  .describe('quantity > 0 as an exact decimal string, e.g. "50"'))

/** A signed exact decimal quantity (positions: buy +, sell -). */
export const SignedQuantity = leaf('decimal', z.string()
  .max(40, 'has too many digits')
  .regex(DECIMAL_RE, 'must be a decimal number written as a string, e.g. "-20"')
  .overwrite(canonicalDecimal)
  .describe('signed exact decimal as a string, e.g. "-20"'))

export const UnsignedInt = leaf('integer', z.number().int().min(0).max(4294967295))

/**
 * Longest strings we take. Every string is kept in the ledger and sent back to parties, so it is
 * bounded: ids and names of things are short; URIs and free text a little longer.
 */
export const MAX_ID_LENGTH = 128
export const MAX_URI_LENGTH = 1024
export const MAX_TEXT_LENGTH = 1024

/**
 * What PostgreSQL (text and json columns) and XML cannot hold as written: C0 control characters
 * (NUL above all), lone UTF-16 surrogates (stored as U+FFFD in text, as the escape in json, so the
 * two disagree), and the non-characters U+FFFE/U+FFFF, which XML forbids.
 */
const UNSTORABLE = /[\u0000-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Why a string cannot be stored and read back identically, or undefined if it can. */
export function unstorable (value: string): string | undefined {
  const m = UNSTORABLE.exec(value)
  if (m === null) return undefined
  const code = m[0].charCodeAt(0)
  const name = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
  if (code < 0x20) return `must not contain control characters (${name} at ${m.index})`
  if (code >= 0xd800 && code <= 0xdfff) return `must not contain a lone UTF-16 surrogate (${name} at ${m.index})`
  return `must not contain the non-character ${name} (at ${m.index})`
}

/** A string that the ledger stores and gives back as it came, at most `max` characters. */
export function storableString (max: number | undefined) {
  const base = max === undefined ? z.string() : z.string().max(max, `must be at most ${max} characters`)
  return base.check((ctx) => {
    const why = unstorable(ctx.value)
    if (why !== undefined) ctx.issues.push({ code: 'custom', message: why, input: ctx.value })
  })
}

/** ei:UidType and its substitutes (requestID, tenderID, partyID, ...): a non-empty string. */
export const Uid = storableString(MAX_ID_LENGTH).min(1, 'must not be empty').describe('identifier (string)')

/** xs:anyURI: the XSD accepts almost any string; we require it non-empty and without spaces. */
export const AnyURI = storableString(MAX_URI_LENGTH).regex(/^\S+$/, 'must be a URI without spaces')

export const MarketContext = AnyURI.describe('emix:marketContext: the URI that names the market')

export const Currency = z.enum(ISO4217_CURRENCIES).describe('ISO 4217 alpha-3 currency code (2010 list of the CTS schemas)')

export const Side = z.enum(['buy', 'sell'])

export const TransactiveState = z.enum([
  'indicationOfInterest', 'tender', 'transaction', 'exercise', 'delivery', 'transportCommitment', 'publication'
])

export const ResponseCode = z.string().regex(/^[0-9]{3}$/, 'must be a 3-digit code such as "200"')
  .describe('3-digit response code: 2xx success, 4xx requester error, 5xx responder error')

export const SiScaleCode = z.enum(['p', 'n', 'micro', 'm', 'c', 'd', 'k', 'M', 'G', 'T', 'none'])

export const NonStandardTermsHandling = z.enum(['mustAccept', 'ignore', 'mustUnderstand', 'reject'])

/** Free text (names, roles, descriptions): storable, at most MAX_TEXT_LENGTH characters. */
export const Text = storableString(MAX_TEXT_LENGTH)

/**
 * ei:responseDescription: storable, not bounded, as our own answers say what happened to every
 * tender of a request (the request's size is bounded where it arrives).
 */
export const Description = storableString(undefined)
