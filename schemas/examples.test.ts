import { describe, expect, it } from 'vitest'
import { EXAMPLES, NEEDS_EXTENSION_XSD } from './examples.js'
import { EXTENSION_PAYLOAD_NAMES, PAYLOADS, REV04_PAYLOAD_NAMES, type PayloadName } from './registry.js'
import { fromXml, parsePayload, toXml } from './codec.js'
import { fromOfficialJson, toOfficialJsonText } from './official-json.js'
import { validateXml } from './xsd-validation.js'
import { loadOfficialSchema } from './official-json-schema.js'

/** Answers and requests that carry no substitution-group member: the published schema as is accepts them. */
const PRISTINE_JSON_OK: readonly PayloadName[] = [
  'eiCreatedTender', 'eiCancelTender', 'eiCanceledTender', 'eiCreatedTransaction', 'eiRequestTransaction',
  'eiCreatedQuote', 'eiCancelQuote', 'eiCanceledQuote', 'eiCreatedPartyRegistration', 'eiRequestPartyRegistration',
  'eiCancelPartyRegistration', 'eiCanceledPartyRegistration', 'eiRequestEiMarketContext'
]

describe('payload coverage', () => {
  it('models all 27 payloads of CTS rev 0.4 EiPayloads.xsd', async () => {
    const { readFileSync } = await import('node:fs')
    const { defaultCtsSchemaDir } = await import('./xsd-validation.js')
    const xsd = readFileSync(`${defaultCtsSchemaDir()}/xsd/EiPayloads.xsd`, 'latin1')
    const declared = [...xsd.matchAll(/<xs:element name="(ei\w+)" type="pyld:/g)].map((m) => m[1]).sort()
    expect(declared).toHaveLength(27)
    expect([...REV04_PAYLOAD_NAMES].sort()).toEqual(declared)
  })

  it('has one example for every payload and extension', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(Object.keys(PAYLOADS).sort())
    expect(EXTENSION_PAYLOAD_NAMES).toHaveLength(15)
  })
})

describe.each(Object.keys(PAYLOADS) as PayloadName[])('%s', (name) => {
  const model = parsePayload(name, EXAMPLES[name])
  const xml = toXml(name, model as never)

  it('round-trips JSON -> model -> XML -> model unchanged', () => {
    const back = fromXml(xml, name)
    expect(back.name).toBe(name)
    expect(back.payload).toStrictEqual(model)
  })

  const extended = PAYLOADS[name].extension || NEEDS_EXTENSION_XSD.includes(name)
  it(extended ? 'validates with the CTS XSDs plus te-gateway-extensions.xsd' : 'validates with the official cts-validation-entry.xsd', () => {
    const result = validateXml(xml, { extensions: extended })
    expect(result.errors).toEqual([])
    expect(result.valid).toBe(true)
  })

  if (NEEDS_EXTENSION_XSD.includes(name)) {
    it('cannot validate with the official entry alone (rev 0.4 declares the registration types abstract)', () => {
      const result = validateXml(xml)
      expect(result.valid).toBe(false)
      expect(result.errors.join('\n')).toMatch(/tex:|RegistrationInfoType|PartyRegistrationType|xsi:type/)
    })
  }

  it('round-trips through the official JSON form unchanged', () => {
    const text = toOfficialJsonText(name, model as never)
    expect(fromOfficialJson(text, name).payload).toStrictEqual(model)
  })

  if (!PAYLOADS[name].extension) {
    it('passes ajv against EIPayloads.json (substitution groups expanded)', () => {
      const validate = loadOfficialSchema()
      const ok = validate(JSON.parse(toOfficialJsonText(name, model as never)))
      expect(validate.errors ?? []).toEqual([])
      expect(ok).toBe(true)
    })
  }

  if (PRISTINE_JSON_OK.includes(name)) {
    it('passes ajv against EIPayloads.json exactly as published', () => {
      const validate = loadOfficialSchema({ pristine: true })
      expect(validate(JSON.parse(toOfficialJsonText(name, model as never)))).toBe(true)
    })
  }
})
