/**
 * The local market as an OpenADR 2.0b VTN for downstream VENs (DER devices that do not speak
 * CTS), over simple HTTP. It does five things:
 *   - registers VENs, and can ask one to re-register or cancel it;
 *   - publishes the market's prices per interval as ELECTRICITY_PRICE events. VENs fetch them
 *     with oadrRequestEvent or oadrPoll (pull), or the VTN POSTs them to VENs that registered
 *     for push;
 *   - records their opt responses and opt schedules;
 *   - asks for every report a VEN registers;
 *   - records each report once (by the VEN's eiReportID).
 *
 * Bad input changes nothing:
 *   - malformed or schema-invalid XML gets HTTP 400 with a short reason in plain text, as OpenADR
 *     peers answer it;
 *   - a valid message that is wrong gets an OpenADR code: 452 for an unknown VEN, event, opt or
 *     report request; 450 for a stale modification number; 454 for data that does not fit what
 *     was asked; 459 for a registration outside the 2.0b simple-HTTP profile; 463 for a
 *     certificate that is not the VEN's.
 * What a message changes is written to the store before its answer leaves.
 */
import { createHash, randomUUID } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { fromTicks } from '../../schemas/decimal.js'
import { durationMs } from '../../market/lma/time.js'
import type { LocalMarketAgent } from '../../market/lma/lma.js'
import type { XmlElement } from '../../schemas/tree.js'
import { MAX_MESSAGE_BYTES, OadrInputError, writeOadr } from './envelope.js'
import { distributeEvent, response, type OadrEvent } from './events.js'
import { build, receiveOadr, type OadrMessageValue, type OadrPayload, type OadrReport } from './model.js'
import { fingerprintOf, postTls, type TlsFiles } from './tls.js'
import { TRADES_REPORT, tradesOf } from './reports.js'

export interface VtnOptions {
  /** OpenADR VTN IDs with an upper-case letter: a well-known VEN refuses all-lower-case ones. */
  vtnID?: string
  /** How often VENs should poll (ISO 8601). */
  pollFreq?: string
  /** Check every received message against oadr_20b.xsd (default true). */
  validate?: boolean
  /** Where the VTN's records are kept (adapters/postgres/openadr-store.ts); default: memory only. */
  store?: VtnStore
  /** Push to VENs that registered for it: our client certificate over mutual TLS (else plain HTTP(S) with fetch). */
  pushTls?: TlsFiles
  pushTimeoutMs?: number
  log?: (message: string, detail?: Record<string, unknown>) => void
}

/** The VTN's records: written before the VEN gets its answer, read back at start. */
export interface VtnStore {
  load: () => Promise<VtnRecords>
  registered: (ven: VenRegistration) => Promise<void>
  canceled: (venID: string, at: string) => Promise<void>
  optResponses: (responses: readonly OptResponse[]) => Promise<void>
  reportRequests: (requests: readonly ReportRequestRecord[]) => Promise<void>
  report: (report: ReceivedReport) => Promise<void>
  opt: (opt: OptRecord) => Promise<void>
  optCanceled: (optID: string, at: string) => Promise<void>
  /** The latest modification of a published event, so a restarted VTN goes on from it. */
  event: (event: OadrEvent) => Promise<void>
}

export interface VtnRecords {
  vens: VenRegistration[]
  reportRequests: ReportRequestRecord[]
  /** `${venID} ${eiReportID}` of every report received (ReceivedReport's eiReportID). */
  reportKeys: string[]
  opts: OptRecord[]
  /** The latest modification of every event published. */
  events: OadrEvent[]
}

export interface VenRegistration {
  venID: string
  registrationID: string
  venName: string
  registeredAt: string
  /** Over mutual TLS: the fingerprint of the certificate it registered with; only that certificate may act as this VEN. */
  fingerprint?: string
  /** Push: the VEN's base URL (oadrTransportAddress), where the VTN POSTs its events; absent for a VEN that polls. */
  transportAddress?: string
}

export interface OptResponse {
  venID: string
  eventID: string
  modificationNumber: number
  optType: string
  responseCode: string
  at: string
}

/** A report the VTN asked a VEN for, with the data points (rIDs) it may carry. */
export interface ReportRequestRecord {
  reportRequestID: string
  venID: string
  reportSpecifierID: string
  reportName?: string
  rIDs: string[]
  at: string
}

export interface ReceivedReport {
  venID: string
  /** The report's eiReportID, or `sha256:` and a hash of the report when the VEN left it empty. */
  eiReportID: string
  reportRequestID: string
  report: OadrReport
  at: string
}

export interface OptRecord {
  optID: string
  venID: string
  opt: OadrMessageValue<'oadrCreateOpt'>
  at: string
  canceledAt?: string
}

export interface PricePoint {
  dtStart: string
  duration: string
  /** Decimal string, in the market's currency per unit. */
  price: string
}

interface PublishedEvent {
  event: OadrEvent
  /** VENs that have this modification already. */
  deliveredTo: Set<string>
}

/** The simple-HTTP services and the messages each takes. */
export const VTN_SERVICES = {
  EiRegisterParty: ['oadrQueryRegistration', 'oadrCreatePartyRegistration', 'oadrCancelPartyRegistration', 'oadrCanceledPartyRegistration'],
  EiEvent: ['oadrRequestEvent', 'oadrCreatedEvent'],
  EiReport: ['oadrRegisterReport', 'oadrCreatedReport', 'oadrUpdateReport', 'oadrCanceledReport', 'oadrRegisteredReport'],
  EiOpt: ['oadrCreateOpt', 'oadrCancelOpt'],
  OadrPoll: ['oadrPoll']
} as const
export type VtnService = keyof typeof VTN_SERVICES

type Answer = { element: XmlElement, writes: Array<() => Promise<void>> }

export class OadrVtn {
  readonly vtnID: string
  readonly vens = new Map<string, VenRegistration>()
  readonly optResponses: OptResponse[] = []
  readonly reportRequests = new Map<string, ReportRequestRecord>()
  readonly reports: ReceivedReport[] = []
  readonly opts = new Map<string, OptRecord>()
  private readonly reportKeys = new Set<string>()
  private readonly events = new Map<string, PublishedEvent>()
  /** Messages for a VEN's next poll (re-registration or cancellation requests), oldest first. */
  private readonly queued = new Map<string, XmlElement[]>()
  /** The VEN a cancellation was asked of, until it confirms. */
  private readonly canceling = new Set<string>()

  constructor (private readonly options: VtnOptions = {}) {
    this.vtnID = options.vtnID ?? 'TE-GATEWAY-VTN'
    if (this.vtnID === this.vtnID.toLowerCase()) throw new Error(`VTN ID ${this.vtnID} needs an upper-case letter (a well-known VEN opts out of every event otherwise)`)
  }

  /** Reads what was recorded before a restart from the store. */
  async load (): Promise<void> {
    const records = await this.options.store?.load()
    if (records === undefined) return
    for (const ven of records.vens) this.vens.set(ven.venID, ven)
    for (const r of records.reportRequests) this.reportRequests.set(r.reportRequestID, r)
    for (const key of records.reportKeys) this.reportKeys.add(key)
    for (const o of records.opts) this.opts.set(o.optID, o)
    // VENs get them again on their next poll; a VEN that has a modification already ignores it.
    for (const event of records.events) this.events.set(event.eventID, { event, deliveredTo: new Set() })
  }

  /** Publishes a market's prices as its ELECTRICITY_PRICE event: created, or modified (modificationNumber + 1) when they changed. */
  publishPrices (marketContext: string, prices: readonly PricePoint[], now = new Date()): OadrEvent | undefined {
    const eventID = `prices-${marketContext}`
    const known = this.events.get(eventID)
    const sorted = [...prices].sort((a, b) => Date.parse(a.dtStart) - Date.parse(b.dtStart))
    if (sorted.length === 0) return undefined
    const intervals = sorted.map((p, i) => ({ uid: String(i), dtStart: p.dtStart, startWritten: true, duration: p.duration, value: p.price }))
    if (known !== undefined && JSON.stringify(known.event.signals[0]?.intervals) === JSON.stringify(intervals) && known.event.eventStatus !== 'cancelled') return known.event
    const end = Math.max(...sorted.map((p) => Date.parse(p.dtStart) + durationMs(p.duration)))
    const event: OadrEvent = {
      eventID, modificationNumber: known === undefined ? 0 : known.event.modificationNumber + 1, marketContext,
      createdDateTime: known?.event.createdDateTime ?? now.toISOString(), modificationDateTime: now.toISOString(),
      eventStatus: Date.parse(sorted[0]!.dtStart) <= now.getTime() ? 'active' : 'far',
      dtStart: sorted[0]!.dtStart, duration: `PT${Math.round((end - Date.parse(sorted[0]!.dtStart)) / 1000)}S`,
      signals: [{ signalName: 'ELECTRICITY_PRICE', signalType: 'price', signalID: `${eventID}-price`, intervals }],
      venIDs: [], responseRequired: 'always'
    }
    this.events.set(eventID, { event, deliveredTo: new Set() })
    this.persist(event)
    this.schedulePush()
    return event
  }

  /** Keeps an event's latest modification: a restarted VTN numbers the next one after it, never from 0 again. */
  private persist (event: OadrEvent): void {
    const store = this.options.store
    if (store === undefined) return
    this.persisting = this.persisting.then(() => store.event(event)).catch((error: unknown) => this.options.log?.('event not stored', { eventID: event.eventID, error: String(error) }))
  }

  private persisting: Promise<unknown> = Promise.resolve()

  /** Resolves once the events published so far are in the store. */
  stored (): Promise<unknown> {
    return this.persisting
  }

  /** Cancels a market's price event (VENs learn it on their next poll). */
  cancelPrices (marketContext: string, now = new Date()): void {
    const known = this.events.get(`prices-${marketContext}`)
    if (known === undefined || known.event.eventStatus === 'cancelled') return
    const event = { ...known.event, modificationNumber: known.event.modificationNumber + 1, modificationDateTime: now.toISOString(), eventStatus: 'cancelled' }
    this.events.set(event.eventID, { event, deliveredTo: new Set() })
    this.persist(event)
    this.schedulePush()
  }

  /** Asks a VEN to register again (oadrRequestReregistration on its next poll); it keeps its venID. */
  requestReregistration (venID: string): void {
    if (!this.vens.has(venID)) throw new Error(`unknown VEN ${venID}`)
    this.queue(venID, build('oadrRequestReregistration', { venID }))
  }

  /** Cancels a VEN's registration (oadrCancelPartyRegistration on its next poll); it ends when the VEN confirms. */
  cancelRegistration (venID: string): void {
    const ven = this.vens.get(venID)
    if (ven === undefined) throw new Error(`unknown VEN ${venID}`)
    this.canceling.add(venID)
    this.queue(venID, build('oadrCancelPartyRegistration', { requestID: randomUUID(), registrationID: ven.registrationID, venID }))
  }

  private queue (venID: string, message: XmlElement): void {
    this.queued.set(venID, [...this.queued.get(venID) ?? [], message])
    this.schedulePush()
  }

  private pushing: Promise<number> = Promise.resolve(0)

  /**
   * Pushes to every VEN registered for push what it has not had yet (queued requests, then events),
   * one POST each to {transportAddress}/EiRegisterParty or /EiEvent. A VEN that does not answer 200
   * gets it again on the next push, or fetches it by polling. Pushes run one at a time, so nothing
   * is sent twice. Returns how many messages were delivered.
   */
  pushPending (): Promise<number> {
    this.pushing = this.pushing.then(async () => {
      let delivered = 0
      for (const ven of [...this.vens.values()].filter((v) => v.transportAddress !== undefined)) {
        try {
          delivered += await this.pushTo(ven)
        } catch (error) {
          this.options.log?.('push to a VEN failed; it gets the message later', { venID: ven.venID, error: (error as Error).message })
        }
      }
      return delivered
    })
    return this.pushing
  }

  private schedulePush (): void {
    if ([...this.vens.values()].some((v) => v.transportAddress !== undefined)) void this.pushPending()
  }

  private async pushTo (ven: VenRegistration): Promise<number> {
    let delivered = 0
    const queued = this.queued.get(ven.venID) ?? []
    while (queued.length > 0) {
      await this.post(ven, 'EiRegisterParty', queued[0]!)
      queued.shift()
      delivered++
    }
    const fresh = [...this.events.values()].filter((p) => !p.deliveredTo.has(ven.venID))
    if (fresh.length > 0 && this.vens.has(ven.venID)) {
      await this.post(ven, 'EiEvent', distributeEvent({ requestID: randomUUID(), vtnID: this.vtnID, events: fresh.map((p) => p.event) }))
      for (const p of fresh) p.deliveredTo.add(ven.venID)
      delivered++
    }
    return delivered
  }

  private async post (ven: VenRegistration, service: string, message: XmlElement): Promise<void> {
    const url = `${ven.transportAddress!.replace(/\/$/, '')}/${service}`
    const timeoutMs = this.options.pushTimeoutMs ?? 10_000
    const body = writeOadr(message)
    const answer = this.options.pushTls !== undefined
      ? await postTls(url, body, this.options.pushTls, timeoutMs)
      : await fetch(url, { method: 'POST', headers: { 'content-type': 'application/xml' }, body, signal: AbortSignal.timeout(timeoutMs) }).then(async (r) => ({ status: r.status, body: await r.text() }))
    if (answer.status !== 200) throw new Error(`${url} answered HTTP ${answer.status}: ${answer.body.slice(0, 200)}`)
  }

  /** Answers one received message: status 200 with an OpenADR answer, or 400/413 with a reason. */
  async handle (service: VtnService, body: string, peer: { fingerprint?: string } = {}): Promise<{ status: number, body: string, contentType: string }> {
    let payload
    try {
      ({ payload } = await receiveOadr(body, this.options.validate !== false))
    } catch (error) {
      if (error instanceof OadrInputError) return { status: error.status, body: error.message, contentType: 'text/plain' }
      throw error
    }
    const taken = VTN_SERVICES[service] as readonly string[]
    const answer: Answer = taken.includes(payload.type)
      ? this.answer(payload, peer)
      : { element: response('453', `${payload.type} is not taken at ${service}`, requestIDOf(payload.message)), writes: [] }
    for (const write of answer.writes) await write()
    return { status: 200, body: writeOadr(answer.element), contentType: 'application/xml' }
  }

  /** The answer to a message, and what it changes (applied in memory here; `writes` put it in the store). */
  private answer (payload: OadrPayload, peer: { fingerprint?: string }): Answer {
    const writes: Array<() => Promise<void>> = []
    const store = this.options.store
    const done = (element: XmlElement): Answer => ({ element, writes })
    const refuse = (venID: string | undefined, requestID: string): XmlElement | undefined => {
      const ven = venID === undefined ? undefined : this.vens.get(venID)
      if (ven === undefined) return response('452', `unknown venID ${venID ?? ''}`, requestID, venID)
      if (!mayActAs(ven, peer)) return response('463', `not authorized to act as ${ven.venID}`, requestID, ven.venID)
      return undefined
    }
    const now = new Date().toISOString()

    switch (payload.type) {
      case 'oadrQueryRegistration':
        return done(this.createdRegistration(payload.message.requestID))

      case 'oadrCreatePartyRegistration': {
        const m = payload.message
        const outside = m.oadrProfileName !== '2.0b' ? `profile ${m.oadrProfileName}`
          : m.oadrTransportName !== 'simpleHttp' ? `transport ${m.oadrTransportName}`
            : m.oadrXmlSignature ? 'XML signatures'
              : m.oadrHttpPullModel === false && !/^https?:\/\//.test(m.oadrTransportAddress ?? '') ? 'push without an http(s) oadrTransportAddress' : undefined
        if (outside !== undefined) return done(response('459', `${outside} is not supported: OpenADR 2.0b simple HTTP without XML signatures`, m.requestID, m.venID))
        const push = m.oadrHttpPullModel === false ? { transportAddress: m.oadrTransportAddress! } : {}
        if (m.venID !== undefined || m.registrationID !== undefined) {
          // A re-registration names the registration it renews.
          const existing = m.venID === undefined ? undefined : this.vens.get(m.venID)
          if (existing === undefined || (m.registrationID !== undefined && m.registrationID !== existing.registrationID)) {
            return done(response('452', `no registration ${m.registrationID ?? ''} of VEN ${m.venID ?? ''}`, m.requestID, m.venID))
          }
          if (!mayActAs(existing, peer)) return done(response('463', `not authorized to act as ${existing.venID}`, m.requestID, existing.venID))
          if ((m.oadrVenName !== undefined && m.oadrVenName !== existing.venName) || push.transportAddress !== existing.transportAddress) {
            const { transportAddress: _, ...rest } = existing
            const renamed = { ...rest, venName: m.oadrVenName ?? existing.venName, ...push }
            this.vens.set(renamed.venID, renamed)
            if (store !== undefined) writes.push(() => store.registered(renamed))
          }
          return done(this.createdRegistration(m.requestID, this.vens.get(existing.venID)))
        }
        const ven: VenRegistration = {
          venID: `VEN-${randomUUID().slice(0, 8)}`, registrationID: randomUUID(), venName: m.oadrVenName ?? 'unnamed', registeredAt: now,
          ...(peer.fingerprint !== undefined && { fingerprint: peer.fingerprint }), ...push
        }
        this.vens.set(ven.venID, ven)
        if (store !== undefined) writes.push(() => store.registered(ven))
        return done(this.createdRegistration(m.requestID, ven))
      }

      case 'oadrCancelPartyRegistration': {
        const m = payload.message
        const refused = refuse(m.venID, m.requestID)
        if (refused !== undefined) return done(refused)
        const ven = this.vens.get(m.venID!)!
        if (m.registrationID !== ven.registrationID) return done(response('452', `no registration ${m.registrationID} of VEN ${ven.venID}`, m.requestID, ven.venID))
        this.forget(ven.venID, now, writes)
        return done(build('oadrCanceledPartyRegistration', { eiResponse: ok(m.requestID), registrationID: ven.registrationID, venID: ven.venID }))
      }

      case 'oadrCanceledPartyRegistration': {
        // The VEN confirms a cancellation this VTN asked for.
        const m = payload.message
        const refused = refuse(m.venID, m.eiResponse.requestID)
        if (refused !== undefined) return done(refused)
        if (!this.canceling.has(m.venID!)) return done(response('452', `no cancellation was asked of ${m.venID!}`, m.eiResponse.requestID, m.venID))
        this.forget(m.venID!, now, writes)
        return done(response('200', 'OK', m.eiResponse.requestID, m.venID))
      }

      case 'oadrRequestEvent': {
        const { requestID, venID, replyLimit } = payload.message.eiRequestEvent
        const refused = refuse(venID, requestID)
        if (refused !== undefined) return done(refused)
        const events = [...this.events.values()].slice(0, replyLimit ?? Number.MAX_SAFE_INTEGER)
        return done(this.distribute(venID, events, { responseCode: '200', responseDescription: 'OK', requestID }))
      }

      case 'oadrCreatedEvent': {
        const { eiResponse: answer, eventResponses = [], venID } = payload.message.eiCreatedEvent
        const refused = refuse(venID, answer.requestID)
        if (refused !== undefined) return done(refused)
        for (const r of eventResponses) {
          const { eventID, modificationNumber } = r.qualifiedEventID
          const published = this.events.get(eventID)
          if (published === undefined) return done(response('452', `unknown event ${eventID}`, answer.requestID, venID))
          if (modificationNumber !== published.event.modificationNumber) {
            return done(response('450', `event ${eventID} is at modification ${published.event.modificationNumber}, not ${modificationNumber}`, answer.requestID, venID))
          }
        }
        const received = eventResponses.map((r) => ({ venID, eventID: r.qualifiedEventID.eventID, modificationNumber: r.qualifiedEventID.modificationNumber, optType: r.optType, responseCode: r.responseCode, at: now }))
        this.optResponses.push(...received)
        if (store !== undefined && received.length > 0) writes.push(() => store.optResponses(received))
        return done(response('200', 'OK', answer.requestID, venID))
      }

      case 'oadrCreateOpt': {
        const m = payload.message
        const refused = refuse(m.venID, m.requestID)
        if (refused !== undefined) return done(refused)
        const known = this.opts.get(m.optID)
        if (known !== undefined && known.venID !== m.venID) return done(response('452', `opt ${m.optID} is another VEN's`, m.requestID, m.venID))
        if (m.qualifiedEventID !== undefined && !this.events.has(m.qualifiedEventID.eventID)) return done(response('452', `unknown event ${m.qualifiedEventID.eventID}`, m.requestID, m.venID))
        const opt: OptRecord = { optID: m.optID, venID: m.venID, opt: m, at: now }
        this.opts.set(opt.optID, opt)
        if (store !== undefined) writes.push(() => store.opt(opt))
        return done(build('oadrCreatedOpt', { eiResponse: ok(m.requestID), optID: m.optID }))
      }

      case 'oadrCancelOpt': {
        const m = payload.message
        const refused = refuse(m.venID, m.requestID)
        if (refused !== undefined) return done(refused)
        const known = this.opts.get(m.optID)
        if (known === undefined || known.venID !== m.venID || known.canceledAt !== undefined) return done(response('452', `no opt ${m.optID} of VEN ${m.venID}`, m.requestID, m.venID))
        known.canceledAt = now
        if (store !== undefined) writes.push(() => store.optCanceled(m.optID, now))
        return done(build('oadrCanceledOpt', { eiResponse: ok(m.requestID), optID: m.optID }))
      }

      case 'oadrRegisterReport': {
        const m = payload.message
        const refused = refuse(m.venID, m.requestID)
        if (refused !== undefined) return done(refused)
        const venID = m.venID!
        // Every report the VEN offers, asked for at its own sampling period; METADATA reports describe, they are not data.
        const requests: ReportRequestRecord[] = m.oadrReport.filter((r) => r.oadrReportDescription.length > 0).map((r) => ({
          reportRequestID: `${venID}-${r.reportSpecifierID}`, venID, reportSpecifierID: r.reportSpecifierID,
          ...(r.reportName !== undefined && { reportName: r.reportName.replace(/^(x-)?METADATA_/, '$1') }),
          rIDs: r.oadrReportDescription.map((d) => d.rID), at: now
        }))
        for (const r of requests) this.reportRequests.set(r.reportRequestID, r)
        if (store !== undefined && requests.length > 0) writes.push(() => store.reportRequests(requests))
        return done(build('oadrRegisteredReport', {
          eiResponse: ok(m.requestID),
          oadrReportRequest: m.oadrReport.filter((r) => r.oadrReportDescription.length > 0).map((r) => {
            const period = r.oadrReportDescription[0]?.oadrSamplingRate?.oadrMinPeriod ?? r.duration ?? 'PT0S'
            return {
              reportRequestID: `${venID}-${r.reportSpecifierID}`,
              reportSpecifier: {
                reportSpecifierID: r.reportSpecifierID, granularity: period, reportBackDuration: period,
                specifierPayload: r.oadrReportDescription.map((d) => ({ rID: d.rID, readingType: d.readingType }))
              }
            }
          }),
          venID
        }))
      }

      case 'oadrCreatedReport':
      case 'oadrCanceledReport':
      case 'oadrRegisteredReport': {
        const m = payload.message
        const refused = refuse(m.venID, m.eiResponse.requestID)
        return done(refused ?? response('200', 'OK', m.eiResponse.requestID, m.venID))
      }

      case 'oadrUpdateReport': {
        const m = payload.message
        const refused = refuse(m.venID, m.requestID)
        if (refused !== undefined) return done(refused)
        const venID = m.venID!
        const fresh: ReceivedReport[] = []
        for (const r of m.oadrReport) {
          const request = this.reportRequests.get(r.reportRequestID)
          if (request === undefined || request.venID !== venID) return done(response('452', `no report request ${r.reportRequestID} of VEN ${venID}`, m.requestID, venID))
          const stray = (r.intervals ?? []).flatMap((i) => i.payloads).map((p) => ('report' in p ? p.report.rID : undefined)).find((rID) => rID === undefined || !request.rIDs.includes(rID))
          if (stray !== undefined || (r.intervals ?? []).some((i) => i.payloads.some((p) => !('report' in p)))) {
            return done(response('454', `report ${r.eiReportID} carries data point ${stray ?? '(not a report payload)'}, which was not asked for`, m.requestID, venID))
          }
          // Our EMAs' trades report: energy and price per trade, each once (tradesOf).
          const trades = request.reportName === TRADES_REPORT ? tradesOf(r) : []
          if (typeof trades === 'string') return done(response('454', `report ${r.eiReportID} is not a trades report: ${trades}`, m.requestID, venID))
          // A report is known by its eiReportID; a VEN that leaves it empty (a well-known one does) by its content.
          const eiReportID = r.eiReportID !== undefined && r.eiReportID !== '' ? r.eiReportID : `sha256:${createHash('sha256').update(JSON.stringify(r)).digest('hex')}`
          if (this.reportKeys.has(`${venID} ${eiReportID}`) || fresh.some((f) => f.eiReportID === eiReportID)) continue
          fresh.push({ venID, eiReportID, reportRequestID: r.reportRequestID, report: r, at: now })
        }
        for (const r of fresh) {
          this.reportKeys.add(`${venID} ${r.eiReportID}`)
          this.reports.push(r)
          if (store !== undefined) writes.push(() => store.report(r))
        }
        return done(build('oadrUpdatedReport', { eiResponse: ok(m.requestID), venID }))
      }

      case 'oadrPoll': {
        const { venID } = payload.message
        const refused = refuse(venID, '')
        if (refused !== undefined) return done(refused)
        const queued = this.queued.get(venID)
        if (queued !== undefined && queued.length > 0) {
          const next = queued.shift()!
          return done(next)
        }
        const fresh = [...this.events.values()].filter((p) => !p.deliveredTo.has(venID))
        return done(fresh.length === 0 ? response('200', 'OK', '', venID) : this.distribute(venID, fresh))
      }

      default:
        return done(response('453', `${payload.type} is not taken by this VTN`, requestIDOf(payload.message)))
    }
  }

  /** Ends a VEN's registration: it is unknown from now on, and its record is marked canceled. */
  private forget (venID: string, at: string, writes: Array<() => Promise<void>>): void {
    this.vens.delete(venID)
    this.canceling.delete(venID)
    this.queued.delete(venID)
    const store = this.options.store
    if (store !== undefined) writes.push(() => store.canceled(venID, at))
  }

  private distribute (venID: string, published: PublishedEvent[], answer?: { responseCode: string, responseDescription: string, requestID: string }): XmlElement {
    for (const p of published) p.deliveredTo.add(venID)
    return distributeEvent({ ...(answer !== undefined && { eiResponse: answer }), requestID: randomUUID(), vtnID: this.vtnID, events: published.map((p) => p.event) })
  }

  private createdRegistration (requestID: string, ven?: VenRegistration): XmlElement {
    return build('oadrCreatedPartyRegistration', {
      eiResponse: ok(requestID), registrationID: ven?.registrationID ?? '', venID: ven?.venID ?? '', vtnID: this.vtnID,
      oadrProfiles: [{ oadrProfileName: '2.0b', oadrTransports: ['simpleHttp'] }],
      oadrRequestedOadrPollFreq: this.options.pollFreq ?? 'PT10S'
    })
  }
}

function ok (requestID: string) {
  return { responseCode: '200', responseDescription: 'OK', requestID }
}

function mayActAs (ven: VenRegistration, peer: { fingerprint?: string }): boolean {
  return ven.fingerprint === undefined || ven.fingerprint === peer.fingerprint
}

function requestIDOf (message: object): string {
  const m = message as { requestID?: string, eiResponse?: { requestID: string } }
  return m.requestID ?? m.eiResponse?.requestID ?? ''
}

/** The VTN's simple-HTTP endpoints: POST {prefix}/EiRegisterParty, /EiEvent, /EiReport, /EiOpt, /OadrPoll. */
export const vtnRoutes: FastifyPluginAsync<{ vtn: OadrVtn }> = async (app, { vtn }) => {
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string', bodyLimit: MAX_MESSAGE_BYTES }, (_req, body, done) => done(null, body))
  for (const service of Object.keys(VTN_SERVICES) as VtnService[]) {
    app.post(`/OpenADR2/Simple/2.0b/${service}`, { schema: { summary: `OpenADR 2.0b ${service} (simple HTTP)`, tags: ['openadr'] } }, async (request, reply: FastifyReply) => {
      // Over mutual TLS, the client certificate names the VEN (by its fingerprint).
      const socket = request.raw.socket as TLSSocket
      const certificate = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined
      const peer = certificate?.raw === undefined ? {} : { fingerprint: fingerprintOf(certificate.raw) }
      const answer = await vtn.handle(service, typeof request.body === 'string' ? request.body : '', peer)
      return reply.code(answer.status).type(answer.contentType).send(answer.body)
    })
  }
}

/**
 * Publishes the local market's prices to the VTN as they form: for each interval, the price of
 * its last trade; for each market, one event over its intervals that have not ended yet. Returns
 * the unsubscribe function.
 */
export function publishMarketPrices (vtn: OadrVtn, lma: LocalMarketAgent, now: () => Date = () => new Date()): () => void {
  const last = new Map<string, Map<string, PricePoint>>()
  return lma.onEvents((events) => {
    const touched = new Set<string>()
    for (const ev of events) {
      if (ev.type !== 'fill') continue
      const instrument = lma.instrumentOf(ev.book)
      const market = instrument === undefined ? undefined : lma.markets.get(instrument.marketContext)
      if (instrument === undefined || market === undefined) continue
      const points = last.get(instrument.marketContext) ?? new Map<string, PricePoint>()
      last.set(instrument.marketContext, points)
      points.set(instrument.dtStart, { dtStart: instrument.dtStart, duration: instrument.duration, price: fromTicks(ev.price, market.rules.priceScale) })
      touched.add(instrument.marketContext)
    }
    for (const marketContext of touched) {
      const at = now()
      const points = last.get(marketContext)!
      for (const [start, p] of points) if (Date.parse(start) + durationMs(p.duration) <= at.getTime()) points.delete(start)
      vtn.publishPrices(marketContext, [...points.values()], at)
    }
  })
}
