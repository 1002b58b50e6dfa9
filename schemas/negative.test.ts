/**
 * Negative cases: every one is rejected, and the error names the path of the offending element.
 * Where the XSD can tell too, xmllint must agree.
 */
import { describe, expect, it } from 'vitest'
import { EXAMPLES } from './examples.js'
import { CtsValidationError, fromXml, parsePayload, toXml } from './codec.js'
import { fromOfficialJson, toOfficialJsonText } from './official-json.js'
import { checkScale, parsePayloadForMarket } from './market-scale.js'
import { validateXml } from './xsd-validation.js'
import { loadOfficialSchema } from './official-json-schema.js'

const tender = () => structuredClone(EXAMPLES.eiCreateTender)
const tenderXml = toXml('eiCreateTender', EXAMPLES.eiCreateTender)
const TENDER = '/pyld:eiCreateTender/ei:eiTender[1]'
const PRODUCT = `${TENDER}/emix:product`

function issuesOf (fn: () => unknown): Array<{ path: string, message: string }> {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CtsValidationError)
    return (error as CtsValidationError).issues
  }
  throw new Error('expected a CtsValidationError, but the input was accepted')
}

function expectJsonIssue (input: unknown, name: Parameters<typeof parsePayload>[0], path: string, message?: RegExp) {
  const issues = issuesOf(() => parsePayload(name, input))
  expect(issues.map((i) => i.path)).toContain(path)
  if (message !== undefined) expect(issues.find((i) => i.path === path)!.message).toMatch(message)
}

function expectXmlIssue (xml: string, path: string, message: RegExp, xsdRejects: boolean) {
  const issues = issuesOf(() => fromXml(xml))
  expect(issues[0]!.path).toBe(path)
  expect(issues[0]!.message).toMatch(message)
  if (xsdRejects) expect(validateXml(xml).valid).toBe(false)
}

describe('JSON negatives (our JSON form)', () => {
  it('missing requestID', () => {
    const t: Record<string, unknown> = tender()
    delete t.requestID
    expectJsonIssue(t, 'eiCreateTender', 'requestID')
  })

  it('missing partyID', () => {
    const t: Record<string, unknown> = tender()
    delete t.partyID
    expectJsonIssue(t, 'eiCreateTender', 'partyID')
  })

  it('missing tenderID, in a tender and in a cancel', () => {
    const t = tender() as any
    delete t.eiTender[0].tenderID
    expectJsonIssue(t, 'eiCreateTender', 'eiTender[0].tenderID')
    const c: any = structuredClone(EXAMPLES.eiCancelTender)
    delete c.tenderID
    expectJsonIssue(c, 'eiCancelTender', 'tenderID')
    expectJsonIssue({ ...c, tenderID: [] }, 'eiCancelTender', 'tenderID')
  })

  it('side BUY (enums are lower-case as in the XSD)', () => {
    const t = tender() as any
    t.eiTender[0].product.side = 'BUY'
    expectJsonIssue(t, 'eiCreateTender', 'eiTender[0].product.side', /buy|sell/)
  })

  it('bad duration P1Y2, and other non-ISO 8601 durations', () => {
    for (const duration of ['P1Y2', 'one hour', 'P', 'PT', 'PT1H30', '-PT1H', 'P1W2D']) {
      const t = tender() as any
      t.eiTender[0].product.duration = duration
      expectJsonIssue(t, 'eiCreateTender', 'eiTender[0].product.duration', /ISO 8601/)
    }
  })

  it('unknown currency', () => {
    const t = tender() as any
    t.eiTender[0].product.currency = 'XYZ'
    expectJsonIssue(t, 'eiCreateTender', 'eiTender[0].product.currency')
  })

  it('price finer than the market scale', () => {
    const t = tender() as any
    t.eiTender[0].product.temixPower.price = '0.1234'
    const scale = () => ({ priceScale: 3, quantityScale: 1 })
    const issues = issuesOf(() => parsePayloadForMarket('eiCreateTender', t, scale))
    expect(issues).toEqual([{ path: 'eiTender[0].product.temixPower.price', message: expect.stringMatching(/finer than this market's 3 decimal places/) }])
    // Stream intervals are checked too, and the same price at scale 4 is fine.
    const s = tender() as any
    s.eiTender[1].product.intervals[1].temixPower.quantity = '20.25'
    expect(checkScale('eiCreateTender', s, scale).map((i) => i.path)).toEqual(['eiTender[1].product.intervals[1].temixPower.quantity'])
    expect(checkScale('eiCreateTender', t, () => ({ priceScale: 4, quantityScale: 1 }))).toEqual([])
  })

  it('quantity <= 0', () => {
    for (const quantity of ['0', '0.000', '-5', '-0.1']) {
      const t = tender() as any
      t.eiTender[0].product.temixPower.quantity = quantity
      expectJsonIssue(t, 'eiCreateTender', 'eiTender[0].product.temixPower.quantity', /greater than 0|decimal/)
    }
  })

  it('prices and quantities as JSON numbers (binary floats) are refused', () => {
    const t = tender() as any
    t.eiTender[0].product.temixPower.price = 0.125
    expectJsonIssue(t, 'eiCreateTender', 'eiTender[0].product.temixPower.price')
  })

  it('a tender with no product', () => {
    const t = tender() as any
    delete t.eiTender[0].product
    expectJsonIssue(t, 'eiCreateTender', 'eiTender[0].product')
  })

  it('unknown keys are refused', () => {
    expectJsonIssue({ ...tender(), priority: 1 }, 'eiCreateTender', '(root)', /priority/)
  })

  it('response codes are 3-digit strings, dateTimes real dates', () => {
    const r: any = structuredClone(EXAMPLES.eiCreatedTender)
    r.eiResponse.responseCode = 'OK'
    expectJsonIssue(r, 'eiCreatedTender', 'eiResponse.responseCode')
    r.eiResponse.responseCode = 200
    expectJsonIssue(r, 'eiCreatedTender', 'eiResponse.responseCode')
    const d: any = structuredClone(EXAMPLES.eiCreatedTender)
    d.eiResponse.createdDateTime = '2026-02-30T00:00:00Z'
    expectJsonIssue(d, 'eiCreatedTender', 'eiResponse.createdDateTime', /calendar date/)
  })

  it('at most one member of a substitution group', () => {
    const t = tender() as any
    t.eiTender[0].product.temixPower.energyApparent = { siScaleCode: 'k' }
    expectJsonIssue(t, 'eiCreateTender', 'eiTender[0].product.temixPower.energyApparent', /only one of/)
  })
})

describe('XML negatives', () => {
  it('wrong element order', () => {
    const xml = tenderXml.replace(/(<ei:partyID>.*<\/ei:partyID>)(\s*)(<ei:counterPartyID>.*<\/ei:counterPartyID>)/, '$3$2$1')
    expectXmlIssue(xml, '/pyld:eiCreateTender/ei:partyID', /out of order/, true)
    // Inside a product too: side before marketContext.
    const inner = tenderXml.replace(/(<emix:marketContext>[^<]*<\/emix:marketContext>)(\s*)(<emix:side>buy<\/emix:side>)/, '$3$2$1')
    expectXmlIssue(inner, `${PRODUCT}/emix:marketContext`, /out of order: emix:marketContext must come before emix:side/, true)
  })

  it('unknown element', () => {
    const xml = tenderXml.replace('<ei:partyID>', '<ei:priority>1</ei:priority><ei:partyID>')
    expectXmlIssue(xml, '/pyld:eiCreateTender/ei:priority', /unknown element/, true)
  })

  it('malformed XML', () => {
    const issues = issuesOf(() => fromXml(tenderXml.replace('</ei:partyID>', '</ei:party>')))
    expect(issues[0]!.path).toBe('/')
    expect(issues[0]!.message).toMatch(/malformed XML at line \d+, column \d+/)
    expect(issuesOf(() => fromXml('not xml at all'))[0]!.message).toMatch(/malformed|root/)
  })

  it('a tender with no product', () => {
    const xml = tenderXml.replace(/<emix:product>[\s\S]*?<\/emix:product>/, '')
    expectXmlIssue(xml, `${PRODUCT}`, /required element is missing/, true)
  })

  it('missing requestID', () => {
    const xml = tenderXml.replace(/<pyld:requestID>.*<\/pyld:requestID>/, '')
    expectXmlIssue(xml, '/pyld:eiCreateTender/pyld:requestID', /required element is missing/, true)
  })

  it('side BUY and unknown currency are named by their XML path', () => {
    expectXmlIssue(tenderXml.replace('<emix:side>buy</emix:side>', '<emix:side>BUY</emix:side>'), `${PRODUCT}/emix:side`, /buy|sell/, true)
    expectXmlIssue(tenderXml.replace('<emix:currency>USD</emix:currency>', '<emix:currency>XYZ</emix:currency>'), `${PRODUCT}/emix:currency`, /./, true)
  })

  it('bad duration and zero quantity (the XSD cannot tell; we do)', () => {
    const duration = tenderXml.replace('<xcal:duration>PT1H</xcal:duration>', '<xcal:duration>P1Y2</xcal:duration>')
    expectXmlIssue(duration, `${PRODUCT}/xcal:duration`, /ISO 8601/, false)
    expect(validateXml(duration).valid).toBe(true)
    const zero = tenderXml.replace('<emix:quantity>50</emix:quantity>', '<emix:quantity>0</emix:quantity>')
    expectXmlIssue(zero, `${PRODUCT}/power:temixPower/emix:quantity`, /greater than 0/, false)
  })

  it('refuses DOCTYPE (no entity expansion)', () => {
    const xml = '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa">]>' + tenderXml.replace(/^<\?xml[^>]*>/, '')
    expect(issuesOf(() => fromXml(xml))[0]!.message).toMatch(/DOCTYPE/)
  })

  it('requires xsi:type on abstract registration types', () => {
    const xml = toXml('eiCreatePartyRegistration', EXAMPLES.eiCreatePartyRegistration).replace(/ xsi:type="tex:RegistrationInfoType"/, '')
    expect(issuesOf(() => fromXml(xml))[0]).toMatchObject({ path: '/pyld:eiCreatePartyRegistration/ei:eiRegistrationInfo', message: expect.stringMatching(/xsi:type/) })
  })

  it('reads other prefixes and a default namespace the same', () => {
    const xml = tenderXml.replaceAll('pyld:', 'p:').replace('xmlns:pyld=', 'xmlns:p=')
      .replaceAll('<ei:', '<').replaceAll('</ei:', '</').replace('xmlns:ei=', 'xmlns=')
    expect(fromXml(xml).payload).toStrictEqual(parsePayload('eiCreateTender', EXAMPLES.eiCreateTender))
    expect(issuesOf(() => fromXml(tenderXml.replace(/ xmlns:emix="[^"]*"/, '')))[0]!.message).toMatch(/prefix "emix" is not declared/)
  })
})

describe('official JSON negatives', () => {
  const official = () => JSON.parse(toOfficialJsonText('eiCreateTender', EXAMPLES.eiCreateTender))

  it('side BUY fails ajv and our reader, with its path', () => {
    const doc = official()
    doc['pyld:eiCreateTender']['ei:eiTender'][0]['emix:product']['emix:side'].$ = 'BUY'
    expect(loadOfficialSchema()(doc)).toBe(false)
    const issues = issuesOf(() => fromOfficialJson(JSON.stringify(doc)))
    expect(issues[0]!.path).toBe(`${PRODUCT}/emix:side`)
  })

  it('missing partyID fails ajv and our reader', () => {
    const doc = official()
    delete doc['pyld:eiCreateTender']['ei:partyID']
    expect(loadOfficialSchema()(doc)).toBe(false)
    expect(issuesOf(() => fromOfficialJson(JSON.stringify(doc)))[0]!.path).toBe('/pyld:eiCreateTender/ei:partyID')
  })

  it('keeps decimals exact: 0.10 stays "0.10", 1.5e3 becomes "1500"', () => {
    const text = toOfficialJsonText('eiCreateTender', EXAMPLES.eiCreateTender).replace('"$": 0.125', '"$": 0.10').replace('"$": 50', '"$": 1.5e3')
    const product = fromOfficialJson(text, 'eiCreateTender').payload.eiTender[0]!.product
    expect(product.temixPower.price).toBe('0.10')
    expect(product.temixPower.quantity).toBe('1500')
  })

  it('malformed JSON', () => {
    expect(issuesOf(() => fromOfficialJson('{"pyld:eiCreateTender": '))[0]!.message).toMatch(/malformed JSON/)
  })
})
