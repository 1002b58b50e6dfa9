/**
 * XSD validation of CTS XML with libxml2's xmllint (Debian package libxml2-utils), for tests and
 * conformance checks, not the request path. Two entry schemas:
 *   - official: the CTS set's own cts-validation-entry.xsd, nothing of ours;
 *   - extended: the same CTS files plus schemas/xsd/te-gateway-extensions.xsd, for our extension
 *     payloads and the concrete registration types (xsi:type="tex:...").
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NAMESPACES } from './namespaces.js'

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Where the official CTS schema set is: $CTS_SCHEMAS_DIR, or ../shared/cts-schemas beside the project. */
export function defaultCtsSchemaDir (): string {
  return process.env.CTS_SCHEMAS_DIR ?? resolve(PROJECT_ROOT, '../shared/cts-schemas')
}

export const EXTENSIONS_XSD = join(PROJECT_ROOT, 'schemas/xsd/te-gateway-extensions.xsd')

export interface XsdResult {
  valid: boolean
  /** xmllint's messages, one per violation. */
  errors: string[]
}

const extendedEntries = new Map<string, string>()

/**
 * The entry schema with our extensions. libxml2 loads only the first file named for a namespace:
 * emix-terms.xsd (which includes emix.xsd) must come first, as in the official entry.
 */
function extendedEntryText (at: { emixTerms: string, power: string, payloads: string, extensions: string }): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:te-gateway:validation-entry">
  <xs:import namespace="${NAMESPACES.emix}" schemaLocation="${at.emixTerms}"/>
  <xs:import namespace="${NAMESPACES.power}" schemaLocation="${at.power}"/>
  <xs:import namespace="${NAMESPACES.pyld}" schemaLocation="${at.payloads}"/>
  <xs:import namespace="${NAMESPACES.tex}" schemaLocation="${at.extensions}"/>
</xs:schema>
`
}

function extendedEntry (ctsDir: string): string {
  let entry = extendedEntries.get(ctsDir)
  if (entry === undefined) {
    const xsd = join(ctsDir, 'xsd')
    const dir = mkdtempSync(join(tmpdir(), 'te-gateway-xsd-'))
    entry = join(dir, 'entry.xsd')
    writeFileSync(entry, extendedEntryText({ emixTerms: join(xsd, 'emix-terms.xsd'), power: join(xsd, 'power.xsd'), payloads: join(xsd, 'EiPayloads.xsd'), extensions: EXTENSIONS_XSD }))
    extendedEntries.set(ctsDir, entry)
  }
  return entry
}

let nativeXmllint: boolean | undefined

/** Whether the native xmllint runs here (checked once). */
export function xmllintAvailable (): boolean {
  nativeXmllint ??= spawnSync('xmllint', ['--version']).status === 0
  return nativeXmllint
}

/**
 * Validates with the native xmllint where it runs, else with xmllint-wasm (libxml2 compiled to
 * WebAssembly: the same verdicts, about 0.4 s a call). TE_GATEWAY_XMLLINT=wasm forces the latter.
 */
export async function validateXmlAnywhere (xml: string, options: { extensions?: boolean, ctsSchemaDir?: string } = {}): Promise<XsdResult> {
  if (process.env.TE_GATEWAY_XMLLINT !== 'wasm' && xmllintAvailable()) return validateXml(xml, options)
  const ctsDir = resolve(options.ctsSchemaDir ?? defaultCtsSchemaDir())
  const xsd = join(ctsDir, 'xsd')
  if (!existsSync(join(xsd, 'cts-validation-entry.xsd'))) throw new Error(`CTS schemas not found at ${ctsDir} (set CTS_SCHEMAS_DIR)`)
  const files = xsdFilesOf(xsd)
  if (options.extensions !== true) return wasmXmllint(xml, files.find((f) => f.fileName === 'cts-validation-entry.xsd')!, files)
  const entry = { fileName: 'te-gateway-entry.xsd', contents: extendedEntryText({ emixTerms: 'emix-terms.xsd', power: 'power.xsd', payloads: 'EiPayloads.xsd', extensions: 'te-gateway-extensions.xsd' }) }
  return wasmXmllint(xml, entry, [...files, { fileName: 'te-gateway-extensions.xsd', contents: readFileSync(EXTENSIONS_XSD, 'utf8') }])
}

interface XsdFile { fileName: string, contents: string }

const xsdFolders = new Map<string, XsdFile[]>()

/** Every .xsd of a folder, read once: xmllint-wasm reads schemas from memory, by bare file name, as the CTS and OpenADR sets import each other. */
function xsdFilesOf (dir: string): XsdFile[] {
  let files = xsdFolders.get(dir)
  if (files === undefined) {
    files = readdirSync(dir).filter((f) => f.endsWith('.xsd')).map((fileName) => ({ fileName, contents: readFileSync(join(dir, fileName), 'utf8') }))
    xsdFolders.set(dir, files)
  }
  return files
}

/** xmllint-wasm's verdict against `entry`, with the files it imports preloaded. */
async function wasmXmllint (xml: string, entry: XsdFile, files: readonly XsdFile[]): Promise<XsdResult> {
  const { validateXML } = await import('xmllint-wasm')
  const result = await validateXML({ xml: { fileName: 'document.xml', contents: xml }, schema: entry, preload: files.filter((f) => f.fileName !== entry.fileName) })
  return { valid: result.valid, errors: result.errors.map((e) => e.rawMessage.replace(/^document\.xml:/, '-:')) }
}

/** Validates one XML document against the official CTS entry schema, or with our extensions. */
export function validateXml (xml: string, options: { extensions?: boolean, ctsSchemaDir?: string } = {}): XsdResult {
  // Absolute: the extended entry schema, written to a temp folder, names the CTS files by path.
  const ctsDir = resolve(options.ctsSchemaDir ?? defaultCtsSchemaDir())
  const schema = options.extensions === true ? extendedEntry(ctsDir) : join(ctsDir, 'xsd/cts-validation-entry.xsd')
  if (!existsSync(schema)) throw new Error(`CTS schemas not found at ${ctsDir} (set CTS_SCHEMAS_DIR)`)
  return xmllint(xml, schema)
}

/** The native xmllint's verdict on a document against an entry schema; one message per violation. */
function xmllint (xml: string, schema: string): XsdResult {
  const run = spawnSync('xmllint', ['--noout', '--nonet', '--schema', schema, '-'], { input: xml, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (run.error !== undefined) throw new Error(`xmllint could not run: ${run.error.message} (install libxml2-utils)`)
  const errors = run.stderr.split('\n').filter((line) => line.trim() !== '' && !/ validates$/.test(line) && !/fails to validate$/.test(line))
  return { valid: run.status === 0, errors }
}

/**
 * Validates against any XSD entry file (another schema family, e.g. OpenADR 2.0b): the native
 * xmllint where it runs, else xmllint-wasm with every .xsd of the entry's folder preloaded (their
 * imports name each other by bare file name).
 */
export async function validateWithXsd (xml: string, entry: string): Promise<XsdResult> {
  const schema = resolve(entry)
  if (!existsSync(schema)) throw new Error(`XSD not found: ${schema}`)
  if (process.env.TE_GATEWAY_XMLLINT !== 'wasm' && xmllintAvailable()) return xmllint(xml, schema)
  const files = xsdFilesOf(dirname(schema))
  return wasmXmllint(xml, files.find((f) => f.fileName === basename(schema))!, files)
}
