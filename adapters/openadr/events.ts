/**
 * The event side of OpenADR 2.0b, typed: what a VEN reads from oadrDistributeEvent (events with
 * their signals and intervals), and the messages it sends about them (oadrRequestEvent,
 * oadrCreatedEvent, oadrPoll) and oadrResponse. Values stay decimal strings as written (an
 * OpenADR price of 0.12 is "0.12", never a binary float); instants are written as the peer wrote
 * them and compared as instants.
 */
import { fail, type XmlElement } from '../../schemas/tree.js'
import { durationMs } from '../../market/lma/time.js'
import { child, children, dtStartOf, durationOf, e, eiResponse, isoPlus, maybe, message, optionalText, text } from './tree.js'

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

/** oadrDistributeEvent -> its events, typed. Throws CtsValidationError (with the path) where a part we need is missing. */
export function distributeEventOf (message: XmlElement): OadrDistributeEvent {
  const path = '/oadr:oadrDistributeEvent'
  const d: OadrDistributeEvent = {
    requestID: text(message, 'pyld', 'requestID', path),
    vtnID: text(message, 'ei', 'vtnID', path),
    events: children(message, 'oadr', 'oadrEvent').map((oe, i) => eventOf(oe, `${path}/oadr:oadrEvent[${i + 1}]`))
  }
  const r = maybe(message, 'ei', 'eiResponse')
  if (r !== undefined) {
    d.eiResponse = { responseCode: text(r, 'ei', 'responseCode', `${path}/ei:eiResponse`), requestID: text(r, 'pyld', 'requestID', `${path}/ei:eiResponse`) }
    const description = optionalText(r, 'ei', 'responseDescription')
    if (description !== undefined) d.eiResponse.responseDescription = description
  }
  return d
}

function eventOf (oadrEvent: XmlElement, path: string): OadrEvent {
  const ev = child(oadrEvent, 'ei', 'eiEvent', path)
  const evPath = `${path}/ei:eiEvent`
  const d = child(ev, 'ei', 'eventDescriptor', evPath)
  const dPath = `${evPath}/ei:eventDescriptor`
  const properties = child(child(ev, 'ei', 'eiActivePeriod', evPath), 'xcal', 'properties', `${evPath}/ei:eiActivePeriod`)
  const pPath = `${evPath}/ei:eiActivePeriod/xcal:properties`
  const dtStart = dtStartOf(properties, pPath)
  const modificationNumber = Number(text(d, 'ei', 'modificationNumber', dPath))
  if (!Number.isInteger(modificationNumber) || modificationNumber < 0) fail(`${dPath}/ei:modificationNumber`, 'must be a whole number >= 0')
  const priority = optionalText(d, 'ei', 'priority')
  const responseRequired = text(oadrEvent, 'oadr', 'oadrResponseRequired', path)
  if (responseRequired !== 'always' && responseRequired !== 'never') fail(`${path}/oadr:oadrResponseRequired`, 'must be always or never')
  const signals = children(child(ev, 'ei', 'eiEventSignals', evPath), 'ei', 'eiEventSignal')
    .map((s, k) => signalOf(s, dtStart, `${evPath}/ei:eiEventSignals/ei:eiEventSignal[${k + 1}]`))
  const event: OadrEvent = {
    eventID: text(d, 'ei', 'eventID', dPath),
    modificationNumber,
    marketContext: text(child(d, 'ei', 'eiMarketContext', dPath), 'emix', 'marketContext', `${dPath}/ei:eiMarketContext`),
    createdDateTime: text(d, 'ei', 'createdDateTime', dPath),
    eventStatus: text(d, 'ei', 'eventStatus', dPath),
    dtStart,
    duration: durationOf(properties, pPath),
    signals,
    venIDs: children(child(ev, 'ei', 'eiTarget', evPath), 'ei', 'venID').map((v) => v.text.trim()),
    responseRequired
  }
  const modified = optionalText(d, 'ei', 'modificationDateTime')
  if (modified !== undefined) event.modificationDateTime = modified
  const reason = optionalText(d, 'ei', 'modificationReason')
  if (reason !== undefined) event.modificationReason = reason
  if (priority !== undefined) event.priority = Number(priority)
  const test = optionalText(d, 'ei', 'testEvent')
  if (test !== undefined) event.testEvent = test
  const comment = optionalText(d, 'ei', 'vtnComment')
  if (comment !== undefined) event.vtnComment = comment
  return event
}

function signalOf (s: XmlElement, eventStart: string, path: string): OadrSignal {
  let next = eventStart
  const intervals = children(child(s, 'strm', 'intervals', path), 'ei', 'interval').map((iv, k) => {
    const iPath = `${path}/strm:intervals/ei:interval[${k + 1}]`
    const duration = durationOf(iv, iPath)
    const own = maybe(iv, 'xcal', 'dtstart') === undefined ? undefined : dtStartOf(iv, iPath)
    const dtStart = own ?? next
    next = isoPlus(dtStart, durationMs(duration))
    const uid = maybe(iv, 'xcal', 'uid')
    const payload = child(child(iv, 'ei', 'signalPayload', iPath), 'ei', 'payloadFloat', `${iPath}/ei:signalPayload`)
    const interval: OadrInterval = { uid: uid === undefined ? String(k) : text(uid, 'xcal', 'text', `${iPath}/xcal:uid`), dtStart, duration, value: text(payload, 'ei', 'value', `${iPath}/ei:signalPayload/ei:payloadFloat`) }
    if (own !== undefined) interval.startWritten = true
    return interval
  })
  const signal: OadrSignal = {
    signalName: text(s, 'ei', 'signalName', path), signalType: text(s, 'ei', 'signalType', path), signalID: text(s, 'ei', 'signalID', path), intervals
  }
  const current = maybe(s, 'ei', 'currentValue')
  if (current !== undefined) signal.currentValue = text(child(current, 'ei', 'payloadFloat', `${path}/ei:currentValue`), 'ei', 'value', `${path}/ei:currentValue/ei:payloadFloat`)
  return signal
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
  return message('oadrCreatedEvent', e('pyld', 'eiCreatedEvent',
    eiResponse(answer.responseCode, answer.responseDescription, answer.requestID),
    e('ei', 'eventResponses', ...responses.map((r) => e('ei', 'eventResponse',
      e('ei', 'responseCode', r.responseCode ?? '200'), e('ei', 'responseDescription', r.responseDescription ?? 'OK'), e('pyld', 'requestID', r.requestID),
      e('ei', 'qualifiedEventID', e('ei', 'eventID', r.eventID), e('ei', 'modificationNumber', String(r.modificationNumber))),
      e('ei', 'optType', r.optType)))),
    e('ei', 'venID', venID)))
}

const payloadFloat = (value: string) => e('ei', 'payloadFloat', e('ei', 'value', value))

/** oadrDistributeEvent: the VTN's events (the inverse of distributeEventOf, for what it reads). */
export function distributeEvent (d: OadrDistributeEvent): XmlElement {
  return message('oadrDistributeEvent',
    ...(d.eiResponse === undefined ? [] : [eiResponse(d.eiResponse.responseCode, d.eiResponse.responseDescription ?? '', d.eiResponse.requestID)]),
    e('pyld', 'requestID', d.requestID), e('ei', 'vtnID', d.vtnID),
    ...d.events.map((ev) => e('oadr', 'oadrEvent',
      e('ei', 'eiEvent',
        e('ei', 'eventDescriptor',
          e('ei', 'eventID', ev.eventID), e('ei', 'modificationNumber', String(ev.modificationNumber)),
          ...(ev.modificationDateTime === undefined ? [] : [e('ei', 'modificationDateTime', ev.modificationDateTime)]),
          ...(ev.modificationReason === undefined ? [] : [e('ei', 'modificationReason', ev.modificationReason)]),
          ...(ev.priority === undefined ? [] : [e('ei', 'priority', String(ev.priority))]),
          e('ei', 'eiMarketContext', e('emix', 'marketContext', ev.marketContext)),
          e('ei', 'createdDateTime', ev.createdDateTime), e('ei', 'eventStatus', ev.eventStatus),
          ...(ev.testEvent === undefined ? [] : [e('ei', 'testEvent', ev.testEvent)]),
          ...(ev.vtnComment === undefined ? [] : [e('ei', 'vtnComment', ev.vtnComment)])),
        e('ei', 'eiActivePeriod',
          e('xcal', 'properties', e('xcal', 'dtstart', e('xcal', 'date-time', ev.dtStart)), e('xcal', 'duration', e('xcal', 'duration', ev.duration))),
          e('xcal', 'components')),
        e('ei', 'eiEventSignals', ...ev.signals.map((s) => e('ei', 'eiEventSignal',
          e('strm', 'intervals', ...s.intervals.map((i) => e('ei', 'interval',
            ...(i.startWritten === true ? [e('xcal', 'dtstart', e('xcal', 'date-time', i.dtStart))] : []),
            e('xcal', 'duration', e('xcal', 'duration', i.duration)),
            e('xcal', 'uid', e('xcal', 'text', i.uid)),
            e('ei', 'signalPayload', payloadFloat(i.value))))),
          e('ei', 'signalName', s.signalName), e('ei', 'signalType', s.signalType), e('ei', 'signalID', s.signalID),
          ...(s.currentValue === undefined ? [] : [e('ei', 'currentValue', payloadFloat(s.currentValue))])))),
        e('ei', 'eiTarget', ...ev.venIDs.map((v) => e('ei', 'venID', v)))),
      e('oadr', 'oadrResponseRequired', ev.responseRequired))))
}

/** oadrRequestEvent: the VEN asks for its events. */
export function requestEvent (requestID: string, venID: string): XmlElement {
  return message('oadrRequestEvent', e('pyld', 'eiRequestEvent', e('pyld', 'requestID', requestID), e('ei', 'venID', venID)))
}

/** oadrPoll: the VEN asks what the VTN has for it. */
export function poll (venID: string): XmlElement {
  return message('oadrPoll', e('ei', 'venID', venID))
}

/** oadrResponse: an answer with a code (200, or an OpenADR error code such as 452 or 463). */
export function response (responseCode: string, responseDescription: string, requestID: string, venID?: string): XmlElement {
  return message('oadrResponse', eiResponse(responseCode, responseDescription, requestID), ...(venID === undefined ? [] : [e('ei', 'venID', venID)]))
}
