/**
 * The eml-cts JSON bodies of ../shared/docs/eml-cts-json-examples.txt (generated from eml-cts's own
 * classes), by their section name: "EiCreateTenderPayload" is the first JSON body under
 * "### EiCreateTenderPayload (...)".
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const FILE = resolve(fileURLToPath(new URL('..', import.meta.url)), '../shared/docs/eml-cts-json-examples.txt')

export function emlCtsExample (name: string): any {
  const text = readFileSync(FILE, 'utf8')
  const start = text.search(new RegExp(`^### ${name}( |$)`, 'm'))
  if (start < 0) throw new Error(`no example ${name} in ${FILE}`)
  const body = text.slice(text.indexOf('\n', start) + 1)
  const end = body.search(/^(###|ROUNDTRIP)/m)
  return JSON.parse(end < 0 ? body : body.slice(0, end))
}
