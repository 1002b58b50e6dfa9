/**
 * Every OpenADR 2.0b message as a typed value, described once (adapters/openadr/codec.ts) in the
 * schema's names and order. `readPayload` maps any of the 23 message types to its value, and
 * `writePayload` rebuilds the element tree. The rebuilt tree carries the same meaning and is
 * XSD-valid again, which a test checks on every recorded message.
 *
 * A few rarely used parts of the schema are carried as written rather than read into. Each is a
 * substitution group or a rarely used extra:
 *   - the units of emix:itemBase;
 *   - the asset kinds of an eiTarget;
 *   - tolerances, baselines, availability, and Green Button payloads;
 *   - service-specific info and extensions.
 * The code that acts on messages (events.ts, registration.ts, reports.ts, the VEN and the VTN)
 * reads the typed parts.
 */
import { CtsValidationError, type XmlElement } from '../../schemas/tree.js'
import { attribute, bool, int, list, many, one, oneOf, opt, raw, rawOf, record, text, wrap, type ElementCodec, type ValueOf } from './codec.js'
import { OadrInputError, readOadr, validateOadr, type OadrMessage, type OadrMessageType } from './envelope.js'

// ------------------------------------------------------------------------------------------
// Building blocks

const requestID = text('pyld', 'requestID')
const venID = text('ei', 'venID')
const reportRequestID = text('ei', 'reportRequestID')
/** xcal:DateTimeType under a wrapper (xcal:dtstart/xcal:date-time). */
const dateTime = (prefix: 'xcal', local: string) => wrap(prefix, local, text('xcal', 'date-time'))
/** xcal:DurationPropType (a wrapper around xcal:duration). */
const durationProp = (prefix: 'xcal' | 'ei' | 'oadr', local: string) => wrap(prefix, local, text('xcal', 'duration'))

export const eiResponse = record('ei', 'eiResponse', {
  responseCode: one(text('ei', 'responseCode')), responseDescription: opt(text('ei', 'responseDescription')), requestID: one(requestID)
})
export type EiResponse = ValueOf<typeof eiResponse>

const qualifiedEventID = record('ei', 'qualifiedEventID', { eventID: one(text('ei', 'eventID')), modificationNumber: one(int('ei', 'modificationNumber')) })

/** Who a message is for (ei:EiTargetType): the id lists typed, asset descriptions as written. */
const target = (prefix: 'ei' | 'oadr', local: string) => record(prefix, local, {
  assets: many(rawOf([['power', 'aggregatedPnode'], ['power', 'endDeviceAsset'], ['power', 'meterAsset'], ['power', 'pnode'], ['emix', 'serviceArea'],
    ['power', 'serviceDeliveryPoint'], ['power', 'serviceLocation'], ['power', 'transportInterface']])),
  groupID: many(text('ei', 'groupID')), groupName: many(text('ei', 'groupName')), resourceID: many(text('ei', 'resourceID')),
  venID: many(venID), partyID: many(text('ei', 'partyID'))
})
export type EiTarget = ValueOf<ReturnType<typeof target>>

/** An eiTarget naming some VENs or resources, nothing else. */
export function targetOf (ids: { venID?: string[], resourceID?: string[] }): EiTarget {
  return { assets: [], groupID: [], groupName: [], resourceID: ids.resourceID ?? [], venID: ids.venID ?? [], partyID: [] }
}

/** emix:itemBase: the unit of a signal or a report data point. */
const itemBase = rawOf([
  ['power', 'voltage'], ['power', 'energyApparent'], ['power', 'energyReactive'], ['power', 'energyReal'], ['power', 'powerApparent'], ['power', 'powerReactive'],
  ['power', 'powerReal'], ['oadr', 'Therm'], ['oadr', 'currency'], ['oadr', 'currencyPerKW'], ['oadr', 'currencyPerKWh'], ['oadr', 'currencyPerThm'],
  ['oadr', 'current'], ['oadr', 'customUnit'], ['oadr', 'frequency'], ['oadr', 'oadrGBDataDescription'], ['oadr', 'pulseCount'], ['oadr', 'temperature']
])

const payloadFloat = wrap('ei', 'payloadFloat', text('ei', 'value'))
/** ei:payloadBase: a decimal value (as written), or a resource status. */
const payloadBase = oneOf({ payloadFloat, resourceStatus: raw('oadr', 'oadrPayloadResourceStatus') })

const reportPayload = record('oadr', 'oadrReportPayload', {
  rID: one(text('ei', 'rID')), confidence: opt(int('ei', 'confidence')), accuracy: opt(text('ei', 'accuracy')),
  payload: one(payloadBase), dataQuality: opt(text('oadr', 'oadrDataQuality'))
})

export const interval = record('ei', 'interval', {
  dtStart: opt(dateTime('xcal', 'dtstart')), duration: opt(durationProp('xcal', 'duration')), uid: opt(wrap('xcal', 'uid', text('xcal', 'text'))),
  payloads: many(oneOf({ signal: wrap('ei', 'signalPayload', payloadBase), report: reportPayload, greenButton: raw('oadr', 'oadrGBPayload') }), 1)
})
export type Interval = ValueOf<typeof interval>
const intervals = list('strm', 'intervals', interval, 1)

const properties = record('xcal', 'properties', {
  dtStart: one(dateTime('xcal', 'dtstart')), duration: one(durationProp('xcal', 'duration')), tolerance: opt(raw('xcal', 'tolerance')),
  notification: opt(durationProp('ei', 'x-eiNotification')), rampUp: opt(durationProp('ei', 'x-eiRampUp')), recovery: opt(durationProp('ei', 'x-eiRecovery'))
})

// ------------------------------------------------------------------------------------------
// Events

const eventSignal = record('ei', 'eiEventSignal', {
  intervals: one(intervals), eiTarget: opt(target('ei', 'eiTarget')), signalName: one(text('ei', 'signalName')), signalType: one(text('ei', 'signalType')),
  signalID: one(text('ei', 'signalID')), itemBase: opt(itemBase), currentValue: opt(wrap('ei', 'currentValue', payloadFloat))
})
export type EiEventSignal = ValueOf<typeof eventSignal>

const eventDescriptor = record('ei', 'eventDescriptor', {
  eventID: one(text('ei', 'eventID')), modificationNumber: one(int('ei', 'modificationNumber')),
  modificationDateTime: opt(text('ei', 'modificationDateTime')), modificationReason: opt(text('ei', 'modificationReason')), priority: opt(int('ei', 'priority')),
  marketContext: one(wrap('ei', 'eiMarketContext', text('emix', 'marketContext'))), createdDateTime: one(text('ei', 'createdDateTime')),
  eventStatus: one(text('ei', 'eventStatus')), testEvent: opt(text('ei', 'testEvent')), vtnComment: opt(text('ei', 'vtnComment'))
})

const eiEvent = record('ei', 'eiEvent', {
  eventDescriptor: one(eventDescriptor),
  eiActivePeriod: one(record('ei', 'eiActivePeriod', { properties: one(properties), components: one(raw('xcal', 'components')) })),
  eiEventSignals: one(record('ei', 'eiEventSignals', { signals: many(eventSignal, 1), baseline: opt(raw('ei', 'eiEventBaseline')) })),
  eiTarget: one(target('ei', 'eiTarget'))
})
export const oadrEvent = record('oadr', 'oadrEvent', { eiEvent: one(eiEvent), oadrResponseRequired: one(text('oadr', 'oadrResponseRequired')) })
export type OadrEventValue = ValueOf<typeof oadrEvent>

const eventResponse = record('ei', 'eventResponse', {
  responseCode: one(text('ei', 'responseCode')), responseDescription: opt(text('ei', 'responseDescription')), requestID: one(requestID),
  qualifiedEventID: one(qualifiedEventID), optType: one(text('ei', 'optType'))
})

// ------------------------------------------------------------------------------------------
// Reports

const specifierPayload = record('ei', 'specifierPayload', { rID: one(text('ei', 'rID')), itemBase: opt(itemBase), readingType: one(text('ei', 'readingType')) })

export const reportRequest = record('oadr', 'oadrReportRequest', {
  reportRequestID: one(reportRequestID),
  reportSpecifier: one(record('ei', 'reportSpecifier', {
    reportSpecifierID: one(text('ei', 'reportSpecifierID')), granularity: one(durationProp('xcal', 'granularity')),
    reportBackDuration: one(durationProp('ei', 'reportBackDuration')), reportInterval: opt(record('ei', 'reportInterval', { properties: one(properties) })),
    specifierPayload: many(specifierPayload, 1)
  }))
})
export type OadrReportRequest = ValueOf<typeof reportRequest>

const reportDescription = record('oadr', 'oadrReportDescription', {
  rID: one(text('ei', 'rID')), reportSubject: opt(target('ei', 'reportSubject')), reportDataSource: opt(target('ei', 'reportDataSource')),
  reportType: one(text('ei', 'reportType')), itemBase: opt(itemBase), readingType: one(text('ei', 'readingType')),
  marketContext: opt(text('emix', 'marketContext')),
  oadrSamplingRate: opt(record('oadr', 'oadrSamplingRate', {
    oadrMinPeriod: one(text('oadr', 'oadrMinPeriod')), oadrMaxPeriod: one(text('oadr', 'oadrMaxPeriod')), oadrOnChange: one(bool('oadr', 'oadrOnChange'))
  }))
})
export type OadrReportDescription = ValueOf<typeof reportDescription>

export const report = record('oadr', 'oadrReport', {
  dtStart: opt(dateTime('xcal', 'dtstart')), duration: opt(durationProp('xcal', 'duration')), intervals: opt(intervals),
  eiReportID: opt(text('ei', 'eiReportID')), oadrReportDescription: many(reportDescription), reportRequestID: one(reportRequestID),
  reportSpecifierID: one(text('ei', 'reportSpecifierID')), reportName: opt(text('ei', 'reportName')), createdDateTime: one(text('ei', 'createdDateTime'))
})
export type OadrReport = ValueOf<typeof report>

const pendingReports = list('oadr', 'oadrPendingReports', reportRequestID)

const schemaVersion = attribute('ei', 'schemaVersion')

const cancelReportFields = {
  schemaVersion, requestID: one(requestID), reportRequestID: many(reportRequestID, 1), reportToFollow: one(bool('pyld', 'reportToFollow')), venID: opt(venID)
}

// ------------------------------------------------------------------------------------------
// The messages

/** Each message type's description, by the name of its element. */
export const MESSAGES = {
  oadrDistributeEvent: record('oadr', 'oadrDistributeEvent', {
    schemaVersion, eiResponse: opt(eiResponse), requestID: one(requestID), vtnID: one(text('ei', 'vtnID')), oadrEvent: many(oadrEvent)
  }),
  oadrCreatedEvent: record('oadr', 'oadrCreatedEvent', {
    schemaVersion,
    eiCreatedEvent: one(record('pyld', 'eiCreatedEvent', { eiResponse: one(eiResponse), eventResponses: opt(list('ei', 'eventResponses', eventResponse)), venID: one(venID) }))
  }),
  oadrRequestEvent: record('oadr', 'oadrRequestEvent', {
    schemaVersion, eiRequestEvent: one(record('pyld', 'eiRequestEvent', { requestID: one(requestID), venID: one(venID), replyLimit: opt(int('pyld', 'replyLimit')) }))
  }),
  oadrResponse: record('oadr', 'oadrResponse', { schemaVersion, eiResponse: one(eiResponse), venID: opt(venID) }),
  oadrCancelOpt: record('oadr', 'oadrCancelOpt', { schemaVersion, requestID: one(requestID), optID: one(text('ei', 'optID')), venID: one(venID) }),
  oadrCanceledOpt: record('oadr', 'oadrCanceledOpt', { schemaVersion, eiResponse: one(eiResponse), optID: opt(text('ei', 'optID')) }),
  oadrCreateOpt: record('oadr', 'oadrCreateOpt', {
    schemaVersion, optID: one(text('ei', 'optID')), optType: one(text('ei', 'optType')), optReason: one(text('ei', 'optReason')),
    marketContext: opt(text('emix', 'marketContext')), venID: one(venID), vavailability: opt(raw('xcal', 'vavailability')),
    createdDateTime: one(text('ei', 'createdDateTime')), requestID: one(requestID), qualifiedEventID: opt(qualifiedEventID),
    eiTarget: one(target('ei', 'eiTarget')), oadrDeviceClass: opt(target('oadr', 'oadrDeviceClass'))
  }),
  oadrCreatedOpt: record('oadr', 'oadrCreatedOpt', { schemaVersion, eiResponse: one(eiResponse), optID: one(text('ei', 'optID')) }),
  oadrCancelReport: record('oadr', 'oadrCancelReport', cancelReportFields),
  oadrCanceledReport: record('oadr', 'oadrCanceledReport', { schemaVersion, eiResponse: one(eiResponse), oadrPendingReports: one(pendingReports), venID: opt(venID) }),
  oadrCreateReport: record('oadr', 'oadrCreateReport', { schemaVersion, requestID: one(requestID), oadrReportRequest: many(reportRequest, 1), venID: opt(venID) }),
  oadrCreatedReport: record('oadr', 'oadrCreatedReport', { schemaVersion, eiResponse: one(eiResponse), oadrPendingReports: one(pendingReports), venID: opt(venID) }),
  oadrRegisterReport: record('oadr', 'oadrRegisterReport', {
    schemaVersion, requestID: one(requestID), oadrReport: many(report), venID: opt(venID), reportRequestID: opt(reportRequestID)
  }),
  oadrRegisteredReport: record('oadr', 'oadrRegisteredReport', { schemaVersion, eiResponse: one(eiResponse), oadrReportRequest: many(reportRequest), venID: opt(venID) }),
  oadrUpdateReport: record('oadr', 'oadrUpdateReport', { schemaVersion, requestID: one(requestID), oadrReport: many(report), venID: opt(venID) }),
  oadrUpdatedReport: record('oadr', 'oadrUpdatedReport', {
    schemaVersion, eiResponse: one(eiResponse), oadrCancelReport: opt(record('oadr', 'oadrCancelReport', cancelReportFields)), venID: opt(venID)
  }),
  oadrCancelPartyRegistration: record('oadr', 'oadrCancelPartyRegistration', {
    schemaVersion, requestID: one(requestID), registrationID: one(text('ei', 'registrationID')), venID: opt(venID)
  }),
  oadrCanceledPartyRegistration: record('oadr', 'oadrCanceledPartyRegistration', {
    schemaVersion, eiResponse: one(eiResponse), registrationID: opt(text('ei', 'registrationID')), venID: opt(venID)
  }),
  oadrCreatePartyRegistration: record('oadr', 'oadrCreatePartyRegistration', {
    schemaVersion, requestID: one(requestID), registrationID: opt(text('ei', 'registrationID')), venID: opt(venID),
    oadrProfileName: one(text('oadr', 'oadrProfileName')), oadrTransportName: one(text('oadr', 'oadrTransportName')),
    oadrTransportAddress: opt(text('oadr', 'oadrTransportAddress')), oadrReportOnly: one(bool('oadr', 'oadrReportOnly')),
    oadrXmlSignature: one(bool('oadr', 'oadrXmlSignature')), oadrVenName: opt(text('oadr', 'oadrVenName')), oadrHttpPullModel: opt(bool('oadr', 'oadrHttpPullModel'))
  }),
  oadrCreatedPartyRegistration: record('oadr', 'oadrCreatedPartyRegistration', {
    schemaVersion, eiResponse: one(eiResponse), registrationID: opt(text('ei', 'registrationID')), venID: opt(venID), vtnID: one(text('ei', 'vtnID')),
    oadrProfiles: one(list('oadr', 'oadrProfiles', record('oadr', 'oadrProfile', {
      oadrProfileName: one(text('oadr', 'oadrProfileName')),
      oadrTransports: one(list('oadr', 'oadrTransports', wrap('oadr', 'oadrTransport', text('oadr', 'oadrTransportName')), 1))
    }), 1)),
    oadrRequestedOadrPollFreq: opt(durationProp('oadr', 'oadrRequestedOadrPollFreq')),
    oadrServiceSpecificInfo: opt(raw('oadr', 'oadrServiceSpecificInfo')), oadrExtensions: opt(raw('oadr', 'oadrExtensions'))
  }),
  oadrRequestReregistration: record('oadr', 'oadrRequestReregistration', { schemaVersion, venID: one(venID) }),
  oadrQueryRegistration: record('oadr', 'oadrQueryRegistration', { schemaVersion, requestID: one(requestID) }),
  oadrPoll: record('oadr', 'oadrPoll', { schemaVersion, venID: one(venID) })
} as const satisfies Record<OadrMessageType, ElementCodec<any>>

export type OadrMessageValue<K extends OadrMessageType> = ValueOf<(typeof MESSAGES)[K]>

/** Any OpenADR 2.0b message, typed: `{ type: 'oadrPoll', message: { venID } }`. */
export type OadrPayload = { [K in OadrMessageType]: { type: K, message: OadrMessageValue<K> } }[OadrMessageType]

/** A message received and accepted: its element tree (envelope.ts) and its typed value. */
export interface ReceivedOadr extends OadrMessage {
  payload: OadrPayload
}

/**
 * Everything received goes through here: read defensively (readOadr: size, no DOCTYPE,
 * well-formed, the envelope), checked against oadr_20b.xsd unless `validate` is false, and mapped
 * to its typed value. What is not acceptable throws OadrInputError, with the HTTP status to answer
 * (400 or 413) and a short reason.
 */
export async function receiveOadr (body: string | Buffer, validate = true): Promise<ReceivedOadr> {
  const received = readOadr(body)
  if (validate) {
    const verdict = await validateOadr(typeof body === 'string' ? body : body.toString('utf8'))
    if (!verdict.valid) throw new OadrInputError(400, `not valid against oadr_20b.xsd: ${verdict.errors[0] ?? 'invalid'}`)
  }
  try {
    return { ...received, payload: readPayload(received) }
  } catch (error) {
    if (error instanceof CtsValidationError) throw new OadrInputError(400, error.message)
    throw error
  }
}

/** A received message (envelope.ts readOadr), mapped to its typed value; throws CtsValidationError with the path of what does not fit. */
export function readPayload (received: OadrMessage): OadrPayload {
  const codec = MESSAGES[received.type] as ElementCodec<unknown>
  return { type: received.type, message: codec.read(received.message, `/oadr:${received.type}`) } as OadrPayload
}

/** A typed message back to its element (for writeOadr). Messages get ei:schemaVersion="2.0b" unless they say otherwise. */
export function writePayload (payload: OadrPayload): XmlElement {
  const codec = MESSAGES[payload.type] as ElementCodec<unknown>
  return codec.write({ schemaVersion: '2.0b', ...payload.message })
}

/** Builds a message of one type, checked by the compiler: `build('oadrPoll', { venID })`. */
export function build<K extends OadrMessageType> (type: K, message: OadrMessageValue<K>): XmlElement {
  return writePayload({ type, message } as OadrPayload)
}
