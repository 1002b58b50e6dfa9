/**
 * Reading and writing CTS payloads: our JSON model, CTS XML, and the official XMLSpy-style JSON.
 *
 *   parsePayload('eiCreateTender', json)      -> typed payload, or CtsValidationError
 *   toXml('eiCreateTender', payload)           -> XML text in XSD element order
 *   fromXml(xml)                               -> { name, payload }
 */
import type { z } from 'zod'
import { PAYLOADS, isPayloadName, type Payload, type PayloadName } from './registry.js'
import { layoutOf, xmlPathOf, type Layout } from './sequence.js'
import { CtsValidationError, displayName, fail, fromTree, resolveQName, toTree, type CtsIssue, type DecodeOptions, type XmlElement } from './tree.js'
import { parseXml, writeXml } from './xml.js'

export { CtsValidationError, type CtsIssue }

export function layoutOfPayload (name: PayloadName): Layout {
  return layoutOf(PAYLOADS[name].schema)!
}

/** A zod issue path written as JSON: eiTender[0].product.side */
export function jsonPath (path: readonly PropertyKey[]): string {
  let out = ''
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : `${out === '' ? '' : '.'}${String(segment)}`
  return out === '' ? '(root)' : out
}

function issuesOf (error: z.ZodError, pathOf: (path: readonly PropertyKey[]) => string): CtsIssue[] {
  return error.issues.map((issue) => ({ path: pathOf(issue.path), message: issue.message }))
}

/** Checks a payload in our JSON form. Throws CtsValidationError with JSON paths. */
export function parsePayload<N extends PayloadName> (name: N, input: unknown): Payload<N> {
  const result = PAYLOADS[name].schema.safeParse(input)
  if (!result.success) throw new CtsValidationError(issuesOf(result.error, jsonPath))
  return result.data as Payload<N>
}

export function safeParsePayload<N extends PayloadName> (name: N, input: unknown):
  { success: true, data: Payload<N> } | { success: false, error: CtsValidationError } {
  try {
    return { success: true, data: parsePayload(name, input) }
  } catch (error) {
    if (error instanceof CtsValidationError) return { success: false, error }
    throw error
  }
}

/** Writes a payload (checked first) as a CTS XML document. */
export function toXml<N extends PayloadName> (name: N, payload: Payload<N>): string {
  return writeXml(toElementTree(name, payload))
}

export function toElementTree<N extends PayloadName> (name: N, payload: Payload<N>): XmlElement {
  const checked = parsePayload(name, payload)
  return toTree(PAYLOADS[name].qname, layoutOfPayload(name), checked as Record<string, unknown>)
}

export interface Decoded<N extends PayloadName = PayloadName> {
  name: N
  payload: Payload<N>
}

/** The payload whose root element this is, or undefined. */
export function payloadNameOf (root: { ns: string, local: string }): PayloadName | undefined {
  if (!isPayloadName(root.local)) return undefined
  const expected = resolveQName(PAYLOADS[root.local].qname)
  return expected.ns === root.ns ? root.local : undefined
}

/** Element tree -> checked payload. Structure errors and value errors both name the XML path. */
export function fromElementTree (root: XmlElement, options: DecodeOptions, expected?: PayloadName): Decoded {
  const rootName = displayName(root.ns, root.local)
  const name = payloadNameOf(root)
  if (name === undefined) fail(`/${rootName}`, 'not a CTS payload this gateway knows')
  if (expected !== undefined && name !== expected) fail(`/${rootName}`, `expected ${PAYLOADS[expected].qname}`)
  const layout = layoutOfPayload(name)
  const json = fromTree(root, layout, `/${PAYLOADS[name].qname}`, options)
  const result = PAYLOADS[name].schema.safeParse(json)
  if (!result.success) {
    throw new CtsValidationError(issuesOf(result.error, (p) => xmlPathOf(PAYLOADS[name].qname, layout, p)))
  }
  return { name, payload: result.data } as Decoded
}

/**
 * Reads a CTS XML document. Rejects malformed XML, DOCTYPEs, unknown elements and attributes,
 * elements out of XSD order, and invalid values, each with the path where it is.
 */
export function fromXml (xml: string): Decoded
export function fromXml<N extends PayloadName> (xml: string, expected: N): Decoded<N>
export function fromXml (xml: string, expected?: PayloadName): Decoded {
  return fromElementTree(parseXml(xml), { strictOrder: true }, expected)
}
