/**
 * `te-gateway conformance check`: is a CTS message document what the CTS schemas say it must be?
 *
 * A document is CTS XML, the official JSON form (XMLSpy style, as the CTS JSON Schemas describe
 * it), or the JSON binding of te-gateway's REST API. Each is checked by every layer that can read
 * it, and every violation is reported with its path:
 *   - zod: our schemas of the CTS payloads (always);
 *   - xsd: the official XSDs, with xmllint, or xmllint-wasm where there is no native xmllint (with
 *     --schemas; JSON is checked as the XML it stands for);
 *   - json-schema: the official draft-04 JSON Schemas, with ajv (with --schemas; rev 0.4 payloads).
 * A layer that cannot run (the document did not parse, or has no XML form) is named as skipped.
 */
import { basename } from 'node:path'
import { CtsValidationError, fromXml, parsePayload, toXml } from '../schemas/codec.js'
import { fromOfficialJson, toOfficialJsonText } from '../schemas/official-json.js'
import { loadOfficialSchema } from '../schemas/official-json-schema.js'
import { isPayloadName, PAYLOAD_NAMES, PAYLOADS, type PayloadName } from '../schemas/registry.js'
import { NEEDS_EXTENSION_XSD } from '../schemas/examples.js'
import { validateXmlAnywhere } from '../schemas/xsd-validation.js'

export type Layer = 'parse' | 'zod' | 'xsd' | 'json-schema'
export type DocumentFormat = 'xml' | 'official-json' | 'json'

export interface Finding {
  layer: Layer
  /** Where: an XPath-like path (XML, official JSON), a JSON path (our binding), or an xmllint line. */
  path: string
  message: string
}

export interface CheckResult {
  file: string
  format?: DocumentFormat
  payload?: PayloadName
  findings: Finding[]
  /** The layers that ran, and those that could not, with why. */
  ran: Layer[]
  skipped: Array<{ layer: Layer, why: string }>
}

export interface CheckOptions {
  /** The payload of a document in our JSON binding, when neither a wrapper nor the file name says it. */
  payload?: PayloadName
  /** A folder laid out like the official CTS schema set (xsd/, json/): adds the xsd and json-schema layers. */
  schemasDir?: string
}

export async function checkDocument (text: string, file: string, options: CheckOptions = {}): Promise<CheckResult> {
  const result: CheckResult = { file, findings: [], ran: [], skipped: [] }
  const trimmed = text.trimStart()
  let payload: unknown
  if (trimmed.startsWith('<')) {
    result.format = 'xml'
    // Named by its root element, even when it does not decode.
    const root = /<(?:[\w.-]+:)?([\w.-]+)[\s/>]/.exec(trimmed.replace(/^<\?xml[^>]*\?>\s*/, '').replace(/^<!--[\s\S]*?-->\s*/, ''))?.[1]
    if (root !== undefined && isPayloadName(root)) result.payload = root
    payload = zodLayer(result, () => {
      const decoded = fromXml(text)
      result.payload = decoded.name
      return decoded.payload
    })
  } else {
    let document: unknown
    try {
      document = JSON.parse(text)
    } catch (error) {
      result.findings.push({ layer: 'parse', path: '/', message: `neither XML nor JSON: ${(error as Error).message}` })
      return skipRest(result, 'the document did not parse')
    }
    if (isOfficialJson(document)) {
      result.format = 'official-json'
      payload = zodLayer(result, () => {
        const decoded = fromOfficialJson(text)
        result.payload = decoded.name
        return decoded.payload
      })
      if (options.schemasDir !== undefined) jsonSchemaLayer(result, document, options.schemasDir)
    } else {
      result.format = 'json'
      const named = payloadOf(document, file, options.payload)
      if (typeof named === 'string') {
        result.findings.push({ layer: 'parse', path: '/', message: named })
        return skipRest(result, 'which payload the document is could not be told')
      }
      result.payload = named.name
      payload = zodLayer(result, () => parsePayload(named.name, named.body))
    }
  }
  if (options.schemasDir === undefined) {
    result.skipped.push({ layer: 'xsd', why: 'no --schemas folder' }, { layer: 'json-schema', why: 'no --schemas folder' })
    return result
  }
  if (result.format === 'xml') await xsdLayer(result, text, options.schemasDir)
  else if (payload !== undefined) await xsdLayer(result, toXml(result.payload!, payload as never), options.schemasDir)
  else result.skipped.push({ layer: 'xsd', why: 'the document has no XML form: it failed the zod layer' })
  if (result.format !== 'official-json') {
    if (payload !== undefined) jsonSchemaLayer(result, JSON.parse(toOfficialJsonText(result.payload!, payload as never)), options.schemasDir)
    else result.skipped.push({ layer: 'json-schema', why: 'the document has no official JSON form: it failed the zod layer' })
  }
  return result
}

function skipRest (result: CheckResult, why: string): CheckResult {
  for (const layer of ['zod', 'xsd', 'json-schema'] as const) result.skipped.push({ layer, why })
  return result
}

function zodLayer (result: CheckResult, decode: () => unknown): unknown {
  result.ran.push('zod')
  try {
    return decode()
  } catch (error) {
    if (!(error instanceof CtsValidationError)) throw error
    for (const issue of error.issues) result.findings.push({ layer: 'zod', path: issue.path, message: issue.message })
    return undefined
  }
}

async function xsdLayer (result: CheckResult, xml: string, schemasDir: string): Promise<void> {
  result.ran.push('xsd')
  const extensions = result.payload !== undefined && (PAYLOADS[result.payload].extension || NEEDS_EXTENSION_XSD.includes(result.payload))
  const verdict = await validateXmlAnywhere(xml, { ctsSchemaDir: schemasDir, extensions })
  if (verdict.valid) return
  for (const line of verdict.errors) {
    // xmllint: "-:12: element quantity: Schemas validity error : Element '{...}quantity': ..." (the
    // message names the element; xmllint-wasm leaves out the "element quantity:" part)
    const m = /^-:(\d+):\s*(?:element .+?: )?(.*)$/.exec(line)
    result.findings.push({ layer: 'xsd', path: m === null ? '/' : `line ${m[1]}`, message: m?.[2] ?? line })
  }
  if (verdict.errors.length === 0) result.findings.push({ layer: 'xsd', path: '/', message: 'the document fails to validate' })
}

function jsonSchemaLayer (result: CheckResult, document: unknown, schemasDir: string): void {
  if (result.payload !== undefined && PAYLOADS[result.payload].extension) {
    result.skipped.push({ layer: 'json-schema', why: `${result.payload} is a te-gateway extension, which the CTS JSON Schemas do not describe` })
    return
  }
  result.ran.push('json-schema')
  const validate = loadOfficialSchema({ ctsSchemaDir: schemasDir })
  if (validate(document)) return
  for (const e of validate.errors ?? []) result.findings.push({ layer: 'json-schema', path: e.instancePath === '' ? '/' : e.instancePath, message: e.message ?? 'invalid' })
}

/** The official JSON form has one root key, the payload's qualified name ("pyld:eiCreateTender"). */
function isOfficialJson (document: unknown): boolean {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return false
  const keys = Object.keys(document)
  return keys.length === 1 && /^[A-Za-z_][\w.-]*:[A-Za-z_][\w.-]*$/.test(keys[0]!)
}

/**
 * Which payload a document of our JSON binding is: --payload; else a wrapper object with the
 * payload's name as its only key; else a file named after it (eiCreateTender.json,
 * eiCreateTender.bad-price.json); else the one payload whose schema it fits.
 */
function payloadOf (document: unknown, file: string, given?: PayloadName): { name: PayloadName, body: unknown } | string {
  if (given !== undefined) return { name: given, body: document }
  if (typeof document === 'object' && document !== null && !Array.isArray(document)) {
    const keys = Object.keys(document)
    if (keys.length === 1 && isPayloadName(keys[0]!)) return { name: keys[0], body: (document as Record<string, unknown>)[keys[0]] }
  }
  const stem = basename(file).split('.')[0] ?? ''
  if (isPayloadName(stem)) return { name: stem, body: document }
  const fits = PAYLOAD_NAMES.filter((n) => PAYLOADS[n].schema.safeParse(document).success)
  if (fits.length === 1) return { name: fits[0]!, body: document }
  return fits.length === 0
    ? 'which CTS payload is this? It fits none; name it with --payload, a wrapper {"eiCreateTender": {...}}, or the file name (eiCreateTender.json)'
    : `which CTS payload is this? It fits ${fits.join(', ')}; name it with --payload, a wrapper, or the file name`
}

