/**
 * Property-based round trips over generated payloads: model -> XML -> model and
 * model -> official JSON -> model are the identity, and a sample of the XML validates with xmllint.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { fromXml, parsePayload, toXml } from './codec.js'
import { fromOfficialJson, toOfficialJsonText } from './official-json.js'
import { validateXml } from './xsd-validation.js'
import { ISO4217_CURRENCIES } from './iso4217-currencies.js'
import type { Payload, PayloadName } from './registry.js'

// Ids may hold anything XML must escape, and non-ASCII text, but no control characters.
const id = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom(...'abcXYZ019-_.:/ &<>"\'äé€漢'.split('')) })
const digits = (max: number) => fc.string({ minLength: 1, maxLength: max, unit: fc.constantFrom(...'0123456789'.split('')) })
const decimal = fc.tuple(fc.constantFrom('', '-'), digits(6), fc.option(digits(4), { nil: undefined }))
  .map(([sign, whole, fraction]) => `${sign}${whole}${fraction === undefined ? '' : '.' + fraction}`)
const positive = fc.tuple(fc.integer({ min: 1, max: 999999 }), fc.option(digits(3), { nil: undefined }))
  .map(([whole, fraction]) => `${whole}${fraction === undefined ? '' : '.' + fraction}`)
const dateTime = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .chain((d) => fc.constantFrom(d.toISOString(), d.toISOString().replace('.000Z', 'Z'), d.toISOString().replace(/\.\d+Z$/, '+02:00')))
const dtStart = fc.oneof(dateTime, fc.constant('2026-06-20'), fc.constant('12:30:00'))
const duration = fc.constantFrom('PT5M', 'PT15M', 'PT1H', 'P1D', 'P1W', 'PT0.5S', 'P1DT2H', 'P1Y2M3DT4H5M6S')
const unit = fc.record({ itemDescription: fc.constant('RealEnergy' as const), itemUnits: fc.constant('Wh' as const), siScaleCode: fc.constantFrom('k' as const, 'M' as const, 'none' as const) })

const temixPower = fc.record({
  price: decimal, energyReal: unit, quantity: positive, pnode: fc.record({ node: id })
}, { requiredKeys: [] })

const product = fc.record({
  dtStart,
  duration,
  temixPower,
  intervals: fc.array(fc.record({ uid: id, temixPower }), { minLength: 1, maxLength: 4 }),
  uid: id,
  transactiveState: fc.constantFrom('tender' as const, 'transaction' as const, 'indicationOfInterest' as const),
  expirationDate: dateTime,
  integralOnly: fc.boolean(),
  currency: fc.constantFrom(...ISO4217_CURRENCIES),
  marketContext: fc.webUrl(),
  side: fc.constantFrom('buy' as const, 'sell' as const)
}, { requiredKeys: ['temixPower', 'uid', 'transactiveState', 'marketContext', 'side'] })

const eiResponse = fc.record({
  responseCode: fc.integer({ min: 100, max: 599 }).map(String),
  responseDescription: fc.string({ maxLength: 30, unit: fc.constantFrom(...'ok rejected <&> "x"'.split('')) }),
  refID: id,
  responseTermsViolated: fc.array(fc.record({ responseDescription: id, minimumRunDuration: fc.record({ duration }) }), { maxLength: 2 }),
  createdDateTime: dateTime
}, { requiredKeys: ['responseCode', 'refID'] })

const GENERATORS: { [N in PayloadName]?: fc.Arbitrary<Payload<N>> } = {
  eiCreateTender: fc.record({ requestID: id, partyID: id, counterPartyID: id, eiTender: fc.array(fc.record({ tenderID: id, product }), { minLength: 1, maxLength: 3 }) }),
  eiCreatedTender: fc.record({ eiResponse, partyID: id, counterPartyID: id, tenderID: fc.array(id, { minLength: 1, maxLength: 3 }) }, { requiredKeys: ['eiResponse', 'partyID'] }),
  eiCreateTransaction: fc.record({ requestID: id, partyID: id, counterPartyID: id, eiTransaction: fc.array(fc.record({ transactionID: id, tenderID: id, product }, { requiredKeys: ['transactionID', 'product'] }), { minLength: 1, maxLength: 2 }) }),
  eiCreatedTransaction: fc.record({ counterPartyID: id, partyID: id, eiResponse, transactionID: fc.array(id, { minLength: 1, maxLength: 3 }) }, { requiredKeys: ['counterPartyID', 'partyID', 'eiResponse'] }),
  eiCreateQuote: fc.record({ requestID: id, publisherPartyID: id, subscriberPartyID: id, eiQuote: fc.array(fc.record({ quoteID: id, product: fc.array(product, { minLength: 1, maxLength: 2 }) }), { minLength: 1, maxLength: 2 }) }),
  eiReplyPosition: fc.record({
    eiResponse, positionPartyID: id,
    boundingInterval: fc.record({ dtStart: dateTime, duration }),
    position: fc.record({ dtStart: dateTime, duration, intervals: fc.array(fc.record({ uid: id, netQuantity: decimal }), { minLength: 1, maxLength: 5 }) })
  }, { requiredKeys: ['eiResponse', 'positionPartyID', 'boundingInterval'] })
}

const NEEDS_EXTENSIONS = new Set<PayloadName>(['eiReplyPosition'])

describe.each(Object.keys(GENERATORS) as PayloadName[])('generated %s', (name) => {
  const arbitrary = GENERATORS[name] as fc.Arbitrary<unknown>

  it('is valid, and round-trips through XML and official JSON unchanged', () => {
    fc.assert(fc.property(arbitrary, (generated) => {
      const model = parsePayload(name, generated)
      expect(fromXml(toXml(name, model as never), name).payload).toStrictEqual(model)
      expect(fromOfficialJson(toOfficialJsonText(name, model as never), name).payload).toStrictEqual(model)
    }), { numRuns: 150 })
  })

  it('writes XML that xmllint validates (a sample)', () => {
    for (const generated of fc.sample(arbitrary, { numRuns: 8, seed: 42 })) {
      const xml = toXml(name, parsePayload(name, generated) as never)
      const result = validateXml(xml, { extensions: NEEDS_EXTENSIONS.has(name) })
      expect(result.errors).toEqual([])
    }
  })
})
