/**
 * Raw FIX fields of a received message, by tag. Prices and quantities are read from here, as the
 * decimal strings on the wire, because jspurefix's typed objects carry them as binary floats.
 * Values we send go to jspurefix as strings too, which it writes as they are.
 */

/** The fields of a message as received ('|' for SOH), first occurrence of each tag. */
export function rawFields (text: string): Map<number, string> {
  // One pass over the characters: this runs for every message our FIX applications receive.
  const fields = new Map<number, string>()
  let start = 0
  while (start < text.length) {
    let end = start
    let equals = -1
    let tag = 0
    let digits = true
    for (; end < text.length; end++) {
      const c = text.charCodeAt(end)
      if (c === 0x7c || c === 0x01) break // '|' or SOH
      if (equals >= 0) continue
      if (c === 0x3d) equals = end // '='
      else if (c >= 0x30 && c <= 0x39) tag = tag * 10 + c - 0x30
      else digits = false
    }
    if (equals > start && digits && !fields.has(tag)) fields.set(tag, text.slice(equals + 1, end))
    start = end + 1
  }
  return fields
}

/** A field that must be there; the error names the tag. */
export function required (fields: Map<number, string>, tag: number, name: string): string {
  const value = fields.get(tag)
  if (value === undefined || value === '') throw new Error(`${name}(${tag}) is missing`)
  return value
}

/** FIX Side(54) and ours. */
export const SIDE = { buy: '1', sell: '2' } as const
export function sideOf (fix: string): 'buy' | 'sell' {
  if (fix === '1') return 'buy'
  if (fix === '2') return 'sell'
  throw new Error(`Side(54)=${fix} is neither 1 (buy) nor 2 (sell)`)
}
