/**
 * `te-gateway conformance run --binding eml-cts`: the scenarios in the dialect of eml-cts, the CTS
 * reference implementation (../shared/docs/cts-spec.md §3), against an LMA on eml-cts's URIs.
 *
 * eml-cts has no registration: its TEUAs are parties by number, and the LMA sends their
 * transactions to URIs it was configured with. So the LMA under test must know the suite's two
 * parties (--eml-parties, default 1 and 2) and send their transactions to the suite's TEUA
 * endpoints, http://{callback host}:{--callback-port}/teua/0 and /teua/1 ({teuaURI}/createTransaction).
 * eml-cts has no market rules either: tenders are for intervals of --interval-minutes (60) on a
 * random day ahead, prices in thousandths and whole quantities, as eml-cts writes them.
 */
import { createServer } from 'node:http'
import { z } from 'zod'
import { readBody, runToEnd, ScenarioRun, type Check } from './scenario.js'

export interface EmlRunOptions {
  target: string
  /** The two eml-cts party numbers the LMA under test knows for the suite. */
  parties?: [number, number]
  callbackHost?: string
  /** Where the suite's TEUAs listen; the LMA under test is configured with it. 0: any (callbacks then cannot arrive). */
  callbackPort?: number
  intervalMinutes?: number
  progress?: (check: Check) => void
  callbackTimeoutMs?: number
}

const CHECKS: Array<{ id: string, rule: string }> = [
  { id: 'eml-party', rule: 'eml-cts §3.1: GET /lma/party answers the LMA\'s ActorIdType' },
  { id: 'eml-crossing', rule: '§5.2 F.1 in eml-cts: crossing tenders trade at the resting price; each TEUA gets its EiCreateTransactionPayload, counterPartyId the other' },
  { id: 'eml-partial-fill', rule: '§5.2 F.3 / §2.6: each fill is its own transaction with the fill quantity; the rest stays open' },
  { id: 'eml-cancel', rule: '§2.5: a canceled tender answers success and no longer trades' },
  { id: 'eml-intervals-isolated', rule: '§2.7: intervals are instruments: crossing prices in different intervals do not trade' },
  { id: 'eml-stream', rule: '§2.9: EiCreateStreamTenderPayload becomes one tender per interval (createdTenders), each trading on its own' },
  { id: 'eml-invalid', rule: '§4.4.4 / §3.3: malformed or invalid requests and unknown parties are refused' },
  { id: 'eml-idempotent', rule: '§5.2 F.8: a resent requestId does not make a second tender' },
  { id: 'eml-cleanup', rule: 'the suite cancels what it left' },
  { id: 'eml-answers', rule: '§3.5 / §4.2: every answer\'s response.responseCode equals its HTTP status, and inResponseTo echoes the requestId' },
  { id: 'eml-callbacks-valid', rule: '§3.4: every transaction is an EiCreateTransactionPayload for the TEUA that receives it, at a price and quantity the tenders allow' }
]

const EmlTransaction = z.object({
  partyId: z.object({ myUidId: z.number() }), counterPartyId: z.object({ myUidId: z.number() }), requestId: z.object({ myUidId: z.number() }),
  transaction: z.object({
    transactionId: z.object({ myUidId: z.number() }), transactiveState: z.literal('TRANSACTION'),
    tender: z.object({ side: z.enum(['BUY', 'SELL']), tenderId: z.object({ myUidId: z.number() }), tenderDetail: z.object({ type: z.literal('interval'), interval: z.object({ dtStart: z.union([z.string(), z.number()]), duration: z.union([z.string(), z.number()]) }), price: z.number().int(), quantity: z.number().int() }) })
  })
})
type EmlTransaction = z.infer<typeof EmlTransaction>

export async function runEmlConformance (options: EmlRunOptions): Promise<Check[]> {
  return runToEnd(new EmlRun(options))
}

class EmlRun extends ScenarioRun {
  private readonly answerProblems: string[] = []
  private readonly callbackProblems: string[] = []
  /** Transactions each TEUA (0, 1) received. */
  private readonly received: [EmlTransaction[], EmlTransaction[]] = [[], []]
  private next = (Date.now() % 1_000_000) * 1000
  private readonly open = new Map<number, number>()
  private base = 0
  private readonly parties: [number, number]

  constructor (private readonly options: EmlRunOptions) {
    super(CHECKS, options.progress, options.callbackTimeoutMs)
    this.parties = options.parties ?? [1, 2]
  }

  async all (): Promise<Check[]> {
    await this.listen()
    const minutes = this.options.intervalMinutes ?? 60
    this.base = Math.floor((Date.now() + 86_400_000 + Math.floor(Math.random() * 72) * 3_600_000) / (minutes * 60_000)) * minutes * 60_000
    const steps: Array<[string, () => Promise<void>]> = [
      ['eml-party', () => this.party()], ['eml-crossing', () => this.crossing()], ['eml-partial-fill', () => this.partialFill()],
      ['eml-cancel', () => this.cancel()], ['eml-intervals-isolated', () => this.isolated()], ['eml-stream', () => this.stream()],
      ['eml-invalid', () => this.invalid()], ['eml-idempotent', () => this.idempotent()], ['eml-cleanup', () => this.cleanup()]
    ]
    for (const [id, run] of steps) await this.step(id, run)
    const callbacks = this.received[0].length + this.received[1].length
    this.record('eml-answers', this.answerProblems)
    this.record('eml-callbacks-valid', callbacks === 0 ? ['no transaction reached the suite\'s TEUAs'] : this.callbackProblems, `${callbacks} callbacks checked`)
    return this.checks
  }

  private async listen (): Promise<void> {
    this.server = createServer((req, res) => {
      void readBody(req).then((text) => {
        const m = /^\/teua\/([01])\/createTransaction$/.exec(req.url ?? '')
        if (req.method !== 'POST' || m === null) { res.writeHead(404).end(); return }
        const teua = Number(m[1]) as 0 | 1
        let body: unknown
        try { body = JSON.parse(text) } catch { body = undefined }
        const parsed = EmlTransaction.safeParse(body)
        if (!parsed.success) {
          this.callbackProblems.push(`TEUA ${teua}: not an EiCreateTransactionPayload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
        } else {
          if (parsed.data.partyId.myUidId !== this.parties[teua]) this.callbackProblems.push(`TEUA ${teua} (party ${this.parties[teua]}) got a transaction for party ${parsed.data.partyId.myUidId}`)
          this.received[teua].push(parsed.data)
        }
        const t = parsed.success ? parsed.data : undefined
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
          transactionId: t?.transaction.transactionId ?? { myUidId: -1 }, partyId: t?.partyId ?? { myUidId: this.parties[teua] }, counterPartyId: t?.counterPartyId ?? { myUidId: -1 },
          response: { responseCode: 200, responseDescription: 'OK', refId: { myUidId: this.next++ }, createdDateTime: new Date().toISOString() },
          refId: { myUidId: this.next++ }, recipientTransactionId: { myUidId: this.next++ }, id: t?.transaction.transactionId.myUidId ?? -1
        }))
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(this.options.callbackPort ?? 0, this.options.callbackHost ?? '127.0.0.1', resolve))
  }

  private async post (path: string, body: unknown): Promise<{ status: number, body: any }> {
    const res = await fetch(`${this.options.target.replace(/\/$/, '')}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body), signal: AbortSignal.timeout(10_000)
    })
    const text = await res.text()
    let json: any
    try { json = JSON.parse(text) } catch { json = undefined }
    const where = `${path} ${typeof body === 'object' && body !== null ? JSON.stringify((body as any).requestId) : '(raw)'}`
    if (json?.response?.responseCode !== res.status) this.answerProblems.push(`${where}: HTTP ${res.status}, responseCode ${String(json?.response?.responseCode)}`)
    const requestId = typeof body === 'object' && body !== null ? (body as any).requestId : undefined
    if (requestId !== undefined && json?.inResponseTo?.myUidId !== requestId.myUidId) this.answerProblems.push(`${where}: inResponseTo ${JSON.stringify(json?.inResponseTo)}`)
    return { status: res.status, body: json }
  }

  private interval (slot: number) {
    const minutes = this.options.intervalMinutes ?? 60
    return { duration: `PT${minutes}M`, dtStart: new Date(this.base + slot * minutes * 60_000).toISOString().replace('.000Z', 'Z') }
  }

  private tenderBody (who: 0 | 1, side: 'BUY' | 'SELL', price: number, quantity: number, slot: number, ids = { requestId: this.next++, tenderId: this.next++ }) {
    return {
      atMostOne: false, executionInstructions: '', marketId: { myUidId: 0 }, segmentId: 1,
      counterPartyId: { myUidId: 0 }, partyId: { myUidId: this.parties[who] }, requestId: { myUidId: ids.requestId },
      tender: {
        allOrNone: false, executionInstructions: '', expirationTime: null, marketId: { myUidId: 0 }, priceScale: 1, quantityScale: 1, resourceDesignator: 'ENERGY', side,
        tenderDetail: { type: 'interval', interval: this.interval(slot), price, quantity },
        warrants: null, tenderId: { myUidId: ids.tenderId }, referencedQuoteId: null, marketOrderId: { myUidId: -1 }
      }
    }
  }

  private async tender (who: 0 | 1, side: 'BUY' | 'SELL', price: number, quantity: number, slot: number): Promise<number> {
    const body = this.tenderBody(who, side, price, quantity, slot)
    const answer = await this.post('/lma/createTender', body)
    this.expect(answer.status === 200 && answer.body?.response?.responseCode === 200, `createTender ${side} ${quantity}@${price}: HTTP ${answer.status}, ${String(answer.body?.response?.responseDescription ?? '')}`)
    this.open.set(body.tender.tenderId.myUidId, who)
    return body.tender.tenderId.myUidId
  }

  private async cancel1 (who: 0 | 1, tenderId: number) {
    this.open.delete(tenderId)
    return this.post('/lma/cancelTender', { counterPartyId: { myUidId: 0 }, partyId: { myUidId: this.parties[who] }, requestId: { myUidId: this.next++ }, tenderId: { myUidId: tenderId }, marketOrderId: { myUidId: -1 } })
  }

  private fills (who: 0 | 1, tenderId: number): EmlTransaction[] {
    return this.received[who].filter((t) => t.transaction.tender.tenderId.myUidId === tenderId)
  }

  private async party (): Promise<void> {
    const res = await fetch(`${this.options.target.replace(/\/$/, '')}/lma/party`, { signal: AbortSignal.timeout(10_000) })
    const body = await res.json().catch(() => undefined) as any
    this.expect(res.status === 200 && typeof body?.myUidId === 'number', `GET /lma/party: HTTP ${res.status} ${JSON.stringify(body)}`)
  }

  private async crossing (): Promise<void> {
    const buy = await this.tender(0, 'BUY', 120, 5, 0)
    const sell = await this.tender(1, 'SELL', 110, 5, 0)
    if (!this.expect(await this.waitFor(() => this.fills(0, buy).length > 0 && this.fills(1, sell).length > 0), 'each TEUA is told of its transaction')) return
    for (const [who, id, side, other] of [[0, buy, 'BUY', 1], [1, sell, 'SELL', 0]] as const) {
      const [t] = this.fills(who, id)
      this.expect(t!.transaction.tender.side === side && t!.transaction.tender.tenderDetail.price === 120 && t!.transaction.tender.tenderDetail.quantity === 5,
        `${side}: ${t!.transaction.tender.tenderDetail.quantity}@${t!.transaction.tender.tenderDetail.price}, not 5@120 (the resting price)`)
      this.expect(t!.counterPartyId.myUidId === this.parties[other], `${side}: counterPartyId ${t!.counterPartyId.myUidId}, not ${this.parties[other]}`)
    }
    this.open.delete(buy)
    this.open.delete(sell)
  }

  private async partialFill (): Promise<void> {
    const sell = await this.tender(0, 'SELL', 110, 5, 1)
    const first = await this.tender(1, 'BUY', 120, 3, 1)
    this.expect(await this.waitFor(() => this.fills(0, sell).length === 1), 'the first fill')
    this.expect(this.fills(1, first)[0]?.transaction.tender.tenderDetail.quantity === 3, 'the first fill is 3')
    const second = await this.tender(1, 'BUY', 115, 2, 1)
    this.expect(await this.waitFor(() => this.fills(0, sell).length === 2), 'the second fill completes the tender')
    this.expect(this.fills(1, second)[0]?.transaction.tender.tenderDetail.price === 110, 'at the resting sell\'s price 110')
    for (const id of [sell, first, second]) this.open.delete(id)
  }

  private async cancel (): Promise<void> {
    const sell = await this.tender(0, 'SELL', 140, 5, 2)
    const canceled = await this.cancel1(0, sell)
    this.expect(canceled.status === 200 && canceled.body?.eiCanceledResponse?.success === true, `cancel: HTTP ${canceled.status}, ${JSON.stringify(canceled.body?.eiCanceledResponse)}`)
    const buy = await this.tender(1, 'BUY', 150, 5, 2)
    this.expect(!(await this.waitFor(() => this.fills(1, buy).length > 0, 300)), 'a canceled tender traded')
  }

  private async isolated (): Promise<void> {
    const sell = await this.tender(0, 'SELL', 100, 5, 3)
    const buy = await this.tender(1, 'BUY', 200, 5, 4)
    this.expect(!(await this.waitFor(() => this.fills(0, sell).length + this.fills(1, buy).length > 0, 300)), 'tenders of different intervals traded')
  }

  private async stream (): Promise<void> {
    const body: any = this.tenderBody(0, 'SELL', 0, 0, 5)
    const minutes = this.options.intervalMinutes ?? 60
    body.tender.tenderDetail = {
      type: 'stream',
      stream: { streamIntervalDuration: this.interval(5), streamIntervals: [{ streamIntervalPrice: 100, streamIntervalQuantity: 1, streamUid: 0 }, { streamIntervalPrice: 100, streamIntervalQuantity: 2, streamUid: 1 }], streamStart: this.interval(5).dtStart },
      streamStart: null, intervalDurationInMinutes: minutes
    }
    const answer = await this.post('/lma/createStreamTender', body)
    const created = (answer.body?.createdTenders ?? []) as number[]
    this.expect(answer.status === 200 && created.length === 2, `createStreamTender: HTTP ${answer.status}, createdTenders ${JSON.stringify(created)}`)
    for (const id of created) this.open.set(id, 0)
    const before = this.received[0].length
    await this.tender(1, 'BUY', 100, 1, 5)
    await this.tender(1, 'BUY', 100, 2, 6)
    this.expect(await this.waitFor(() => this.received[0].length >= before + 2), 'each interval of the stream trades')
    for (const id of created) this.open.delete(id)
    for (const [id, who] of [...this.open]) if (who === 1 && this.fills(1, id).length > 0) this.open.delete(id)
  }

  private async invalid (): Promise<void> {
    const refused = (status: number, body: any) => status >= 400 || (body?.response?.responseCode !== undefined && body.response.responseCode !== 200)
    const malformed = await this.post('/lma/createTender', '{"partyId": ')
    this.expect(refused(malformed.status, malformed.body), `malformed JSON: HTTP ${malformed.status}`)
    const zero = await this.post('/lma/createTender', this.tenderBody(0, 'BUY', 120, 0, 7))
    this.expect(refused(zero.status, zero.body), `quantity 0: HTTP ${zero.status}`)
    const stranger: any = this.tenderBody(0, 'BUY', 120, 1, 7)
    stranger.partyId = { myUidId: -424242 }
    const unknown = await this.post('/lma/createTender', stranger)
    this.expect(refused(unknown.status, unknown.body), `an unknown party: HTTP ${unknown.status}`)
  }

  private async idempotent (): Promise<void> {
    const ids = { requestId: this.next++, tenderId: this.next++ }
    const body = this.tenderBody(0, 'SELL', 300, 1, 8, ids)
    const first = await this.post('/lma/createTender', body)
    const again = await this.post('/lma/createTender', body)
    this.open.set(ids.tenderId, 0)
    this.expect(first.status === 200 && again.status === 200, `HTTP ${first.status}, then ${again.status}`)
    const buy = await this.tender(1, 'BUY', 300, 2, 8)
    await this.waitFor(() => this.fills(1, buy).length > 0)
    this.expect(this.fills(1, buy).reduce((q, t) => q + t.transaction.tender.tenderDetail.quantity, 0) === 1, 'the resent tender was entered twice')
    this.open.delete(ids.tenderId)
  }

  private async cleanup (): Promise<void> {
    for (const [id, who] of [...this.open]) {
      const answer = await this.cancel1(who as 0 | 1, id)
      this.expect(answer.status === 200 || answer.status === 409, `cancelling tender ${id}: HTTP ${answer.status}`)
    }
  }
}
