/**
 * The event side of OpenADR 2.0b, as the gateway uses it: what a VEN reads from
 * oadrDistributeEvent, flattened to events with their signals and intervals, each interval with
 * its own start. Also the messages sent about them (oadrRequestEvent, oadrCreatedEvent, oadrPoll)
 * and oadrResponse. All of them are read and written through the model (model.ts). Values stay
 * decimal strings as written: an OpenADR price of 0.12 is "0.12", never a binary float. Instants
 * are kept as the peer wrote them and compared as instants.
 */
import type { XmlElement } from '../../schemas/tree.js'
import { durationMs } from '../../market/lma/time.js'
import { OADR_NAMESPACES } from './envelope.js'
import { build, MESSAGES, targetOf, type EiEventSignal, type OadrEventValue } from './model.js'

export interface OadrInterval {
  uid: string
  /** The interval's start: its own xcal:dtstart, else the event's start plus the intervals before it. */
  dtStart: string
  /** Whether the message wrote dtStart on the interval (written back the same way). */
  startWritten?: boolean
  duration: string
  /** The signal's value for the interval (payloadFloat), as written. */
  value: string
}

export interface OadrSignal {
  signalName: string
  signalType: string
  signalID: string
  currentValue?: string
  intervals: OadrInterval[]
}

export interface OadrEvent {
  eventID: string
  modificationNumber: number
  modificationDateTime?: string
  modificationReason?: string
  priority?: number
  marketContext: string
  createdDateTime: string
  eventStatus: string
  testEvent?: string
  vtnComment?: string
  dtStart: string
  duration: string
  signals: OadrSignal[]
  /** eiTarget's venIDs (other target kinds are not read). */
  venIDs: string[]
  responseRequired: 'always' | 'never'
}

export interface OadrDistributeEvent {
  /** The answer part, when the message answers an oadrRequestEvent. */
  eiResponse?: { responseCode: string, responseDescription?: string, requestID: string }
  requestID: string
  vtnID: string
  events: OadrEvent[]
}

// ------------------------------------------------------------------------------------------
// Reading

/** oadrDistributeEvent -> its events, flattened. Throws CtsValidationError (with the path) where a part is missing or foreign. */
export function distributeEventOf (message: XmlElement): OadrDistributeEvent {
  const m = MESSAGES.oadrDistributeEvent.read(message, '/oadr:oadrDistributeEvent')
  return {
    ...(m.eiResponse !== undefined && { eiResponse: m.eiResponse }),
    requestID: m.requestID, vtnID: m.vtnID, events: m.oadrEvent.map(eventOf)
  }
}

function eventOf (oadrEvent: OadrEventValue): OadrEvent {
  const { eventDescriptor: d, eiActivePeriod, eiEventSignals, eiTarget } = oadrEvent.eiEvent
  const { dtStart, duration } = eiActivePeriod.properties
  return {
    eventID: d.eventID, modificationNumber: d.modificationNumber,
    ...(d.modificationDateTime !== undefined && { modificationDateTime: d.modificationDateTime }),
    ...(d.modificationReason !== undefined && { modificationReason: d.modificationReason }),
    ...(d.priority !== undefined && { priority: d.priority }),
    marketContext: d.marketContext, createdDateTime: d.createdDateTime, eventStatus: d.eventStatus,
    ...(d.testEvent !== undefined && { testEvent: d.testEvent }),
    ...(d.vtnComment !== undefined && { vtnComment: d.vtnComment }),
    dtStart, duration,
    signals: eiEventSignals.signals.map((s) => signalOf(s, dtStart)),
    venIDs: eiTarget.venID,
    responseRequired: oadrEvent.oadrResponseRequired === 'never' ? 'never' : 'always'
  }
}

function signalOf (s: EiEventSignal, eventStart: string): OadrSignal {
  let next = eventStart
  const intervals = s.intervals.map((iv, k) => {
    const duration = iv.duration ?? 'PT0S'
    const dtStart = iv.dtStart ?? next
    next = isoPlus(dtStart, durationMs(duration))
    const payload = iv.payloads.find((p) => 'signal' in p)
    const value = payload !== undefined && 'signal' in payload && 'payloadFloat' in payload.signal ? payload.signal.payloadFloat : ''
    return { uid: iv.uid ?? String(k), dtStart, ...(iv.dtStart !== undefined && { startWritten: true }), duration, value }
  })
  return {
    signalName: s.signalName, signalType: s.signalType, signalID: s.signalID, intervals,
    ...(s.currentValue !== undefined && { currentValue: s.currentValue })
  }
}

function isoPlus (instant: string, ms: number): string {
  return new Date(new Date(instant).getTime() + ms).toISOString()
}

// ------------------------------------------------------------------------------------------
// Writing

export interface EventResponse {
  eventID: string
  modificationNumber: number
  /** The oadrDistributeEvent's requestID. */
  requestID: string
  optType: 'optIn' | 'optOut'
  responseCode?: string
  responseDescription?: string
}

/** oadrCreatedEvent: the VEN's answer to events (opt in or out of each). */
export function createdEvent (venID: string, responses: EventResponse[], answer = { responseCode: '200', responseDescription: 'OK', requestID: '' }): XmlElement {
  return build('oadrCreatedEvent', {
    eiCreatedEvent: {
      eiResponse: answer,
      eventResponses: responses.map((r) => ({
        responseCode: r.responseCode ?? '200', responseDescription: r.responseDescription ?? 'OK', requestID: r.requestID,
        qualifiedEventID: { eventID: r.eventID, modificationNumber: r.modificationNumber }, optType: r.optType
      })),
      venID
    }
  })
}

/** oadrDistributeEvent: the VTN's events (the inverse of distributeEventOf, for what it reads). */
export function distributeEvent (d: OadrDistributeEvent): XmlElement {
  return build('oadrDistributeEvent', {
    ...(d.eiResponse !== undefined && { eiResponse: d.eiResponse }),
    requestID: d.requestID, vtnID: d.vtnID,
    oadrEvent: d.events.map((ev) => ({
      eiEvent: {
        eventDescriptor: {
          eventID: ev.eventID, modificationNumber: ev.modificationNumber,
          ...(ev.modificationDateTime !== undefined && { modificationDateTime: ev.modificationDateTime }),
          ...(ev.modificationReason !== undefined && { modificationReason: ev.modificationReason }),
          ...(ev.priority !== undefined && { priority: ev.priority }),
          marketContext: ev.marketContext, createdDateTime: ev.createdDateTime, eventStatus: ev.eventStatus,
          ...(ev.testEvent !== undefined && { testEvent: ev.testEvent }),
          ...(ev.vtnComment !== undefined && { vtnComment: ev.vtnComment })
        },
        eiActivePeriod: { properties: { dtStart: ev.dtStart, duration: ev.duration }, components: COMPONENTS },
        eiEventSignals: {
          signals: ev.signals.map((s) => ({
            intervals: s.intervals.map((i) => ({
              ...(i.startWritten === true && { dtStart: i.dtStart }), duration: i.duration, uid: i.uid,
              payloads: [{ signal: { payloadFloat: i.value } }]
            })),
            signalName: s.signalName, signalType: s.signalType, signalID: s.signalID,
            ...(s.currentValue !== undefined && { currentValue: s.currentValue })
          }))
        },
        eiTarget: targetOf({ venID: ev.venIDs })
      },
      oadrResponseRequired: ev.responseRequired
    }))
  })
}

/** xcal:components: empty in every OpenADR 2.0b event. */
const COMPONENTS: XmlElement = { ns: OADR_NAMESPACES.xcal, local: 'components', attributes: [], children: [], text: '' }

/** oadrRequestEvent: the VEN asks for its events. */
export function requestEvent (requestID: string, venID: string): XmlElement {
  return build('oadrRequestEvent', { eiRequestEvent: { requestID, venID } })
}

/** oadrPoll: the VEN asks what the VTN has for it. */
export function poll (venID: string): XmlElement {
  return build('oadrPoll', { venID })
}

/** oadrResponse: an answer with a code (200, or an OpenADR error code such as 452 or 463). */
export function response (responseCode: string, responseDescription: string, requestID: string, venID?: string): XmlElement {
  return build('oadrResponse', { eiResponse: { responseCode, responseDescription, requestID }, ...(venID !== undefined && { venID }) })
}
