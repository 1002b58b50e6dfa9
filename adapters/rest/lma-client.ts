/**
 * HTTP clients of the CTS REST bindings: a TEUA's (or EMA's) client of the LMA, and the LMA's
 * delivery of eiCreateTransaction to each party's callback URI. Answers are checked with our
 * schemas before anyone uses them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { parsePayload } from '../../schemas/codec.js'
import type { PayloadName, Payload } from '../../schemas/registry.js'
import type { MarketRules } from '../../schemas/extensions.js'
import type { LmaClient, LmaReply } from '../../market/teua/teua.js'
import type { TransactionDelivery } from '../../market/lma/lma.js'
import { ENROLMENT_HEADER, TOKEN_HEADER } from './lma.js'
import { CallbackSender } from './callback-sender.js'

export interface Registration {
  partyID: string
  callbackURI?: string
  partyName?: string
  partyRole?: string
  marketContext?: string[]
  /** Where the LMA enrols parties by secret: this party's, sent in the enrolment-secret header. */
  enrolmentSecret?: string
}

/** Sees every answer body a client receives (tests check each against the CTS schemas). */
export type AnswerInspector = (name: PayloadName, body: unknown) => void

export class HttpLmaClient implements LmaClient {
  /** Set by tests: every answer passes through it. */
  static inspect: AnswerInspector | undefined

  constructor (readonly baseUrl: string, readonly token?: string, private readonly timeoutMs = 10_000) {}

  /** Registers a party (eiCreatePartyRegistration) and returns a client that acts as it. */
  static async register (baseUrl: string, registration: Registration): Promise<{ client: HttpLmaClient, answer: Payload<'eiCreatedPartyRegistration'> }> {
    const anonymous = new HttpLmaClient(baseUrl)
    const { partyID, enrolmentSecret, ...info } = registration
    const res = await anonymous.post('eiCreatePartyRegistration', { requestID: `reg-${partyID}-${Date.now()}`, registreePartyID: partyID, eiRegistrationInfo: info },
      enrolmentSecret === undefined ? {} : { [ENROLMENT_HEADER]: enrolmentSecret })
    const body = await res.json()
    HttpLmaClient.inspect?.('eiCreatedPartyRegistration', body)
    const answer = parsePayload('eiCreatedPartyRegistration', body)
    const token = res.headers.get(TOKEN_HEADER)
    if (res.status !== 200 || token === null) throw new Error(`registration of ${partyID} refused: ${answer.eiResponse.responseCode} ${answer.eiResponse.responseDescription ?? ''}`)
    return { client: new HttpLmaClient(baseUrl, token), answer }
  }

  /**
   * A party that outlives its process: registered once, its token kept in `tokenFile` (mode 0600),
   * so a restart acts as the same party rather than being refused as already registered.
   */
  static async registerOnce (baseUrl: string, registration: Registration, tokenFile: string): Promise<{ client: HttpLmaClient, lmaPartyID: string }> {
    if (existsSync(tokenFile)) {
      const saved = JSON.parse(readFileSync(tokenFile, 'utf8')) as { token: string, lmaPartyID: string, partyID: string }
      if (saved.partyID !== registration.partyID) throw new Error(`${tokenFile} holds the token of ${saved.partyID}, not ${registration.partyID}`)
      return { client: new HttpLmaClient(baseUrl, saved.token), lmaPartyID: saved.lmaPartyID }
    }
    const { client, answer } = await HttpLmaClient.register(baseUrl, registration)
    mkdirSync(dirname(tokenFile), { recursive: true })
    writeFileSync(tokenFile, JSON.stringify({ partyID: registration.partyID, lmaPartyID: answer.registrarPartyID ?? 'lma', token: client.token }), { mode: 0o600 })
    return { client, lmaPartyID: answer.registrarPartyID ?? 'lma' }
  }

  private async post (request: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.baseUrl}/lma/${request}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(this.token !== undefined && { authorization: `Bearer ${this.token}` }), ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs)
    })
  }

  async call<N extends PayloadName> (request: PayloadName, answer: N, body: unknown): Promise<LmaReply<N>> {
    const res = await this.post(request, body)
    const json = await res.json()
    HttpLmaClient.inspect?.(answer, json)
    return { status: res.status, payload: parsePayload(answer, json) }
  }
}

/** A market's rules, asked of the LMA (eiRequestMarketRules): the one named, or its first. */
export async function marketRulesAt (lmaUrl: string, marketContext?: string): Promise<MarketRules> {
  const answer = await fetch(`${lmaUrl}/lma/eiRequestMarketRules`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requestID: `rules-${Date.now()}` }) })
  if (answer.status !== 200) throw new Error(`the LMA at ${lmaUrl} answered ${answer.status} to eiRequestMarketRules`)
  const rules = parsePayload('eiReplyMarketRules', await answer.json()).marketRules ?? []
  const market = marketContext === undefined ? rules[0] : rules.find((m) => m.marketContext === marketContext)
  if (market === undefined) throw new Error(`no market ${marketContext ?? ''} at ${lmaUrl}`)
  return market
}

/**
 * The LMA tells a party of a transaction: POST {callbackURI}/eiCreateTransaction; acknowledged on a
 * 200 eiCreatedTransaction. Sent through `sender`, under its network policy (no redirects, a
 * deadline, a size cap).
 */
export function httpTransactionDelivery (sender = new CallbackSender()): TransactionDelivery {
  return async (party, message) => {
    const res = await sender.postJson(`${party.callbackURI!.replace(/\/$/, '')}/eiCreateTransaction`, message)
    if (res.status !== 200) return false
    const answer = parsePayload('eiCreatedTransaction', res.json)
    return answer.eiResponse.responseCode.startsWith('2') && answer.eiResponse.refID === message.requestID
  }
}
