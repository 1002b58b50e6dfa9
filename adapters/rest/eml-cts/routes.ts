/**
 * The eml-cts binding: a second REST face of the same LMA, on eml-cts's own URIs and in its JSON
 * dialect (dialect.ts), so that eml-cts TEUAs trade on our market.
 *   GET  /lma/party                          the LMA's ActorIdType
 *   POST /lma/createTender                   EiCreateTenderPayload -> EiCreatedTenderPayload
 *   POST /lma/createStreamTender             EiCreateStreamTenderPayload -> EiCreatedStreamTenderPayload
 *   POST /lma/cancelTender                   EiCancelTenderPayload -> EICanceledTenderPayload
 * and transactions go to each eml-cts TEUA at {teuaURI}/createTransaction (emlCtsDelivery).
 *
 * eml-cts has no registration and no authentication: its parties are configured (an allowlist of
 * party numbers, each with its TEUA's URI), registered with the LMA when the binding starts, and
 * trusted by number. Serve it only on a network where that is acceptable.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { z } from 'zod'
import { parsePayload } from '../../../schemas/codec.js'
import type { Payload } from '../../../schemas/registry.js'
import type { Answer, LocalMarketAgent, TransactionDelivery } from '../../../market/lma/lma.js'
import type { PartyRecord } from '../../../market/lma/ledger.js'
import { MarketRefusal } from '../../../market/lma/responses.js'
import { CallbackSender } from '../callback-sender.js'
import { invalidInput, restPlumbing } from '../plumbing.js'
import { DEFAULT_LIMITS, type RestLimits } from '../limits.js'
import {
  acknowledged, EmlCancelTender, EmlCreateTender, PARTY_PREFIX, partyIDOf, PRICE_DIGITS, toCtsCancelTender, toCtsCreateTender,
  toEmlCanceledTender, toEmlCreatedTender, toEmlCreateTransactions, uidOf, type MarketOfBinding
} from './dialect.js'

export const EmlCtsConfig = z.strictObject({
  /** The market eml-cts tenders go to (default: the LMA's only market). */
  marketContext: z.string().optional(),
  parties: z.array(z.strictObject({ partyId: z.number().int(), teuaURI: z.url() })).min(1)
})
export type EmlCtsConfig = z.infer<typeof EmlCtsConfig>

export interface EmlCtsOptions {
  lma: LocalMarketAgent
  config: EmlCtsConfig
  /** Body size, XML depth, rates (default: DEFAULT_LIMITS). */
  limits?: RestLimits
}

/** The market of the binding, checked: eml-cts numbers must convert exactly (prices in thousandths, whole quantities). */
export function bindingMarket (lma: LocalMarketAgent, config: EmlCtsConfig): MarketOfBinding {
  const contexts = [...lma.markets.keys()]
  const marketContext = config.marketContext ?? (contexts.length === 1 ? contexts[0]! : undefined)
  if (marketContext === undefined) throw new Error(`eml-cts binding: name its marketContext (the LMA has ${contexts.length} markets)`)
  const market = lma.markets.get(marketContext)
  if (market === undefined) throw new Error(`eml-cts binding: unknown market ${marketContext}`)
  const { priceScale, quantityScale, currency, energyReal } = market.rules
  if (priceScale > PRICE_DIGITS) throw new Error(`eml-cts binding: eml-cts prices are thousandths; market ${marketContext} has priceScale ${priceScale}`)
  if (quantityScale !== 0) throw new Error(`eml-cts binding: eml-cts quantities are whole; market ${marketContext} has quantityScale ${quantityScale}`)
  return { marketContext, currency, energyReal: energyReal as MarketOfBinding['energyReal'] }
}

export const emlCtsRoutes: FastifyPluginAsync<EmlCtsOptions> = async (app, { lma, config, limits = DEFAULT_LIMITS }) => {
  const market = bindingMarket(lma, config)
  const allowed = new Set(config.parties.map((p) => p.partyId))
  for (const p of config.parties) {
    // Registered once; a canceled one stays retired (and refused below).
    if (lma.party(partyIDOf(p.partyId)) !== undefined) continue
    await lma.registerParty({
      requestID: `eml-cts-registration-${p.partyId}-${Date.now()}`, registreePartyID: partyIDOf(p.partyId),
      eiRegistrationInfo: { partyName: `eml-cts TEUA ${p.partyId}`, partyRole: 'teua', callbackURI: p.teuaURI, marketContext: [market.marketContext] }
    }, { byOperator: true })
  }

  // Parties are trusted by number (no tokens): rate limits go by address. Every refusal is an answer in the dialect.
  await app.register(restPlumbing, { limits, refuse: (request, reply, refusal) => refuse(reply, Number(refusal.responseCode), refusal.message, request.body) })
  app.setValidatorCompiler(() => () => true)
  const tags = ['eml-cts']

  app.get('/lma/party', { schema: { summary: 'The LMA\'s party id (eml-cts ActorIdType)', tags } }, async () => ({ myUidId: uidOf(lma.partyID) }))

  /** Runs one eml-cts request: parse, check the party, translate, run, translate back. */
  const handle = async <M extends { partyId: { myUidId: number }, requestId: { myUidId: number } }> (
    reply: FastifyReply, body: unknown, schema: z.ZodType<M>, run: (party: PartyRecord, message: M) => Promise<Answer>, back: (message: M, answer: Answer) => unknown
  ) => {
    const parsed = schema.safeParse(body)
    if (!parsed.success) throw invalidInput(parsed.error)
    const message = parsed.data
    const party = allowed.has(message.partyId.myUidId) ? lma.party(partyIDOf(message.partyId.myUidId)) : undefined
    if (party === undefined || party.canceledAt !== undefined) throw new MarketRefusal('forbidden', `party ${message.partyId.myUidId} is not an eml-cts party of this market`)
    const answer = await run(party, message)
    return reply.code(answer.status).send(back(message, answer))
  }

  const createTender = async (request: { body: unknown }, reply: FastifyReply) => handle(reply, request.body, EmlCreateTender,
    (party, m) => lma.createTender(party, parsePayload('eiCreateTender', toCtsCreateTender(m, market, lma.partyID))),
    (m, answer) => toEmlCreatedTender(m, answer.payload as Payload<'eiCreatedTender'>))
  app.post('/lma/createTender', { schema: { summary: 'Create a tender (eml-cts EiCreateTenderPayload)', tags } }, createTender)
  app.post('/lma/createStreamTender', { schema: { summary: 'Create a stream tender (eml-cts EiCreateStreamTenderPayload)', tags } }, createTender)
  app.post('/lma/cancelTender', { schema: { summary: 'Cancel a tender (eml-cts EiCancelTenderPayload)', tags } }, async (request, reply) => handle(reply, request.body, EmlCancelTender,
    (party, m) => lma.cancelTender(party, parsePayload('eiCancelTender', toCtsCancelTender(m, lma.partyID))),
    (m, answer) => toEmlCanceledTender(m, answer.payload as Payload<'eiCanceledTender'>)))
}

/** An eml-cts answer to a refused request: its response with the code, the request id in inResponseTo. */
function refuse (reply: FastifyReply, status: number, description: string, body: unknown) {
  const requestId = (body as { requestId?: unknown } | null)?.requestId ?? null
  return reply.code(status).send({
    response: { responseCode: status, responseDescription: description, refId: { myUidId: Date.now() }, createdDateTime: new Date().toISOString() },
    inResponseTo: requestId
  })
}

/**
 * Transactions to eml-cts TEUAs: each as an EiCreateTransactionPayload POSTed to
 * {teuaURI}/createTransaction, acknowledged by a 2xx EiCreatedTransactionPayload, through the
 * same guarded sender as CTS delivery (adapters/rest/callback-sender.ts). Parties of other
 * bindings go to `other`.
 */
export function emlCtsDelivery (other: TransactionDelivery, sender = new CallbackSender()): TransactionDelivery {
  return async (party, message) => {
    if (!party.partyID.startsWith(PARTY_PREFIX)) return other(party, message)
    for (const body of toEmlCreateTransactions(message)) {
      const res = await sender.postJson(`${party.callbackURI!.replace(/\/$/, '')}/createTransaction`, body)
      if (res.status < 200 || res.status > 299 || !acknowledged(res.json ?? null)) return false
    }
    return true
  }
}
