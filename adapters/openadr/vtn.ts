/**
 * The local market as an OpenADR 2.0b VTN for downstream VENs (DER devices that do not speak
 * CTS): it registers them and publishes the market's prices per interval as ELECTRICITY_PRICE
 * events, which VENs fetch with oadrRequestEvent or oadrPoll (simple HTTP, pull). Their opt
 * responses are recorded.
 *
 * Bad input changes nothing. Malformed or schema-invalid XML gets HTTP 400 and a short reason in
 * plain text, as OpenADR peers answer it. A valid message from a VEN that is not registered gets
 * an oadrResponse with 452 (invalid ID).
 */
import { randomUUID } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import { fromTicks } from '../../schemas/decimal.js'
import { durationMs } from '../../market/lma/time.js'
import type { LocalMarketAgent } from '../../market/lma/lma.js'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { XmlElement } from '../../schemas/tree.js'
import { MAX_MESSAGE_BYTES, OadrInputError, readOadr, validateOadr, writeOadr } from './envelope.js'
import { distributeEvent, response, type OadrEvent } from './events.js'
import { child, children, e, eiResponse, message, optionalText, text } from './tree.js'
import { fingerprintOf } from './tls.js'

export interface VtnOptions {
  /** OpenADR VTN IDs with an upper-case letter: a well-known VEN refuses all-lower-case ones. */
  vtnID?: string
  /** How often VENs should poll (ISO 8601). */
  pollFreq?: string
  /** Check every received message against oadr_20b.xsd (default true). */
  validate?: boolean
  /** Where VENs and opt responses are kept (adapters/postgres/openadr-store.ts); default: memory only. */
  store?: VtnStore
}

/** The VTN's records: written before the VEN gets its answer, read back at start. */
export interface VtnStore {
  load: () => Promise<VenRegistration[]>
  registered: (ven: VenRegistration) => Promise<void>
  canceled: (venID: string, at: string) => Promise<void>
  optResponses: (responses: readonly OptResponse[]) => Promise<void>
}

export interface VenRegistration {
  venID: string
  registrationID: string
  venName: string
  registeredAt: string
  /** Over mutual TLS: the fingerprint of the certificate it registered with; only that certificate may act as this VEN. */
  fingerprint?: string
}

export interface OptResponse {
  venID: string
  eventID: string
  modificationNumber: number
  optType: string
  responseCode: string
  at: string
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

export class OadrVtn {
  readonly vtnID: string
  readonly vens = new Map<string, VenRegistration>()
  readonly optResponses: OptResponse[] = []
  private readonly events = new Map<string, PublishedEvent>()
  /** Who sent the message being answered (set per message: answer() runs synchronously). */
  private peer: { fingerprint?: string } = {}
  /** What answer() changed, to be in the store before the answer leaves. */
  private writes: Array<() => Promise<void>> = []

  constructor (private readonly options: VtnOptions = {}) {
    this.vtnID = options.vtnID ?? 'TE-GATEWAY-VTN'
    if (this.vtnID === this.vtnID.toLowerCase()) throw new Error(`VTN ID ${this.vtnID} needs an upper-case letter (a well-known VEN opts out of every event otherwise)`)
  }

  /** Reads the VENs registered before a restart from the store. */
  async load (): Promise<void> {
    for (const ven of await this.options.store?.load() ?? []) this.vens.set(ven.venID, ven)
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
    return event
  }

  /** Cancels a market's price event (VENs learn it on their next poll). */
  cancelPrices (marketContext: string, now = new Date()): void {
    const known = this.events.get(`prices-${marketContext}`)
    if (known === undefined || known.event.eventStatus === 'cancelled') return
    const event = { ...known.event, modificationNumber: known.event.modificationNumber + 1, modificationDateTime: now.toISOString(), eventStatus: 'cancelled' }
    this.events.set(event.eventID, { event, deliveredTo: new Set() })
  }

  /** Answers one received message; `status` 200 with an OpenADR answer, or 400 with a reason. */
  async handle (service: 'EiRegisterParty' | 'EiEvent' | 'OadrPoll', body: string, peer: { fingerprint?: string } = {}): Promise<{ status: number, body: string, contentType: string }> {
    let received
    try {
      received = readOadr(body)
      if (this.options.validate !== false) {
        const verdict = await validateOadr(body)
        if (!verdict.valid) throw new OadrInputError(400, `not valid against oadr_20b.xsd: ${verdict.errors[0] ?? 'invalid'}`)
      }
    } catch (error) {
      if (error instanceof OadrInputError) return { status: error.status, body: error.message, contentType: 'text/plain' }
      throw error
    }
    this.peer = peer
    this.writes = []
    const answer = this.answer(service, received.type, received.message)
    const writes = this.writes
    this.writes = []
    for (const write of writes) await write()
    return { status: 200, body: writeOadr(answer), contentType: 'application/xml' }
  }

  private answer (service: string, type: string, m: XmlElement): XmlElement {
    const path = `/oadr:${type}`
    if (service === 'EiRegisterParty' && type === 'oadrQueryRegistration') return this.createdRegistration(text(m, 'pyld', 'requestID', path))
    if (service === 'EiRegisterParty' && type === 'oadrCreatePartyRegistration') {
      const requestID = text(m, 'pyld', 'requestID', path)
      const known = optionalText(m, 'ei', 'venID')
      const existing = known === undefined ? undefined : this.vens.get(known)
      if (existing !== undefined && !this.mayActAs(existing)) return response('463', `not authorized to act as ${existing.venID}`, requestID, existing.venID)
      const ven: VenRegistration = existing ?? {
        venID: `VEN-${randomUUID().slice(0, 8)}`, registrationID: randomUUID(), venName: text(m, 'oadr', 'oadrVenName', path), registeredAt: new Date().toISOString(),
        ...(this.peer.fingerprint !== undefined && { fingerprint: this.peer.fingerprint })
      }
      this.vens.set(ven.venID, ven)
      const store = this.options.store
      if (store !== undefined && existing === undefined) this.writes.push(() => store.registered(ven))
      return this.createdRegistration(requestID, ven)
    }
    if (service === 'EiRegisterParty' && type === 'oadrCancelPartyRegistration') {
      const requestID = text(m, 'pyld', 'requestID', path)
      const venID = optionalText(m, 'ei', 'venID') ?? ''
      const refused = this.refuse(venID, requestID)
      if (refused !== undefined) return refused
      const ven = this.vens.get(venID)!
      this.vens.delete(venID)
      const store = this.options.store
      if (store !== undefined) this.writes.push(() => store.canceled(venID, new Date().toISOString()))
      return message('oadrCanceledPartyRegistration', eiResponse('200', 'OK', requestID), e('ei', 'registrationID', ven.registrationID), e('ei', 'venID', venID))
    }
    if (service === 'EiEvent' && type === 'oadrRequestEvent') {
      const request = child(m, 'pyld', 'eiRequestEvent', path)
      const requestID = text(request, 'pyld', 'requestID', `${path}/pyld:eiRequestEvent`)
      const venID = text(request, 'ei', 'venID', `${path}/pyld:eiRequestEvent`)
      const refused = this.refuse(venID, requestID)
      if (refused !== undefined) return refused
      return this.distribute(venID, [...this.events.values()], { responseCode: '200', responseDescription: 'OK', requestID })
    }
    if (service === 'EiEvent' && type === 'oadrCreatedEvent') {
      const created = child(m, 'pyld', 'eiCreatedEvent', path)
      const venID = text(created, 'ei', 'venID', `${path}/pyld:eiCreatedEvent`)
      const refused = this.refuse(venID, '')
      if (refused !== undefined) return refused
      const received = children(child(created, 'ei', 'eventResponses', `${path}/pyld:eiCreatedEvent`), 'ei', 'eventResponse').map((r) => {
        const q = child(r, 'ei', 'qualifiedEventID', `${path}/ei:eventResponse`)
        return {
          venID, eventID: text(q, 'ei', 'eventID', path), modificationNumber: Number(text(q, 'ei', 'modificationNumber', path)),
          optType: text(r, 'ei', 'optType', path), responseCode: text(r, 'ei', 'responseCode', path), at: new Date().toISOString()
        }
      })
      this.optResponses.push(...received)
      const store = this.options.store
      if (store !== undefined) this.writes.push(() => store.optResponses(received))
      return response('200', 'OK', '', venID)
    }
    if (service === 'OadrPoll' && type === 'oadrPoll') {
      const venID = text(m, 'ei', 'venID', path)
      const refused = this.refuse(venID, '')
      if (refused !== undefined) return refused
      const fresh = [...this.events.values()].filter((p) => !p.deliveredTo.has(venID))
      return fresh.length === 0 ? response('200', 'OK', '', venID) : this.distribute(venID, fresh)
    }
    return response('453', `${type} is not taken at ${service}`, '')
  }

  /** 452 for a VEN that is not registered; 463 for a certificate that is not the one it registered with. */
  private refuse (venID: string, requestID: string): XmlElement | undefined {
    const ven = this.vens.get(venID)
    if (ven === undefined) return response('452', `unknown venID ${venID}`, requestID, venID)
    if (!this.mayActAs(ven)) return response('463', `not authorized to act as ${venID}`, requestID, venID)
    return undefined
  }

  private mayActAs (ven: VenRegistration): boolean {
    return ven.fingerprint === undefined || ven.fingerprint === this.peer.fingerprint
  }

  private distribute (venID: string, published: PublishedEvent[], answer?: { responseCode: string, responseDescription: string, requestID: string }): XmlElement {
    for (const p of published) p.deliveredTo.add(venID)
    return distributeEvent({ ...(answer !== undefined && { eiResponse: answer }), requestID: randomUUID(), vtnID: this.vtnID, events: published.map((p) => p.event) })
  }

  private createdRegistration (requestID: string, ven?: VenRegistration): XmlElement {
    return message('oadrCreatedPartyRegistration',
      eiResponse('200', 'OK', requestID), e('ei', 'registrationID', ven?.registrationID ?? ''), e('ei', 'venID', ven?.venID ?? ''), e('ei', 'vtnID', this.vtnID),
      e('oadr', 'oadrProfiles', e('oadr', 'oadrProfile', e('oadr', 'oadrProfileName', '2.0b'), e('oadr', 'oadrTransports', e('oadr', 'oadrTransport', e('oadr', 'oadrTransportName', 'simpleHttp'))))),
      e('oadr', 'oadrRequestedOadrPollFreq', e('xcal', 'duration', this.options.pollFreq ?? 'PT10S')))
  }
}

/** The VTN's simple-HTTP endpoints: POST {prefix}/EiRegisterParty, /EiEvent, /OadrPoll. */
export const vtnRoutes: FastifyPluginAsync<{ vtn: OadrVtn }> = async (app, { vtn }) => {
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string', bodyLimit: MAX_MESSAGE_BYTES }, (_req, body, done) => done(null, body))
  for (const service of ['EiRegisterParty', 'EiEvent', 'OadrPoll'] as const) {
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
