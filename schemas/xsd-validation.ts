/**
 * XSD validation of CTS XML with libxml2's xmllint (Debian package libxml2-utils), for tests and
 * conformance checks, not the request path. Two entry schemas:
 *   - official: the CTS set's own cts-validation-entry.xsd, nothing of ours;
 *   - extended: the same CTS files plus schemas/xsd/te-gateway-extensions.xsd, for our extension
 *     payloads and the concrete registration types (xsi:type="tex:...").
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
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

function extendedEntry (ctsDir: string): string {
  let entry = extendedEntries.get(ctsDir)
  if (entry === undefined) {
    const xsd = join(ctsDir, 'xsd')
    const dir = mkdtempSync(join(tmpdir(), 'te-gateway-xsd-'))
    entry = join(dir, 'entry.xsd')
    // libxml2 loads only the first file named for a namespace: emix-terms.xsd (which includes
    // emix.xsd) must come first, as in the official entry.
    writeFileSync(entry, `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:te-gateway:validation-entry">
  <xs:import namespace="${NAMESPACES.emix}" schemaLocation="${join(xsd, 'emix-terms.xsd')}"/>
  <xs:import namespace="${NAMESPACES.power}" schemaLocation="${join(xsd, 'power.xsd')}"/>
  <xs:import namespace="${NAMESPACES.pyld}" schemaLocation="${join(xsd, 'EiPayloads.xsd')}"/>
  <xs:import namespace="${NAMESPACES.tex}" schemaLocation="${EXTENSIONS_XSD}"/>
</xs:schema>
`)
    extendedEntries.set(ctsDir, entry)
  }
  return entry
}

export function xmllintAvailable (): boolean {
  return spawnSync('xmllint', ['--version']).status === 0
}

/** Validates one XML document against the official CTS entry schema, or with our extensions. */
export function validateXml (xml: string, options: { extensions?: boolean, ctsSchemaDir?: string } = {}): XsdResult {
  // Absolute: the extended entry schema, written to a temp folder, names the CTS files by path.
  const ctsDir = resolve(options.ctsSchemaDir ?? defaultCtsSchemaDir())
  const schema = options.extensions === true ? extendedEntry(ctsDir) : join(ctsDir, 'xsd/cts-validation-entry.xsd')
  if (!existsSync(schema)) throw new Error(`CTS schemas not found at ${ctsDir} (set CTS_SCHEMAS_DIR)`)
  const run = spawnSync('xmllint', ['--noout', '--nonet', '--schema', schema, '-'], { input: xml, encoding: 'utf8' })
  if (run.error !== undefined) throw new Error(`xmllint could not run: ${run.error.message} (install libxml2-utils)`)
  const errors = run.stderr.split('\n').filter((line) => line.trim() !== '' && !/ validates$/.test(line) && !/fails to validate$/.test(line))
  return { valid: run.status === 0, errors }
}
