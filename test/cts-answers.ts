/**
 * Every answer a test sees must be a valid CTS document: checked with our schemas, written as XML
 * and validated by xmllint against the official CTS XSDs (plus our extension XSD where needed).
 */
import { afterAll, beforeAll, expect } from 'vitest'
import { HttpLmaClient } from '../adapters/rest/lma-client.js'
import { fromXml, parsePayload, toXml } from '../schemas/codec.js'
import { PAYLOADS, type PayloadName } from '../schemas/registry.js'
import { validateXml } from '../schemas/xsd-validation.js'
import { NEEDS_EXTENSION_XSD } from '../schemas/examples.js'

const needsExtensions = (name: PayloadName, xml: string) => PAYLOADS[name].extension || NEEDS_EXTENSION_XSD.includes(name) || xml.includes('xsi:type="tex:')

/** Checks a JSON answer body; returns it typed. */
export function validJsonAnswer<N extends PayloadName> (name: N, body: unknown) {
  const payload = parsePayload(name, body)
  const xml = toXml(name, payload as never)
  expect(validateXml(xml, { extensions: needsExtensions(name, xml) }).errors).toEqual([])
  return payload
}

/** Checks an XML answer body against the XSDs and our reader; returns it typed. */
export function validXmlAnswer<N extends PayloadName> (name: N, xml: string) {
  expect(validateXml(xml, { extensions: needsExtensions(name, xml) }).errors).toEqual([])
  return fromXml(xml, name).payload
}

/** In a test file: every answer an HttpLmaClient receives is checked as above. */
export function checkEveryAnswer (): void {
  beforeAll(() => { HttpLmaClient.inspect = (name, body) => { validJsonAnswer(name, body) } })
  afterAll(() => { HttpLmaClient.inspect = undefined })
}
