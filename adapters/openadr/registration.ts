/**
 * OpenADR 2.0b registration, the VEN's side: oadrQueryRegistration and oadrCreatePartyRegistration
 * out, oadrCreatedPartyRegistration in.
 */
import type { XmlElement } from '../../schemas/tree.js'
import { child, e, maybe, message, optionalText, text } from './tree.js'

export function queryRegistration (requestID: string): XmlElement {
  return message('oadrQueryRegistration', e('pyld', 'requestID', requestID))
}

export interface PartyRegistration {
  requestID: string
  venName: string
  /** Set when re-registering. */
  registrationID?: string
  venID?: string
  /** simpleHttp pull (the VEN polls) unless a transport address is given for push. */
  transportAddress?: string
}

export function createPartyRegistration (r: PartyRegistration): XmlElement {
  return message('oadrCreatePartyRegistration',
    e('pyld', 'requestID', r.requestID),
    ...(r.registrationID === undefined ? [] : [e('ei', 'registrationID', r.registrationID)]),
    ...(r.venID === undefined ? [] : [e('ei', 'venID', r.venID)]),
    e('oadr', 'oadrProfileName', '2.0b'), e('oadr', 'oadrTransportName', 'simpleHttp'),
    ...(r.transportAddress === undefined ? [] : [e('oadr', 'oadrTransportAddress', r.transportAddress)]),
    e('oadr', 'oadrReportOnly', 'false'), e('oadr', 'oadrXmlSignature', 'false'), e('oadr', 'oadrVenName', r.venName),
    e('oadr', 'oadrHttpPullModel', r.transportAddress === undefined ? 'true' : 'false'))
}

export interface CreatedPartyRegistration {
  responseCode: string
  responseDescription?: string
  requestID: string
  registrationID?: string
  venID?: string
  vtnID: string
  pollFreq?: string
}

export function createdPartyRegistrationOf (m: XmlElement): CreatedPartyRegistration {
  const path = '/oadr:oadrCreatedPartyRegistration'
  const response = child(m, 'ei', 'eiResponse', path)
  const out: CreatedPartyRegistration = {
    responseCode: text(response, 'ei', 'responseCode', `${path}/ei:eiResponse`), requestID: text(response, 'pyld', 'requestID', `${path}/ei:eiResponse`),
    vtnID: text(m, 'ei', 'vtnID', path)
  }
  const description = optionalText(response, 'ei', 'responseDescription')
  if (description !== undefined) out.responseDescription = description
  const registrationID = optionalText(m, 'ei', 'registrationID')
  if (registrationID !== undefined && registrationID !== '') out.registrationID = registrationID
  const venID = optionalText(m, 'ei', 'venID')
  if (venID !== undefined && venID !== '') out.venID = venID
  const freq = maybe(m, 'oadr', 'oadrRequestedOadrPollFreq')
  if (freq !== undefined) out.pollFreq = text(freq, 'xcal', 'duration', `${path}/oadr:oadrRequestedOadrPollFreq`)
  return out
}
