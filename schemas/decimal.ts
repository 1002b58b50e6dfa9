/**
 * Exact decimals. Prices and quantities travel as decimal strings and become integer ticks at a
 * market's scale: with priceScale 3, "0.125" is 125 ticks of 0.001. A value finer than the scale
 * is rejected, never rounded.
 */

const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?$/

/** Integer ticks of 10^-scale for a decimal string; throws RangeError if finer than the scale. */
export function toTicks (value: string, scale: number): bigint {
  const m = DECIMAL_RE.exec(value.trim())
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) throw new RangeError(`"${value}" is not a decimal number`)
  const sign = m[1] === '-' ? -1n : 1n
  const whole = m[2] === '' ? '0' : m[2]!
  const fraction = (m[3] ?? '').replace(/0+$/, '')
  if (fraction.length > scale) {
    throw new RangeError(`"${value}" has ${fraction.length} decimal places; this market allows ${scale}`)
  }
  return sign * BigInt(whole + fraction.padEnd(scale, '0'))
}

/**
 * The decimal string of ticks at a scale, with exactly `scale` fraction digits: 125n, 3 -> "0.125".
 * Ticks may be a bigint or a safe integer (the engine's numbers, converted without a bigint).
 */
export function fromTicks (ticks: bigint | number, scale: number): string {
  if (typeof ticks === 'number' && !Number.isSafeInteger(ticks)) throw new RangeError(`${ticks} ticks is not a safe integer`)
  const negative = ticks < 0
  const digits = (negative ? -ticks : ticks).toString().padStart(scale + 1, '0')
  const whole = digits.slice(0, digits.length - scale)
  const fraction = digits.slice(digits.length - scale)
  return (negative ? '-' : '') + whole + (scale > 0 ? '.' + fraction : '')
}

/** Whether a decimal string is representable at the scale. */
export function fitsScale (value: string, scale: number): boolean {
  try {
    toTicks(value, scale)
    return true
  } catch {
    return false
  }
}

/** Writes a JSON number lexeme (which may use an exponent, 1.5e3) as a plain decimal, exactly. */
export function plainDecimal (lexeme: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?[eE]([+-]?\d+)$/.exec(lexeme)
  if (m === null) return lexeme
  const digits = m[2]! + (m[3] ?? '')
  const point = m[2]!.length + Number(m[4])
  let out: string
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length)
  else out = digits.slice(0, point) + '.' + digits.slice(point)
  return m[1] + out
}

/**
 * The form of an xs:decimal that is also a JSON number: no "+", no leading zeros, a digit on both
 * sides of the point ("+007.50" -> "7.50", ".5" -> "0.5", "5." -> "5"). Trailing zeros are kept.
 */
export function canonicalDecimal (value: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(value.trim())
  if (m === null) return value
  const whole = m[2]!.replace(/^0+(?=\d)/, '') || '0'
  const fraction = m[3] ?? ''
  return (m[1] === '-' ? '-' : '') + whole + (fraction === '' ? '' : '.' + fraction)
}
