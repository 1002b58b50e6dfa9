/**
 * OpenADR 2.0b messages on the wire: an oadr:oadrPayload holding an oadr:oadrSignedObject holding
 * one message (oadrDistributeEvent, oadrPoll, ...). Reading is defensive, because the other side
 * is a utility's VTN or a device's VEN we do not control:
 *   - size-limited before anything is parsed;
 *   - no DOCTYPE, so no entity expansion, no external entities, no billion laughs;
 *   - well-formed, with every namespace prefix declared;
 *   - the envelope as OpenADR 2.0b has it, and a message type we know of.
 * The message comes out as a namespace-resolved element tree (schemas/tree.ts); writing puts one
 * back in an envelope, with the prefixes OpenADR peers use, and `oadrSchemas` validates it.
 */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CtsValidationError, fail, type XmlElement } from '../../schemas/tree.js'
import { parseXml, writeXml } from '../../schemas/xml.js'
import { validateWithXsd, type XsdResult } from '../../schemas/xsd-validation.js'

/** The namespaces of OpenADR 2.0b, with the prefixes its own examples use. */
export const OADR_NAMESPACES = {
  oadr: 'http://openadr.org/oadr-2.0b/2012/07',
  ei: 'http://docs.oasis-open.org/ns/energyinterop/201110',
  pyld: 'http://docs.oasis-open.org/ns/energyinterop/201110/payloads',
  emix: 'http://docs.oasis-open.org/ns/emix/2011/06',
  power: 'http://docs.oasis-open.org/ns/emix/2011/06/power',
  scale: 'http://docs.oasis-open.org/ns/emix/2011/06/siscale',
  xcal: 'urn:ietf:params:xml:ns:icalendar-2.0',
  strm: 'urn:ietf:params:xml:ns:icalendar-2.0:stream',
  atom: 'http://www.w3.org/2005/Atom',
  gb: 'http://naesb.org/espi',
  gml: 'http://www.opengis.net/gml/3.2',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  dsig11: 'http://www.w3.org/2009/xmldsig11#',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance'
} as const

const OADR = OADR_NAMESPACES.oadr

/** The message types of OpenADR 2.0b (the children oadrSignedObject may hold). */
export const OADR_MESSAGE_TYPES = [
  'oadrDistributeEvent', 'oadrCreatedEvent', 'oadrRequestEvent', 'oadrResponse', 'oadrCancelOpt', 'oadrCanceledOpt', 'oadrCreateOpt',
  'oadrCreatedOpt', 'oadrCancelReport', 'oadrCanceledReport', 'oadrCreateReport', 'oadrCreatedReport', 'oadrRegisterReport',
  'oadrRegisteredReport', 'oadrUpdateReport', 'oadrUpdatedReport', 'oadrCancelPartyRegistration', 'oadrCanceledPartyRegistration',
  'oadrCreatePartyRegistration', 'oadrCreatedPartyRegistration', 'oadrRequestReregistration', 'oadrQueryRegistration', 'oadrPoll'
] as const
export type OadrMessageType = typeof OADR_MESSAGE_TYPES[number]

/** Default size limit of an incoming message: a day of 1-minute intervals fits many times over. */
export const MAX_MESSAGE_BYTES = 1024 * 1024

export interface OadrMessage {
  type: OadrMessageType
  /** The message element (oadr:{type}), namespaces resolved. */
  message: XmlElement
  /** oadrSignedObject's attributes (its oadr:Id, which a signature refers to). */
  signedObject: XmlElement['attributes']
}

/** An incoming body that is not an OpenADR 2.0b message; `status` is the HTTP status to answer. */
export class OadrInputError extends Error {
  constructor (readonly status: 400 | 413, message: string) {
    super(message)
    this.name = 'OadrInputError'
  }
}

export function readOadr (xml: string | Buffer, maxBytes = MAX_MESSAGE_BYTES): OadrMessage {
  const size = typeof xml === 'string' ? Buffer.byteLength(xml) : xml.length
  if (size > maxBytes) throw new OadrInputError(413, `the message has ${size} bytes; at most ${maxBytes} are read`)
  let root: XmlElement
  try {
    root = parseXml(typeof xml === 'string' ? xml : xml.toString('utf8'))
  } catch (error) {
    if (error instanceof CtsValidationError) throw new OadrInputError(400, error.message.replace(/^\/: /, ''))
    throw error
  }
  if (root.ns !== OADR || root.local !== 'oadrPayload') throw new OadrInputError(400, `the root is ${name(root)}, not oadr:oadrPayload`)
  const signed = root.children.filter((c) => c.ns === OADR && c.local === 'oadrSignedObject')
  if (signed.length !== 1 || root.children.some((c) => !(c.ns === OADR && c.local === 'oadrSignedObject') && !(c.local === 'Signature'))) {
    throw new OadrInputError(400, 'oadr:oadrPayload must hold one oadr:oadrSignedObject (and at most a signature)')
  }
  const messages = signed[0]!.children
  if (messages.length !== 1) throw new OadrInputError(400, `oadr:oadrSignedObject holds ${messages.length} elements, not one message`)
  const message = messages[0]!
  if (message.ns !== OADR || !(OADR_MESSAGE_TYPES as readonly string[]).includes(message.local)) throw new OadrInputError(400, `${name(message)} is not an OpenADR 2.0b message`)
  return { type: message.local as OadrMessageType, message, signedObject: signed[0]!.attributes }
}

/** Puts a message in its envelope and writes it, with OpenADR's prefixes declared on the root. */
export function writeOadr (message: XmlElement, signedObject: XmlElement['attributes'] = [{ ns: OADR, local: 'Id', value: 'oadrSignedObject' }]): string {
  if (message.ns !== OADR) fail('/', `${name(message)} is not an OpenADR message`)
  const signed: XmlElement = { ns: OADR, local: 'oadrSignedObject', attributes: signedObject, children: [message], text: '' }
  return writeXml({ ns: OADR, local: 'oadrPayload', attributes: [], children: [signed], text: '' }, OADR_NAMESPACES)
}

function name (el: XmlElement): string {
  const prefix = Object.entries(OADR_NAMESPACES).find(([, uri]) => uri === el.ns)?.[0]
  return prefix === undefined ? `{${el.ns}}${el.local}` : `${prefix}:${el.local}`
}

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The OpenADR 2.0b schema set: $OPENADR_SCHEMAS_DIR, or ../shared/openadr-schemas beside the project. */
export function oadrSchemaDir (): string {
  return process.env.OPENADR_SCHEMAS_DIR ?? resolve(PROJECT_ROOT, '../shared/openadr-schemas')
}

/** Validates a whole message (envelope included) against oadr_20b.xsd. */
export function validateOadr (xml: string): Promise<XsdResult> {
  return validateWithXsd(xml, resolve(oadrSchemaDir(), 'oadr_20b.xsd'))
}
