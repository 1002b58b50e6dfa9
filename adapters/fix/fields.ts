/**
 * Raw FIX fields of a received message, by tag. Prices and quantities are read from here, as the
 * decimal strings on the wire, because jspurefix's typed objects carry them as binary floats.
 * Values we send go to jspurefix as strings too, which it writes as they are.
 */

/** The fields of a message as received ('|' for SOH), first occurrence of each tag. */
export function rawFields (text: string): Map<number, string> {
  const fields = new Map<number, string>()
  for (const pair of text.split(/[|\x01]/)) {
    const at = pair.indexOf('=')
    if (at <= 0) continue
    const tag = Number(pair.slice(0, at))
    if (Number.isInteger(tag) && !fields.has(tag)) fields.set(tag, pair.slice(at + 1))
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
