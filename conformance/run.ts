/**
 * `te-gateway conformance run --target URL`: black-box scenarios against a running LMA over HTTP
 * (the REST binding of te-gateway: POST {target}/lma/{payload}, bearer token from registration).
 * The runner registers parties of its own, serves their TEUA endpoints (callbacks of
 * eiCreateTransaction), trades in delivery intervals a day or more ahead and picked at random (so
 * that runs do not meet; within an LMA's default delivery horizon), checks every answer and callback against the CTS schemas, and cancels
 * what it left. Each check names the rule it tests: the CTS semantic rules (cts-spec §4.4) and
 * the actor-flow scenarios (§5.2 F).
 */
import { createServer } from 'node:http'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { fromTicks } from '../schemas/decimal.js'
import { durationMs } from '../market/lma/time.js'
import type { MarketRules } from '../schemas/extensions.js'
import type { PayloadName } from '../schemas/registry.js'
import { checkDocument } from './check.js'
import { readBody, runToEnd, ScenarioRun, type Check } from './scenario.js'

export interface RunOptions {
  /** The LMA's base URL, e.g. http://127.0.0.1:3000. */
  target: string
  /** The official CTS schema set: adds XSD and JSON Schema checks of every answer and callback. */
  schemasDir?: string
  /** The market to trade in (default: the first the LMA's eiRequestMarketRules lists). */
  marketContext?: string
  /** Interface of the runner's own TEUA endpoints (the LMA must reach it). Default 127.0.0.1. */
  callbackHost?: string
  /** Each finished check, as it finishes. */
  progress?: (check: Check) => void
  /** How long to wait for callbacks. Default 5000 ms. */
  callbackTimeoutMs?: number
}

export type { Check }

interface Party {
  partyID: string
  token: string
  /** eiCreateTransaction bodies its TEUA endpoint received. */
  received: any[]
}

interface Answer {
  status: number
  body: any
  headers: Headers
}

const CHECKS: Array<{ id: string, rule: string }> = [
  { id: 'market-rules', rule: 'te-gateway extension: eiRequestMarketRules tells the market\'s currency, scales and intervals' },
  { id: 'registration', rule: 'CTS registration: eiCreatePartyRegistration answers eiCreatedPartyRegistration with a registrationID; eiRequestPartyRegistration reads it back' },
  { id: 'crossing', rule: '§5.2 F.1: crossing tenders make one transaction per side at the resting price, each party told with partyID = itself, counterPartyID = the other' },
  { id: 'no-cross', rule: '§5.2 F.2: tenders that do not cross make no transaction and both stay visible by eiRequestTender' },
  { id: 'partial-fill', rule: '§5.2 F.3: a partial fill leaves the rest open; a later tender completes it' },
  { id: 'cancel', rule: '§5.2 F.4: cancel a resting tender; cancel after a partial fill cancels the rest; unknown tender 404; filled tender 409' },
  { id: 'intervals-isolated', rule: '§5.2 F.5: intervals are instruments: crossing prices in different intervals do not trade' },
  { id: 'stream', rule: '§5.2 F.6 / §2.9: a stream tender over 3 intervals becomes 3 interval tenders, each trading on its own' },
  { id: 'invalid', rule: '§5.2 F.7 / §4.4.4-7: malformed or invalid requests get a 4xx EiResponse and change nothing' },
  { id: 'idempotent', rule: '§5.2 F.8: a resent requestID gets the original answer and changes nothing' },
  { id: 'act-for-another', rule: '§4.4.8: a party can only act as itself' },
  { id: 'cleanup', rule: 'the suite cancels what it left: no open tender of its parties remains' },
  { id: 'answers-valid', rule: '§1.3: every answer is the CTS answer payload, valid against the CTS schemas' },
  { id: 'refid-echo', rule: '§4.4.1: every answer\'s eiResponse.refID equals the request\'s requestID' },
  { id: 'status-agrees', rule: '§4.2: every answer\'s responseCode equals its HTTP status' },
  { id: 'callbacks-valid', rule: '§2.2: every eiCreateTransaction a TEUA receives is valid against the CTS schemas and names that TEUA as partyID' }
]

const ANSWER_OF: Partial<Record<PayloadName, PayloadName>> = {
  eiCreatePartyRegistration: 'eiCreatedPartyRegistration', eiRequestPartyRegistration: 'eiReplyPartyRegistration',
  eiCreateTender: 'eiCreatedTender', eiCancelTender: 'eiCanceledTender', eiRequestTender: 'eiReplyTender',
  eiRequestTransaction: 'eiReplyTransaction', eiRequestMarketRules: 'eiReplyMarketRules'
}

export async function runConformance (options: RunOptions): Promise<Check[]> {
  return runToEnd(new Run(options))
}

class Run extends ScenarioRun {
  private readonly answerProblems: string[] = []
  private readonly refProblems: string[] = []
  private readonly statusProblems: string[] = []
  private readonly callbackProblems: string[] = []
  private answers = 0
  private readonly tag = randomBytes(4).toString('hex')
  private n = 0
  private readonly parties = new Map<string, Party>()
  private lmaPartyID = 'lma'
  private rules!: MarketRules
  private base = 0

  constructor (private readonly options: RunOptions) {
    super(CHECKS, options.progress, options.callbackTimeoutMs)
  }

  async all (): Promise<Check[]> {
    const callbackUrl = await this.listen()
    const steps: Array<[string, () => Promise<void>]> = [
      ['market-rules', () => this.marketRules()],
      ['registration', () => this.registration(callbackUrl)],
      ['crossing', () => this.crossing()],
      ['no-cross', () => this.noCross()],
      ['partial-fill', () => this.partialFill()],
      ['cancel', () => this.cancel()],
      ['intervals-isolated', () => this.isolated()],
      ['stream', () => this.stream()],
      ['invalid', () => this.invalid()],
      ['idempotent', () => this.idempotent()],
      ['act-for-another', () => this.actForAnother()],
      ['cleanup', () => this.cleanup()]
    ]
    let stop: string | undefined
    for (const [id, run] of steps) {
      if (stop !== undefined) { this.record(id, [`not run: ${stop}`]); continue }
      if (!(await this.step(id, run)) && (id === 'market-rules' || id === 'registration')) stop = `${id} failed`
    }
    this.record('answers-valid', this.answerProblems, `${this.answers} answers checked`)
    this.record('refid-echo', this.refProblems)
    this.record('status-agrees', this.statusProblems)
    const callbacks = [...this.parties.values()].reduce((n, p) => n + p.received.length, 0)
    this.record('callbacks-valid', callbacks === 0 && stop === undefined ? ['no callback was received'] : this.callbackProblems, `${callbacks} callbacks checked`)
    return this.checks
  }

  // ------------------------------------------------------------------------------------------
  // Plumbing

  private id (what: string): string {
    return `cts-${this.tag}-${what}-${++this.n}`
  }

  /** The runner's TEUA endpoints: POST /teua/{partyID}/eiCreateTransaction. */
  private async listen (): Promise<string> {
    this.server = createServer((req, res) => {
      void readBody(req).then(async (text) => {
        const m = /^\/teua\/([^/]+)\/eiCreateTransaction$/.exec(req.url ?? '')
        const party = m === null ? undefined : this.parties.get(decodeURIComponent(m[1]!))
        if (req.method !== 'POST' || party === undefined) { res.writeHead(404).end(); return }
        const verdict = await checkDocument(text, 'eiCreateTransaction.json', { payload: 'eiCreateTransaction', ...this.schemas() })
        for (const f of verdict.findings) this.callbackProblems.push(`callback to ${party.partyID}: ${f.layer} ${f.path}: ${f.message}`)
        let body: any
        try { body = JSON.parse(text) } catch { body = {} }
        if (body.partyID !== party.partyID) this.callbackProblems.push(`callback to ${party.partyID} names partyID ${String(body.partyID)}`)
        party.received.push(body)
        const answer = { counterPartyID: body.counterPartyID ?? this.lmaPartyID, partyID: party.partyID, eiResponse: { responseCode: '200', responseDescription: 'OK', refID: String(body.requestID), createdDateTime: new Date().toISOString() }, transactionID: (body.eiTransaction ?? []).map((t: any) => String(t.transactionID)) }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer))
      })
    })
    const host = this.options.callbackHost ?? '127.0.0.1'
    await new Promise<void>((resolve) => this.server!.listen(0, host, resolve))
    const { port } = this.server.address() as AddressInfo
    return `http://${host}:${port}/teua`
  }

  private schemas () {
    return this.options.schemasDir === undefined ? {} : { schemasDir: this.options.schemasDir }
  }

  /** POSTs a CTS request (or raw text) and checks the answer: schema, refID, status. */
  private async call (payload: PayloadName, body: unknown, party?: Party, opts: { token?: string } = {}): Promise<Answer> {
    const token = opts.token ?? party?.token
    const res = await fetch(`${this.options.target.replace(/\/$/, '')}/lma/${payload}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(token !== undefined && token !== '' && { authorization: `Bearer ${token}` }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000)
    })
    const text = await res.text()
    const answerName = ANSWER_OF[payload]!
    const where = `${payload} ${typeof body === 'object' && body !== null && 'requestID' in body ? String((body as any).requestID) : '(raw)'}`
    this.answers++
    const verdict = await checkDocument(text, `${answerName}.json`, { payload: answerName, ...this.schemas() })
    for (const f of verdict.findings) this.answerProblems.push(`${where} -> ${res.status}: ${f.layer} ${f.path}: ${f.message}`)
    let json: any
    try { json = JSON.parse(text) } catch { json = undefined }
    const response = Array.isArray(json?.eiResponse) ? json.eiResponse[0] : json?.eiResponse
    const requestID = typeof body === 'object' && body !== null ? (body as any).requestID : undefined
    if (requestID !== undefined && response?.refID !== requestID) this.refProblems.push(`${where}: refID ${String(response?.refID)}`)
    if (response?.responseCode !== String(res.status)) this.statusProblems.push(`${where}: HTTP ${res.status}, responseCode ${String(response?.responseCode)}`)
    return { status: res.status, body: json, headers: res.headers }
  }


  // ------------------------------------------------------------------------------------------
  // Market, intervals, tenders

  private interval (slot: number): string {
    return new Date(this.base + slot * durationMs(this.rules.duration)).toISOString()
  }

  /** Prices in ticks of the market's scale (110 is 0.110 at scale 3): their order is what the scenarios need. */
  private price (ticks: number): string { return fromTicks(ticks, this.rules.priceScale) }
  private quantity (units: number): string { return fromTicks(units * 10 ** this.rules.quantityScale, this.rules.quantityScale) }

  private product (side: 'buy' | 'sell', priceMilli: number, units: number, slot: number, uid: string) {
    return {
      dtStart: this.interval(slot), duration: this.rules.duration,
      temixPower: { price: this.price(priceMilli), energyReal: this.rules.energyReal, quantity: this.quantity(units) },
      uid, transactiveState: 'tender', currency: this.rules.currency, marketContext: this.rules.marketContext, side
    }
  }

  private createBody (party: Party, tenders: Array<{ tenderID: string, product: unknown }>, requestID = this.id('create')) {
    return { requestID, partyID: party.partyID, counterPartyID: this.lmaPartyID, eiTender: tenders }
  }

  /** Creates one tender; answers its tenderID and the answer. */
  private async tender (party: Party, side: 'buy' | 'sell', priceMilli: number, units: number, slot: number): Promise<{ tenderID: string, answer: Answer }> {
    const tenderID = this.id(`${party.partyID.slice(-1)}-${side}`)
    const answer = await this.call('eiCreateTender', this.createBody(party, [{ tenderID, product: this.product(side, priceMilli, units, slot, tenderID) }]), party)
    this.expect(answer.status === 200, `eiCreateTender ${tenderID}: HTTP ${answer.status} ${describe(answer)}`)
    this.expect(JSON.stringify(answer.body?.tenderID ?? []).includes(tenderID), `eiCreatedTender does not list ${tenderID}`)
    return { tenderID, answer }
  }

  private async openTenders (party: Party): Promise<Map<string, string>> {
    const answer = await this.call('eiRequestTender', { requestID: this.id('read'), partyID: party.partyID, requestorPartyID: party.partyID, marketContext: [this.rules.marketContext] }, party)
    this.expect(answer.status === 200, `eiRequestTender: HTTP ${answer.status}`)
    const open = new Map<string, string>()
    for (const t of answer.body?.eiTender ?? []) open.set(String(t.tenderID), String(t.product?.temixPower?.quantity))
    return open
  }

  private async cancelTenders (party: Party, tenderIDs: string[]): Promise<Answer> {
    return this.call('eiCancelTender', { requestID: this.id('cancel'), partyID: party.partyID, counterPartyID: this.lmaPartyID, tenderID: tenderIDs }, party)
  }

  private transactionsOf (party: Party, tenderID: string): any[] {
    return party.received.flatMap((m) => (m.eiTransaction ?? []).filter((t: any) => t.tenderID === tenderID))
  }

  // ------------------------------------------------------------------------------------------
  // Scenarios

  private async marketRules (): Promise<void> {
    const answer = await this.call('eiRequestMarketRules', { requestID: this.id('rules') })
    const rules = (answer.body?.marketRules ?? []) as MarketRules[]
    const wanted = this.options.marketContext
    const chosen = wanted === undefined ? rules[0] : rules.find((r) => r.marketContext === wanted)
    if (answer.status !== 200 || chosen === undefined) throw new Error(`no market to trade in: eiRequestMarketRules answered ${answer.status}${wanted === undefined ? '' : `, without ${wanted}`}`)
    this.rules = chosen
    // A random hour 1 to 4 days ahead, on the market's grid: far from gate closure and from other runs,
    // and within the delivery horizon of an LMA with default limits (7 days).
    const grid = durationMs(chosen.granularity)
    const ahead = Date.now() + 86_400_000 + Math.floor(Math.random() * 72) * 3_600_000
    this.base = Math.floor(ahead / grid) * grid
  }

  private async registration (callbackUrl: string): Promise<void> {
    for (const name of ['a', 'b']) {
      const partyID = `cts-${this.tag}-${name}`
      const party: Party = { partyID, token: '', received: [] }
      this.parties.set(partyID, party)
      const registered = await this.call('eiCreatePartyRegistration', {
        requestID: this.id('reg'), registreePartyID: partyID,
        eiRegistrationInfo: { partyRole: 'teua', callbackURI: `${callbackUrl}/${partyID}`, marketContext: [this.rules.marketContext] }
      })
      const body = registered.body ?? {}
      this.expect(registered.status === 200, `eiCreatePartyRegistration ${partyID}: HTTP ${registered.status} ${describe(registered)}`)
      this.expect(typeof body.registrationID === 'string' && body.registrationID !== '', 'no registrationID')
      this.lmaPartyID = body.registrarPartyID ?? this.lmaPartyID
      party.token = registered.headers.get('x-party-token') ?? ''
      if (!this.expect(party.token !== '', `no x-party-token for ${partyID}`)) continue
      const read = await this.call('eiRequestPartyRegistration', { requestID: this.id('reg-read'), registreePartyID: partyID, requestorPartyID: partyID }, party)
      this.expect(read.status === 200 && JSON.stringify(read.body?.eiRegistration ?? []).includes(body.registrationID), `eiRequestPartyRegistration does not read back ${String(body.registrationID)}`)
    }
  }

  private get a (): Party { return [...this.parties.values()][0]! }
  private get b (): Party { return [...this.parties.values()][1]! }

  private async crossing (): Promise<void> {
    const { a, b } = this
    const sell = await this.tender(a, 'sell', 110, 5, 0)
    const buy = await this.tender(b, 'buy', 120, 5, 0)
    this.expect(await this.waitFor(() => a.received.length >= 1 && b.received.length >= 1), 'each party is told of its transaction (eiCreateTransaction)')
    const [ta] = this.transactionsOf(a, sell.tenderID)
    const [tb] = this.transactionsOf(b, buy.tenderID)
    for (const [t, side, party, other] of [[ta, 'sell', a, b], [tb, 'buy', b, a]] as const) {
      if (!this.expect(t !== undefined, `no transaction for ${party.partyID}'s ${side}`)) continue
      this.expect(t.product?.temixPower?.price === this.price(110), `${side} side traded at ${String(t.product?.temixPower?.price)}, not the resting price ${this.price(110)}`)
      this.expect(t.product?.temixPower?.quantity === this.quantity(5), `${side} side quantity ${String(t.product?.temixPower?.quantity)}`)
      this.expect(t.product?.side === side, `${party.partyID}'s transaction has side ${String(t.product?.side)}`)
      const message = party.received.find((m) => (m.eiTransaction ?? []).includes(t))
      this.expect(message?.counterPartyID === other.partyID, `${party.partyID}'s transaction names counterPartyID ${String(message?.counterPartyID)}`)
    }
    const read = await this.call('eiRequestTransaction', { requestID: this.id('tx-read'), partyID: b.partyID, requestorPartyID: b.partyID, marketContext: [this.rules.marketContext] }, b)
    this.expect(read.status === 200 && (read.body?.eiTransaction ?? []).some((t: any) => t.tenderID === buy.tenderID), 'eiRequestTransaction lists the transaction')
    this.expect(this.transactionsOf(a, sell.tenderID).length === 1 && this.transactionsOf(b, buy.tenderID).length === 1, 'exactly one transaction per side')
  }

  private async noCross (): Promise<void> {
    const { a, b } = this
    const sell = await this.tender(a, 'sell', 130, 5, 1)
    const buy = await this.tender(b, 'buy', 100, 5, 1)
    await this.expectNoTrade([[a, sell.tenderID], [b, buy.tenderID]], 'tenders that do not cross traded')
    this.expect((await this.openTenders(a)).get(sell.tenderID) === this.quantity(5), 'the sell is open with all its quantity')
    this.expect((await this.openTenders(b)).get(buy.tenderID) === this.quantity(5), 'the buy is open with all its quantity')
  }

  private async partialFill (): Promise<void> {
    const { a, b } = this
    const buy = await this.tender(a, 'buy', 120, 5, 2)
    const first = await this.tender(b, 'sell', 110, 3, 2)
    this.expect(await this.waitFor(() => this.transactionsOf(b, first.tenderID).length === 1), 'the first sell trades')
    this.expect(this.transactionsOf(b, first.tenderID)[0]?.product?.temixPower?.quantity === this.quantity(3), 'it trades 3')
    this.expect((await this.openTenders(a)).get(buy.tenderID) === this.quantity(2), 'the buy has 2 left')
    const second = await this.tender(b, 'sell', 115, 2, 2)
    // Each side is told on its own: wait for the seller's callback too before reading it.
    this.expect(await this.waitFor(() => this.transactionsOf(a, buy.tenderID).length === 2 && this.transactionsOf(b, second.tenderID).length === 1), 'the buy trades twice')
    this.expect(this.transactionsOf(b, second.tenderID)[0]?.product?.temixPower?.price === this.price(120), 'at the resting buy\'s price')
    this.expect(!(await this.openTenders(a)).has(buy.tenderID), 'the filled buy is no longer open')
  }

  private async cancel (): Promise<void> {
    const { a, b } = this
    const resting = await this.tender(a, 'sell', 140, 5, 3)
    const canceled = await this.cancelTenders(a, [resting.tenderID])
    this.expect(canceled.status === 200, `cancel of a resting tender: HTTP ${canceled.status} ${describe(canceled)}`)
    const late = await this.tender(b, 'buy', 150, 5, 3)
    await this.expectNoTrade([[b, late.tenderID]], 'a canceled tender traded')
    const partly = await this.tender(a, 'sell', 140, 5, 4)
    const taker = await this.tender(b, 'buy', 140, 2, 4)
    this.expect(await this.waitFor(() => this.transactionsOf(a, partly.tenderID).length === 1), 'the partial fill')
    const rest = await this.cancelTenders(a, [partly.tenderID])
    this.expect(rest.status === 200, `cancel after a partial fill: HTTP ${rest.status} ${describe(rest)}`)
    this.expect(!(await this.openTenders(a)).has(partly.tenderID), 'its rest is canceled')
    const unknown = await this.cancelTenders(a, [this.id('never-created')])
    this.expect(unknown.status === 404, `cancel of an unknown tender: HTTP ${unknown.status}, not 404`)
    const filled = await this.cancelTenders(b, [taker.tenderID])
    this.expect(filled.status === 409, `cancel of a filled tender: HTTP ${filled.status}, not 409`)
    await this.cancelTenders(b, [late.tenderID])
  }

  private async isolated (): Promise<void> {
    const { a, b } = this
    const sell = await this.tender(a, 'sell', 100, 5, 5)
    const buy = await this.tender(b, 'buy', 200, 5, 6)
    await this.expectNoTrade([[a, sell.tenderID], [b, buy.tenderID]], 'tenders of different intervals traded')
  }

  /** Gives the LMA a moment to (wrongly) tell of a trade, then checks that none of these tenders traded. */
  private async expectNoTrade (tenders: Array<[Party, string]>, what: string): Promise<void> {
    await new Promise((r) => setTimeout(r, 300))
    this.expect(tenders.every(([party, tenderID]) => this.transactionsOf(party, tenderID).length === 0), what)
  }

  private async stream (): Promise<void> {
    const { a, b } = this
    const tenderID = this.id('stream')
    const product = { ...this.product('sell', 100, 1, 7, tenderID), temixPower: { energyReal: this.rules.energyReal } }
    const streamed = { ...product, intervals: [1, 2, 3].map((units, i) => ({ uid: String(i), temixPower: { price: this.price(100), quantity: this.quantity(units) } })) }
    const answer = await this.call('eiCreateTender', this.createBody(a, [{ tenderID, product: streamed }]), a)
    this.expect(answer.status === 200, `stream tender: HTTP ${answer.status} ${describe(answer)}`)
    const ids = (answer.body?.tenderID ?? []) as string[]
    this.expect(ids.length === 3, `the stream tender became ${ids.length} interval tenders, not 3`)
    const before = a.received.length
    for (const [k, units] of [1, 2, 3].entries()) await this.tender(b, 'buy', 100, units, 7 + k)
    this.expect(await this.waitFor(() => a.received.length >= before + 3), 'each interval traded on its own')
    const traded = a.received.slice(before).flatMap((m) => m.eiTransaction ?? [])
    for (const [k, units] of [1, 2, 3].entries()) {
      this.expect(traded.some((t: any) => t.product?.dtStart !== undefined && new Date(t.product.dtStart).getTime() === new Date(this.interval(7 + k)).getTime() && t.product?.temixPower?.quantity === this.quantity(units)),
        `no transaction of ${this.quantity(units)} in interval ${this.interval(7 + k)}`)
    }
  }

  private async invalid (): Promise<void> {
    const { a } = this
    const good = await this.tender(a, 'sell', 300, 1, 10)
    const before = await this.openTenders(a)
    const tenderWith = (edit: (p: any) => void) => {
      const tenderID = this.id('bad')
      const product: any = this.product('sell', 300, 1, 10, tenderID)
      edit(product)
      return this.createBody(a, [{ tenderID, product }])
    }
    const cases: Array<[string, unknown, string?]> = [
      ['malformed JSON', '{"requestID": '],
      ['schema violation: quantity 0', tenderWith((p) => { p.temixPower.quantity = '0' })],
      ['schema violation: side BUY', tenderWith((p) => { p.side = 'BUY' })],
      ['unknown market', tenderWith((p) => { p.marketContext = `urn:nowhere:${this.tag}` })],
      ['price finer than the market\'s scale', tenderWith((p) => { p.temixPower.price = this.rules.priceScale === 0 ? `${this.price(300)}.5` : `${this.price(300)}1` })],
      ['interval off the market\'s grid', tenderWith((p) => { p.dtStart = new Date(new Date(p.dtStart).getTime() + 60_000).toISOString() })],
      ['interval past gate closure', tenderWith((p) => { p.dtStart = new Date(Math.floor((Date.now() - 86_400_000) / durationMs(this.rules.granularity)) * durationMs(this.rules.granularity)).toISOString() })],
      ['wrong currency', tenderWith((p) => { p.currency = this.rules.currency === 'EUR' ? 'USD' : 'EUR' })],
      ['no token', this.createBody(a, [{ tenderID: this.id('bad'), product: this.product('sell', 300, 1, 10, 'x') }]), 'none']
    ]
    for (const [what, body, token] of cases) {
      const answer = await this.call('eiCreateTender', body, a, token === 'none' ? { token: '' } : {})
      this.expect(answer.status >= 400 && answer.status < 500, `${what}: HTTP ${answer.status}, not 4xx`)
      this.expect(answer.body?.eiResponse !== undefined, `${what}: no EiResponse`)
    }
    const after = await this.openTenders(a)
    this.expect(JSON.stringify([...after]) === JSON.stringify([...before]), 'refused requests changed the party\'s open tenders')
    await this.cancelTenders(a, [good.tenderID])
  }

  private async idempotent (): Promise<void> {
    const { a } = this
    const tenderID = this.id('once')
    const body = this.createBody(a, [{ tenderID, product: this.product('sell', 300, 1, 11, tenderID) }])
    const first = await this.call('eiCreateTender', body, a)
    const again = await this.call('eiCreateTender', body, a)
    this.expect(first.status === 200 && again.status === 200, `HTTP ${first.status}, then ${again.status}`)
    this.expect(JSON.stringify(again.body) === JSON.stringify(first.body), 'the resent request got another answer')
    const open = await this.openTenders(a)
    this.expect(open.get(tenderID) === this.quantity(1), 'the tender is there once, with its quantity')
  }

  private async actForAnother (): Promise<void> {
    const { a, b } = this
    const mine = await this.tender(a, 'sell', 300, 1, 12)
    const asOther = this.createBody(b, [{ tenderID: this.id('spoof'), product: this.product('buy', 100, 1, 12, 'spoof') }])
    const spoof = await this.call('eiCreateTender', asOther, a) // a's token, b's partyID
    this.expect(spoof.status >= 400 && spoof.status < 500, `tendering as another party: HTTP ${spoof.status}`)
    const cancel = await this.call('eiCancelTender', { requestID: this.id('cancel'), partyID: b.partyID, counterPartyID: this.lmaPartyID, tenderID: [mine.tenderID] }, b)
    this.expect(cancel.status >= 400 && cancel.status < 500, `cancelling another party's tender: HTTP ${cancel.status}`)
    this.expect((await this.openTenders(a)).has(mine.tenderID), 'the other party\'s cancel took effect')
    this.expect(!(await this.openTenders(b)).has(mine.tenderID), 'a party reads another\'s tenders')
  }

  private async cleanup (): Promise<void> {
    for (const party of this.parties.values()) {
      const open = [...(await this.openTenders(party)).keys()]
      if (open.length > 0) {
        const answer = await this.cancelTenders(party, open)
        this.expect(answer.status === 200, `cancelling ${open.length} open tender(s) of ${party.partyID}: HTTP ${answer.status}`)
      }
      this.expect((await this.openTenders(party)).size === 0, `${party.partyID} still has open tenders`)
    }
  }
}

function describe (answer: Answer): string {
  const r = Array.isArray(answer.body?.eiResponse) ? answer.body.eiResponse[0] : answer.body?.eiResponse
  return r?.responseDescription === undefined ? '' : `(${String(r.responseDescription)})`
}

export const CONFORMANCE_CHECKS = CHECKS
