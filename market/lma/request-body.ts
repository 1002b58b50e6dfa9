/**
 * What the LMA checks in a request body before a change enters the ledger batch: that every
 * string in it can be stored and read back as sent, and a hash of its canonical form, which tells
 * a resent request from another one that reuses its requestID.
 */
import { createHash } from 'node:crypto'
import { unstorable } from '../../schemas/simple-types.js'

/** The first string in `value` the ledger cannot store as it is, with its path, or undefined. */
export function firstUnstorable (value: unknown, path = ''): { path: string, why: string } | undefined {
  if (typeof value === 'string') {
    const why = unstorable(value)
    return why === undefined ? undefined : { path: path === '' ? '(root)' : path, why }
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstUnstorable(value[i], `${path}[${i}]`)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      const found = firstUnstorable(key, path) ?? firstUnstorable(v, path === '' ? key : `${path}.${key}`)
      if (found !== undefined) return found
    }
  }
  return undefined
}

/** JSON with keys sorted at every level, undefined members left out: equal bodies, equal text. */
export function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => v === undefined ? 'null' : canonicalJson(v)).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** SHA-256 of a request's name and canonical body (hex). */
export function bodyHash (payload: string, body: unknown): string {
  return createHash('sha256').update(payload).update('\n').update(canonicalJson(body)).digest('hex')
}
