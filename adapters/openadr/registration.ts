/**
 * OpenADR 2.0b registration, the VEN's side: oadrQueryRegistration and oadrCreatePartyRegistration
 * out, oadrCreatedPartyRegistration in (read and written through model.ts).
 */
import type { XmlElement } from '../../schemas/tree.js'
import { build, type OadrMessageValue } from './model.js'

export function queryRegistration (requestID: string): XmlElement {
  return build('oadrQueryRegistration', { requestID })
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
  return build('oadrCreatePartyRegistration', {
    requestID: r.requestID,
    ...(r.registrationID !== undefined && { registrationID: r.registrationID }),
    ...(r.venID !== undefined && { venID: r.venID }),
    oadrProfileName: '2.0b', oadrTransportName: 'simpleHttp',
    ...(r.transportAddress !== undefined && { oadrTransportAddress: r.transportAddress }),
    oadrReportOnly: false, oadrXmlSignature: false, oadrVenName: r.venName, oadrHttpPullModel: r.transportAddress === undefined
  })
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

/** The VTN's answer; empty ids (a VTN answering a query before registration) count as absent. */
export function createdPartyRegistrationOf (m: OadrMessageValue<'oadrCreatedPartyRegistration'>): CreatedPartyRegistration {
  return {
    responseCode: m.eiResponse.responseCode, requestID: m.eiResponse.requestID, vtnID: m.vtnID,
    ...(m.eiResponse.responseDescription !== undefined && { responseDescription: m.eiResponse.responseDescription }),
    ...(m.registrationID !== undefined && m.registrationID !== '' && { registrationID: m.registrationID }),
    ...(m.venID !== undefined && m.venID !== '' && { venID: m.venID }),
    ...(m.oadrRequestedOadrPollFreq !== undefined && { pollFreq: m.oadrRequestedOadrPollFreq })
  }
}
