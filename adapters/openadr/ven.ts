/**
 * The EMA as a VEN of a utility's VTN, over OpenADR 2.0b simple HTTP in pull mode: it registers,
 * asks for its events, polls, and turns price events into tenders through a PriceEma
 * (market/ema). Endpoints on the VTN: {vtnUrl}/EiRegisterParty, /EiEvent, /OadrPoll.
 *
 * Events are checked before anything is done with them: the VTN must be the one registered with,
 * the event must target this VEN (or everyone), and its signal must be an absolute price
 * (ELECTRICITY_PRICE or ENERGY_PRICE, type price). Anything else is opted out of, with a reason.
 */
import { randomUUID } from 'node:crypto'
import type { XmlElement } from '../../schemas/tree.js'
import type { EventOutcome, PriceEma, PriceEvent } from '../../market/ema/price-ema.js'
import { readOadr, writeOadr, type OadrMessage } from './envelope.js'
import { createdEvent, distributeEventOf, poll, requestEvent, type EventResponse, type OadrEvent } from './events.js'
import { createdPartyRegistrationOf, createPartyRegistration, queryRegistration } from './registration.js'
import { postTls, type TlsFiles } from './tls.js'

export interface VenOptions {
  /** The VTN's base URL, e.g. https://vtn.example/OpenADR2/Simple/2.0b */
  vtnUrl: string
  venName: string
  ema: PriceEma
  timeoutMs?: number
  /** Mutual TLS: our client certificate and key, and the CA the VTN's certificate must chain to. */
  tls?: TlsFiles
  log?: (message: string, detail?: Record<string, unknown>) => void
}

export interface HandledOadrEvent {
  eventID: string
  modificationNumber: number
  optType: 'optIn' | 'optOut'
  outcome?: EventOutcome
  /** Why the VEN opted out, with the OpenADR 2.0b code it answered. */
  reason?: string
  responseCode?: string
}

/** OpenADR 2.0b application-layer codes the VEN answers with. */
export const OADR_CODES = { outOfSequence: '450', invalidID: '452', signalNotSupported: '460', deploymentError: '469' } as const

const PRICE_SIGNALS = new Set(['ELECTRICITY_PRICE', 'ENERGY_PRICE'])

/** An OpenADR event as the EMA's price event, or why it cannot be one. */
export function priceEventOf (event: OadrEvent): PriceEvent | string {
  const signal = event.signals.find((s) => PRICE_SIGNALS.has(s.signalName))
  if (signal === undefined) return `no price signal (${event.signals.map((s) => s.signalName).join(', ') || 'none'})`
  if (signal.signalType !== 'price') return `signal type ${signal.signalType} is not an absolute price`
  return {
    eventID: event.eventID, modificationNumber: event.modificationNumber, status: event.eventStatus,
    prices: signal.intervals.map((i) => ({ dtStart: i.dtStart, duration: i.duration, price: i.value }))
  }
}

export class OadrVen {
  vtnID: string | undefined
  venID: string | undefined
  registrationID: string | undefined

  constructor (private readonly options: VenOptions) {}

  /** oadrQueryRegistration, then oadrCreatePartyRegistration: the VTN gives this VEN its venID. */
  async register (): Promise<void> {
    const requestID = randomUUID()
    const query = createdPartyRegistrationOf(await this.expect('EiRegisterParty', queryRegistration(requestID), 'oadrCreatedPartyRegistration'))
    this.vtnID = query.vtnID
    const created = createdPartyRegistrationOf(await this.expect('EiRegisterParty', createPartyRegistration({ requestID, venName: this.options.venName }), 'oadrCreatedPartyRegistration'))
    if (created.responseCode !== '200' || created.venID === undefined || created.registrationID === undefined) {
      throw new Error(`the VTN refused the registration: ${created.responseCode} ${created.responseDescription ?? ''}`)
    }
    if (created.vtnID !== this.vtnID) throw new Error(`the VTN answered as ${created.vtnID}, then as ${this.vtnID}`)
    this.venID = created.venID
    this.registrationID = created.registrationID
    this.options.log?.('registered', { vtnID: this.vtnID, venID: this.venID, registrationID: this.registrationID })
  }

  /** oadrRequestEvent: the VTN's current events, handled. */
  async requestEvents (): Promise<HandledOadrEvent[]> {
    const answer = await this.send('EiEvent', requestEvent(randomUUID(), this.requireVenID()))
    return answer.type === 'oadrDistributeEvent' ? this.onDistributeEvent(answer.message) : []
  }

  /** oadrPoll: whatever the VTN has for this VEN; events are handled, other messages returned by type. */
  async poll (): Promise<{ type: string, handled: HandledOadrEvent[] }> {
    const answer = await this.send('OadrPoll', poll(this.requireVenID()))
    if (answer.type === 'oadrDistributeEvent') return { type: answer.type, handled: await this.onDistributeEvent(answer.message) }
    if (answer.type === 'oadrRequestReregistration') await this.register()
    return { type: answer.type, handled: [] }
  }

  private async onDistributeEvent (message: XmlElement): Promise<HandledOadrEvent[]> {
    const d = distributeEventOf(message)
    if (d.vtnID !== this.vtnID) {
      this.options.log?.('oadrDistributeEvent from another VTN ignored', { vtnID: d.vtnID })
      return []
    }
    const handled: HandledOadrEvent[] = []
    const responses: EventResponse[] = []
    for (const event of d.events) {
      if (event.venIDs.length > 0 && !event.venIDs.includes(this.requireVenID())) continue
      const price = priceEventOf(event)
      const h: HandledOadrEvent = { eventID: event.eventID, modificationNumber: event.modificationNumber, optType: 'optIn' }
      if (typeof price === 'string') {
        Object.assign(h, { optType: 'optOut', reason: price, responseCode: OADR_CODES.signalNotSupported })
      } else {
        try {
          h.outcome = await this.options.ema.onEvent(price)
          if (h.outcome === 'stale') Object.assign(h, { optType: 'optOut', reason: 'a later modification of this event was already handled', responseCode: OADR_CODES.outOfSequence })
        } catch (error) {
          Object.assign(h, { optType: 'optOut', reason: (error as Error).message, responseCode: OADR_CODES.deploymentError })
        }
      }
      handled.push(h)
      if (event.responseRequired === 'always') {
        responses.push({
          eventID: event.eventID, modificationNumber: event.modificationNumber, requestID: d.requestID, optType: h.optType,
          ...(h.reason !== undefined && { responseCode: h.responseCode ?? '200', responseDescription: h.reason })
        })
      }
    }
    if (responses.length > 0) await this.send('EiEvent', createdEvent(this.requireVenID(), responses))
    return handled
  }

  private requireVenID (): string {
    if (this.venID === undefined) throw new Error('the VEN is not registered')
    return this.venID
  }

  private async expect (service: string, message: XmlElement, type: string): Promise<XmlElement> {
    const answer = await this.send(service, message)
    if (answer.type !== type) throw new Error(`the VTN answered ${answer.type}, not ${type}`)
    return answer.message
  }

  /** POSTs a message to {vtnUrl}/{service}; the answer is read as defensively as anything received. */
  private async send (service: string, message: XmlElement): Promise<OadrMessage> {
    const url = `${this.options.vtnUrl.replace(/\/$/, '')}/${service}`
    const timeoutMs = this.options.timeoutMs ?? 10_000
    let answer: { status: number, body: string }
    if (this.options.tls !== undefined) {
      answer = await postTls(url, writeOadr(message), this.options.tls, timeoutMs)
    } else {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: writeOadr(message), signal: AbortSignal.timeout(timeoutMs) })
      answer = { status: res.status, body: await res.text() }
    }
    if (answer.status < 200 || answer.status >= 300) throw new Error(`the VTN answered HTTP ${answer.status} to ${service}: ${answer.body.slice(0, 200)}`)
    return readOadr(answer.body)
  }
}
