/**
 * Our JSON form published as JSON Schema, generated from the zod schemas (z.toJSONSchema), for
 * the OpenAPI docs and for anyone who wants to check documents without our code.
 */
import { z } from 'zod'
import { PAYLOADS, PAYLOAD_NAMES, type PayloadName } from './registry.js'

export type JsonSchemaTarget = 'draft-2020-12' | 'draft-7' | 'openapi-3.0'

export function payloadJsonSchema (name: PayloadName, target: JsonSchemaTarget = 'draft-2020-12'): Record<string, unknown> {
  const schema = z.toJSONSchema(PAYLOADS[name].schema, { target, io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>
  return { title: name, description: PAYLOADS[name].extension ? `te-gateway extension ${PAYLOADS[name].qname}` : `CTS rev 0.4 ${PAYLOADS[name].qname}`, ...schema }
}

/** Every payload's JSON Schema, keyed by payload name. */
export function allPayloadJsonSchemas (target: JsonSchemaTarget = 'draft-2020-12'): Record<PayloadName, Record<string, unknown>> {
  return Object.fromEntries(PAYLOAD_NAMES.map((name) => [name, payloadJsonSchema(name, target)])) as Record<PayloadName, Record<string, unknown>>
}
