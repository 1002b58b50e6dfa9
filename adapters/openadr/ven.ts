/**
 * The EMA as a VEN of a utility's VTN, over OpenADR 2.0b simple HTTP, pull or push (ven-routes.ts).
 * It registers (and re-registers, and cancels), registers its trades report, asks for its events,
 * polls, and turns price events into tenders through a PriceEma (market/ema). It sends its cleared
 * trades as reports. Endpoints on the VTN: {vtnUrl}/EiRegisterParty, /EiEvent, /EiReport,
 * /OadrPoll.
 *
 * Every answer of the VTN is read defensively and checked against oadr_20b.xsd before it is acted
 * on.
 *
 * Events are checked before anything is done with them: the VTN must be the one registered with,
 * the event must target this VEN (or everyone), and its signal must be an absolute price
 * (ELECTRICITY_PRICE or ENERGY_PRICE, type price). Anything else is opted out of, with a reason.
 */
import { createHash, randomUUID } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import type { MarketRules } from '../../schemas/extensions.js'
import type { XmlElement } from '../../schemas/tree.js'
import type { EventOutcome, PriceEma, PriceEvent } from '../../market/ema/price-ema.js'
import { OadrInputError, writeOadr, type OadrMessageType } from './envelope.js'
import { build, receiveOadr, type OadrMessageValue, type ReceivedOadr } from './model.js'
import { createdEvent, distributeEventOf, poll, requestEvent, type EventResponse, type OadrEvent } from './events.js'
import { createdPartyRegistrationOf, createPartyRegistration, queryRegistration } from './registration.js'
import { postTls, type TlsFiles } from './tls.js'
import { createdReport, registerReport, reportRequestsOf, responseCodeOf, updateReport, usageReport, type ReportRequest } from './reports.js'

export interface VenOptions {
  /** The VTN's base URL, e.g. https://vtn.example/OpenADR2/Simple/2.0b */
  vtnUrl: string
  venName: string
  ema: PriceEma
  timeoutMs?: number
  /** Check every answer of the VTN against oadr_20b.xsd (default true). */
  validate?: boolean
  /** Push: the base URL of this VEN's own endpoints (ven-routes.ts), given to the VTN at registration; pull (polling) when absent. */
  pushUrl?: string
  /** Mutual TLS: our client certificate and key, and the CA the VTN's certificate must chain to. */
  tls?: TlsFiles
  /** Reporting of cleared trades (oadrUpdateReport): the market, and where reported transactions are remembered. */
  reports?: { market: MarketRules, reported: ReportedStore }
  /** How a report the VTN refuses is retried: after firstMs, doubling per failure up to maxMs (default 30 s .. 1 h). */
  reportBackoff?: { firstMs: number, maxMs: number }
  /** The clock of that back-off (default Date.now). */
  now?: () => number
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
export const OADR_CODES = { outOfSequence: '450', invalidID: '452', signalNotSupported: '460', reportNotSupported: '461', deploymentError: '469' } as const

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

/**
 * Which transactions were reported already, and the report on its way: kept across restarts
 * (FileReportedStore). A report is remembered as pending before it is sent. A VEN that restarts
 * with one pending sends it again, the same transactions under the same eiReportID, so a VTN that
 * got it the first time recognizes it. Nothing is lost and nothing is counted twice.
 */
export interface ReportedStore {
  has: (transactionID: string) => Promise<boolean>
  pending: () => Promise<PendingReport | undefined>
  setPending: (report: PendingReport) => Promise<void>
  /** These transactions are reported; the pending report, if it was theirs, is done. */
  add: (transactionIDs: readonly string[]) => Promise<void>
}

export interface PendingReport {
  reportID: string
  transactionIDs: string[]
}

/** A JSON file `{ reported, pending }`, replaced atomically (written aside, then renamed). */
export class FileReportedStore implements ReportedStore {
  private state: { reported: Set<string>, pending?: PendingReport } | undefined
  constructor (private readonly file: string) {}
  private read (): { reported: Set<string>, pending?: PendingReport } {
    if (this.state === undefined) {
      const saved = existsSync(this.file) ? JSON.parse(readFileSync(this.file, 'utf8')) as string[] | { reported: string[], pending?: PendingReport } : []
      // The first format was a bare array of reported ids.
      this.state = Array.isArray(saved) ? { reported: new Set(saved) } : { reported: new Set(saved.reported), ...(saved.pending !== undefined && { pending: saved.pending }) }
    }
    return this.state
  }

  private save (): void {
    const { reported, pending } = this.read()
    writeFileSync(`${this.file}.tmp`, JSON.stringify({ reported: [...reported], ...(pending !== undefined && { pending }) }))
    renameSync(`${this.file}.tmp`, this.file)
  }

  async has (id: string): Promise<boolean> { return this.read().reported.has(id) }
  async pending (): Promise<PendingReport | undefined> { return this.read().pending }
  async setPending (report: PendingReport): Promise<void> {
    this.read().pending = report
    this.save()
  }

  async add (ids: readonly string[]): Promise<void> {
    const state = this.read()
    for (const id of ids) state.reported.add(id)
    if (state.pending !== undefined && state.pending.transactionIDs.every((id) => state.reported.has(id))) delete state.pending
    this.save()
  }
}

const ok = (requestID: string) => ({ responseCode: '200', responseDescription: 'OK', requestID })

export class OadrVen {
  vtnID: string | undefined
  venID: string | undefined
  registrationID: string | undefined
  /** The VTN's request for the trades report, once it made one. */
  reportRequest: ReportRequest | undefined
  /** Push: this VEN's own endpoints (ven-routes.ts), given to the VTN when it registers; it polls when there are none. */
  pushUrl: string | undefined
  /** How often the VTN asks to be polled (oadrRequestedOadrPollFreq, an ISO 8601 duration), as it said when we registered. */
  requestedPollFreq: string | undefined

  /** Failed reports in a row, and when the next may go (see reportTradesWhenDue). */
  private reportFailures = 0
  private reportRetryAt = 0

  constructor (private readonly options: VenOptions) {
    this.pushUrl = options.pushUrl
  }

  /**
   * oadrQueryRegistration, then oadrCreatePartyRegistration: the VTN gives this VEN its venID. A VEN
   * that is registered already re-registers (with its registrationID and venID, which it keeps).
   */
  async register (): Promise<void> {
    const requestID = randomUUID()
    const query = createdPartyRegistrationOf(await this.expect('EiRegisterParty', queryRegistration(requestID), 'oadrCreatedPartyRegistration'))
    if (this.vtnID !== undefined && query.vtnID !== this.vtnID) throw new Error(`the VTN answers as ${query.vtnID}, not ${this.vtnID} as before`)
    this.vtnID = query.vtnID
    const renewing = this.venID !== undefined && this.registrationID !== undefined ? { venID: this.venID, registrationID: this.registrationID } : {}
    const created = createdPartyRegistrationOf(await this.expect('EiRegisterParty', createPartyRegistration({ requestID, venName: this.options.venName, ...renewing, ...(this.pushUrl !== undefined && { transportAddress: this.pushUrl }) }), 'oadrCreatedPartyRegistration'))
    if (created.responseCode !== '200' || created.venID === undefined || created.registrationID === undefined) {
      throw new Error(`the VTN refused the registration: ${created.responseCode} ${created.responseDescription ?? ''}`)
    }
    if (created.vtnID !== this.vtnID) throw new Error(`the VTN answered as ${created.vtnID}, then as ${this.vtnID}`)
    this.venID = created.venID
    this.registrationID = created.registrationID
    this.requestedPollFreq = created.pollFreq
    this.options.log?.(renewing.venID === undefined ? 'registered' : 're-registered', { vtnID: this.vtnID, venID: this.venID, registrationID: this.registrationID })
  }

  /** oadrCancelPartyRegistration: ends this VEN's registration (the VTN confirms; the ids are forgotten). */
  async cancelRegistration (): Promise<void> {
    const answer = await this.send('EiRegisterParty', build('oadrCancelPartyRegistration', { requestID: randomUUID(), registrationID: this.requireRegistrationID(), venID: this.requireVenID() }))
    const code = responseCodeOf(answer.payload)
    if (answer.type !== 'oadrCanceledPartyRegistration' || code !== '200') throw new Error(`the VTN answered ${answer.type} ${code ?? ''} to the cancellation`)
    this.forgetRegistration()
  }

  private forgetRegistration (): void {
    this.options.log?.('registration ended', { venID: this.venID })
    this.venID = undefined
    this.registrationID = undefined
    this.reportRequest = undefined
  }

  private requireRegistrationID (): string {
    if (this.registrationID === undefined) throw new Error('the VEN is not registered')
    return this.registrationID
  }

  /** oadrRegisterReport: describes the trades report; the VTN's request for it is confirmed (oadrCreatedReport). */
  async registerReports (): Promise<ReportRequest | undefined> {
    const reports = this.requireReports()
    const { trades, usage } = this.specifiers()
    const registered = await this.expect('EiReport', registerReport(randomUUID(), this.requireVenID(), trades, reports.market, new Date().toISOString(), usage), 'oadrRegisteredReport')
    this.reportRequest = this.ourRequest(reportRequestsOf(registered), (r) => r.reportSpecifierID)
    if (this.reportRequest !== undefined) await this.send('EiReport', createdReport(randomUUID(), this.requireVenID(), [this.reportRequest.reportRequestID]))
    return this.reportRequest
  }

  /** This VEN's report specifiers: the trades report, and the TELEMETRY_USAGE report of the same trades' energy. */
  private specifiers (): { trades: string, usage: string } {
    return { trades: `${this.requireVenID()}-trades`, usage: `${this.requireVenID()}-usage` }
  }

  /** Of the VTN's report requests, the trades report's if it asks for it; else the usage report's (energy only), if it asks for that. */
  private ourRequest<T> (requests: readonly T[], specifierOf: (request: T) => string): T | undefined {
    const { trades, usage } = this.specifiers()
    return requests.find((r) => specifierOf(r) === trades) ?? requests.find((r) => specifierOf(r) === usage)
  }

  /** Whether the VTN takes the trades only as TELEMETRY_USAGE (energy, without prices). */
  get reportsUsageOnly (): boolean {
    return this.reportRequest !== undefined && this.reportRequest.reportSpecifierID === this.specifiers().usage
  }

  /**
   * Sends the EMA's cleared transactions not reported yet, one report interval each (its interval,
   * energy: + bought, - sold, and price), and remembers them once the VTN confirmed. A report left
   * pending by a crash goes first, exactly as it was (see ReportedStore). Returns how many
   * transactions were reported.
   */
  async reportTrades (): Promise<number> {
    const reports = this.requireReports()
    if (this.reportRequest === undefined) return 0
    const all = await this.options.ema.transactions()
    let sent = 0
    const pending = await reports.reported.pending()
    if (pending !== undefined) {
      const batch = all.filter((t) => pending.transactionIDs.includes(t.transactionID))
      if (batch.length === pending.transactionIDs.length) {
        await this.sendReport(batch, pending.reportID)
        sent += batch.length
      } else {
        this.options.log?.('a pending report names transactions the LMA does not have; it is dropped', { reportID: pending.reportID })
        await reports.reported.add(pending.transactionIDs)
      }
    }
    const fresh = []
    for (const t of all) if (!(await reports.reported.has(t.transactionID))) fresh.push(t)
    if (fresh.length === 0) return sent
    fresh.sort((a, b) => Date.parse(a.dtStart) - Date.parse(b.dtStart) || a.transactionID.localeCompare(b.transactionID))
    const reportID = createHash('sha256').update(fresh.map((t) => t.transactionID).join('\n')).digest('hex').slice(0, 32)
    await reports.reported.setPending({ reportID, transactionIDs: fresh.map((t) => t.transactionID) })
    await this.sendReport(fresh, reportID)
    return sent + fresh.length
  }

  /**
   * reportTrades, backing off while the VTN refuses: a failure is logged as a report failure, with
   * the VTN's answer, and the next try waits twice as long as the last (bounded), so a VTN that
   * cannot take the report is not sent it on every poll, and the poll is not failed by it.
   */
  async reportTradesWhenDue (): Promise<number> {
    const now = (this.options.now ?? Date.now)()
    if (now < this.reportRetryAt) return 0
    try {
      const reported = await this.reportTrades()
      this.reportFailures = 0
      this.reportRetryAt = 0
      return reported
    } catch (error) {
      const { firstMs, maxMs } = this.options.reportBackoff ?? { firstMs: 30_000, maxMs: 3_600_000 }
      this.reportFailures++
      const delayMs = Math.min(firstMs * 2 ** Math.min(this.reportFailures - 1, 30), maxMs)
      this.reportRetryAt = now + delayMs
      this.options.log?.('report failed', { error: error instanceof Error ? error.message : String(error), failures: this.reportFailures, retryInSeconds: delayMs / 1000 })
      return 0
    }
  }

  /** One round of the loop: the poll (its failure is the caller's), then the trades report when due (reportTradesWhenDue). */
  async pollAndReport (): Promise<{ type: string, handled: HandledOadrEvent[], reported: number }> {
    const polled = await this.poll()
    return { ...polled, reported: this.options.reports === undefined ? 0 : await this.reportTradesWhenDue() }
  }

  private async sendReport (transactions: Awaited<ReturnType<PriceEma['transactions']>>, reportID: string): Promise<void> {
    const intervals = transactions.map((t) => ({ transactionID: t.transactionID, dtStart: t.dtStart, duration: t.duration, energy: t.side === 'buy' ? t.quantity : `-${t.quantity}`, price: t.price }))
    const write = this.reportsUsageOnly ? usageReport : updateReport
    const answer = await this.send('EiReport', write(randomUUID(), this.requireVenID(), this.reportRequest!, reportID, intervals, new Date().toISOString()))
    const code = responseCodeOf(answer.payload)
    if (answer.type !== 'oadrUpdatedReport' || code !== '200') {
      const description = (answer.payload.message as { eiResponse?: { responseDescription?: string } }).eiResponse?.responseDescription
      throw new Error(`the VTN answered ${answer.type} ${code ?? ''} ${description ?? ''} to the trades report`.trimEnd())
    }
    await this.requireReports().reported.add(transactions.map((t) => t.transactionID))
  }

  private requireReports (): NonNullable<VenOptions['reports']> {
    if (this.options.reports === undefined) throw new Error('this VEN was not given reports options')
    return this.options.reports
  }

  /** oadrRequestEvent: the VTN's current events, handled. */
  async requestEvents (): Promise<HandledOadrEvent[]> {
    const answer = await this.send('EiEvent', requestEvent(randomUUID(), this.requireVenID()))
    return answer.type === 'oadrDistributeEvent' ? this.onDistributeEvent(answer.message) : []
  }

  /** oadrPoll: whatever the VTN has for this VEN, handled (see onVtnMessage); events come back as handled. */
  async poll (): Promise<{ type: string, handled: HandledOadrEvent[] }> {
    const answer = await this.send('OadrPoll', poll(this.requireVenID()))
    return { type: answer.type, handled: await this.onVtnMessage(answer) }
  }

  /**
   * A message from the VTN, in answer to a poll or pushed to us, handled:
   *   - events become tenders, opted in or out (oadrCreatedEvent goes to the VTN);
   *   - a request to re-register re-registers, and registers the reports again;
   *   - a cancellation of the registration is confirmed, and the ids forgotten;
   *   - a report request for our trades report is confirmed, a cancellation of it too;
   *   - the VTN's own report metadata is acknowledged, asking for nothing.
   * Returns the events handled.
   */
  async onVtnMessage (received: ReceivedOadr): Promise<HandledOadrEvent[]> {
    const payload = received.payload
    switch (payload.type) {
      case 'oadrDistributeEvent':
        return await this.onDistributeEvent(received.message)
      case 'oadrRequestReregistration':
        await this.register()
        if (this.options.reports !== undefined) await this.registerReports()
        return []
      case 'oadrCancelPartyRegistration': {
        const m = payload.message
        const ours = m.registrationID === this.registrationID
        await this.send('EiRegisterParty', build('oadrCanceledPartyRegistration', {
          eiResponse: ours ? ok(m.requestID) : { responseCode: OADR_CODES.invalidID, responseDescription: `not our registration: ${m.registrationID}`, requestID: m.requestID },
          registrationID: m.registrationID, venID: this.requireVenID()
        }))
        if (ours) this.forgetRegistration()
        return []
      }
      case 'oadrCreateReport': {
        const m = payload.message
        const { trades, usage } = this.specifiers()
        const ours = this.ourRequest(m.oadrReportRequest, (r) => r.reportSpecifier.reportSpecifierID)
        if (ours !== undefined && this.options.reports !== undefined) this.reportRequest = { reportRequestID: ours.reportRequestID, reportSpecifierID: ours.reportSpecifier.reportSpecifierID }
        const unknown = m.oadrReportRequest.filter((r) => ![trades, usage].includes(r.reportSpecifier.reportSpecifierID) || this.options.reports === undefined).map((r) => r.reportSpecifier.reportSpecifierID)
        await this.send('EiReport', build('oadrCreatedReport', {
          eiResponse: unknown.length === 0 ? ok(m.requestID) : { responseCode: OADR_CODES.reportNotSupported, responseDescription: `no report ${unknown.join(', ')}`, requestID: m.requestID },
          oadrPendingReports: this.reportRequest === undefined ? [] : [this.reportRequest.reportRequestID], venID: this.requireVenID()
        }))
        return []
      }
      case 'oadrCancelReport': {
        const m = payload.message
        if (this.reportRequest !== undefined && m.reportRequestID.includes(this.reportRequest.reportRequestID)) this.reportRequest = undefined
        await this.send('EiReport', build('oadrCanceledReport', {
          eiResponse: ok(m.requestID), oadrPendingReports: this.reportRequest === undefined ? [] : [this.reportRequest.reportRequestID], venID: this.requireVenID()
        }))
        return []
      }
      case 'oadrRegisterReport':
        await this.send('EiReport', build('oadrRegisteredReport', { eiResponse: ok(payload.message.requestID), oadrReportRequest: [], venID: this.requireVenID() }))
        return []
      default:
        return []
    }
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

  /** Sends, and takes only an answer of `type`, as its typed value. */
  private async expect<K extends OadrMessageType> (service: string, message: XmlElement, type: K): Promise<OadrMessageValue<K>> {
    const answer = await this.send(service, message)
    if (answer.payload.type !== type) throw new Error(`the VTN answered ${answer.type}, not ${type}`)
    return answer.payload.message as OadrMessageValue<K>
  }

  /** POSTs a message to {vtnUrl}/{service}; the answer is read as defensively as anything received. */
  private async send (service: string, message: XmlElement): Promise<ReceivedOadr> {
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
    try {
      // What the VTN answers is checked like anything received: an answer that is not valid is not acted on.
      return await receiveOadr(answer.body, this.options.validate !== false)
    } catch (error) {
      if (error instanceof OadrInputError) throw new Error(`the VTN's answer to ${service}: ${error.message}`)
      throw error
    }
  }
}
