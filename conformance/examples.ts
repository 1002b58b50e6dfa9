/**
 * Documents for the conformance checker: every example payload in each of its three forms (which
 * must pass), and the schema negatives of schemas/negative.test.ts as documents (which must be
 * flagged, at the path named). `te-gateway conformance examples DIR` writes them out as files.
 */
import { toXml } from '../schemas/codec.js'
import { EXAMPLES } from '../schemas/examples.js'
import { toOfficialJsonText } from '../schemas/official-json.js'
import { PAYLOAD_NAMES, type PayloadName } from '../schemas/registry.js'

export interface ExampleDocument {
  /** A file name that says what it is: <payload>.<case>.<json|xml>. */
  file: string
  text: string
}

export interface NegativeDocument extends ExampleDocument {
  /** The path at which the checker must report a violation ('/' for documents that do not parse). */
  path: string
}

export function positiveDocuments (): ExampleDocument[] {
  return PAYLOAD_NAMES.flatMap((name) => [
    { file: `${name}.json`, text: JSON.stringify(EXAMPLES[name], null, 2) },
    { file: `${name}.xml`, text: toXml(name, EXAMPLES[name] as never) },
    { file: `${name}.official.json`, text: toOfficialJsonText(name, EXAMPLES[name] as never) }
  ])
}

const TENDER = '/pyld:eiCreateTender/ei:eiTender[1]'
const PRODUCT = `${TENDER}/emix:product`

/** A copy of an example, changed by `edit`, as our JSON binding. */
function json<N extends PayloadName> (name: N, label: string, path: string, edit: (doc: any) => unknown): NegativeDocument {
  const doc: any = structuredClone(EXAMPLES[name])
  const replaced = edit(doc)
  return { file: `${name}.${label}.json`, text: JSON.stringify(replaced ?? doc, null, 2), path }
}

function xml (label: string, path: string, edit: (text: string) => string, name: PayloadName = 'eiCreateTender'): NegativeDocument {
  return { file: `${name}.${label}.xml`, text: edit(toXml(name, EXAMPLES[name] as never)), path }
}

function official (label: string, path: string, edit: (doc: any) => void): NegativeDocument {
  const doc = JSON.parse(toOfficialJsonText('eiCreateTender', EXAMPLES.eiCreateTender))
  edit(doc)
  return { file: `eiCreateTender.${label}.official.json`, text: JSON.stringify(doc, null, 2), path }
}

const product = (doc: any) => doc.eiTender[0].product

export function negativeDocuments (): NegativeDocument[] {
  return [
    json('eiCreateTender', 'missing-requestID', 'requestID', (d) => { delete d.requestID }),
    json('eiCreateTender', 'missing-partyID', 'partyID', (d) => { delete d.partyID }),
    json('eiCreateTender', 'missing-tenderID', 'eiTender[0].tenderID', (d) => { delete d.eiTender[0].tenderID }),
    json('eiCancelTender', 'missing-tenderID', 'tenderID', (d) => { delete d.tenderID }),
    json('eiCancelTender', 'empty-tenderID', 'tenderID', (d) => { d.tenderID = [] }),
    json('eiCreateTender', 'side-BUY', 'eiTender[0].product.side', (d) => { product(d).side = 'BUY' }),
    ...['P1Y2', 'one hour', 'P', 'PT', 'PT1H30', '-PT1H', 'P1W2D'].map((duration, i) =>
      json('eiCreateTender', `duration-${i + 1}`, 'eiTender[0].product.duration', (d) => { product(d).duration = duration })),
    json('eiCreateTender', 'currency-XYZ', 'eiTender[0].product.currency', (d) => { product(d).currency = 'XYZ' }),
    ...['0', '0.000', '-5', '-0.1'].map((quantity, i) =>
      json('eiCreateTender', `quantity-${i + 1}`, 'eiTender[0].product.temixPower.quantity', (d) => { product(d).temixPower.quantity = quantity })),
    json('eiCreateTender', 'price-as-number', 'eiTender[0].product.temixPower.price', (d) => { product(d).temixPower.price = 0.125 }),
    json('eiCreateTender', 'no-product', 'eiTender[0].product', (d) => { delete d.eiTender[0].product }),
    json('eiCreateTender', 'unknown-key', '(root)', (d) => ({ ...d, priority: 1 })),
    json('eiCreatedTender', 'responseCode-OK', 'eiResponse.responseCode', (d) => { d.eiResponse.responseCode = 'OK' }),
    json('eiCreatedTender', 'responseCode-number', 'eiResponse.responseCode', (d) => { d.eiResponse.responseCode = 200 }),
    json('eiCreatedTender', 'date-Feb-30', 'eiResponse.createdDateTime', (d) => { d.eiResponse.createdDateTime = '2026-02-30T00:00:00Z' }),
    json('eiCreateTender', 'two-units', 'eiTender[0].product.temixPower.energyApparent', (d) => { product(d).temixPower.energyApparent = { siScaleCode: 'k' } }),

    xml('order', '/pyld:eiCreateTender/ei:partyID', (t) => t.replace(/(<ei:partyID>.*<\/ei:partyID>)(\s*)(<ei:counterPartyID>.*<\/ei:counterPartyID>)/, '$3$2$1')),
    xml('order-in-product', `${PRODUCT}/emix:marketContext`, (t) => t.replace(/(<emix:marketContext>[^<]*<\/emix:marketContext>)(\s*)(<emix:side>buy<\/emix:side>)/, '$3$2$1')),
    xml('unknown-element', '/pyld:eiCreateTender/ei:priority', (t) => t.replace('<ei:partyID>', '<ei:priority>1</ei:priority><ei:partyID>')),
    xml('malformed', '/', (t) => t.replace('</ei:partyID>', '</ei:party>')),
    xml('no-product', PRODUCT, (t) => t.replace(/<emix:product>[\s\S]*?<\/emix:product>/, '')),
    xml('missing-requestID', '/pyld:eiCreateTender/pyld:requestID', (t) => t.replace(/<pyld:requestID>.*<\/pyld:requestID>/, '')),
    xml('side-BUY', `${PRODUCT}/emix:side`, (t) => t.replace('<emix:side>buy</emix:side>', '<emix:side>BUY</emix:side>')),
    xml('currency-XYZ', `${PRODUCT}/emix:currency`, (t) => t.replace('<emix:currency>USD</emix:currency>', '<emix:currency>XYZ</emix:currency>')),
    xml('duration-P1Y2', `${PRODUCT}/xcal:duration`, (t) => t.replace('<xcal:duration>PT1H</xcal:duration>', '<xcal:duration>P1Y2</xcal:duration>')),
    xml('quantity-0', `${PRODUCT}/power:temixPower/emix:quantity`, (t) => t.replace('<emix:quantity>50</emix:quantity>', '<emix:quantity>0</emix:quantity>')),
    xml('doctype', '/', (t) => '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa">]>' + t.replace(/^<\?xml[^>]*>/, '')),
    xml('no-xsi-type', '/pyld:eiCreatePartyRegistration/ei:eiRegistrationInfo', (t) => t.replace(/ xsi:type="tex:RegistrationInfoType"/, ''), 'eiCreatePartyRegistration'),
    xml('undeclared-prefix', '/', (t) => t.replace(/ xmlns:emix="[^"]*"/, '')),

    official('side-BUY', `${PRODUCT}/emix:side`, (d) => { d['pyld:eiCreateTender']['ei:eiTender'][0]['emix:product']['emix:side'].$ = 'BUY' }),
    official('missing-partyID', '/pyld:eiCreateTender/ei:partyID', (d) => { delete d['pyld:eiCreateTender']['ei:partyID'] }),
    { file: 'eiCreateTender.malformed.official.json', text: '{"pyld:eiCreateTender": ', path: '/' },
    { file: 'not-xml-at-all.xml', text: 'not xml at all', path: '/' }
  ]
}
