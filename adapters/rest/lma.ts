/**
 * The LMA's REST face: one endpoint per CTS payload it takes, POST /lma/{payload}. Bodies are CTS
 * payloads in our JSON form (application/json) or CTS XML (application/xml); the answer comes in
 * the format the Accept header asks for, or the request's. Every answer is the CTS answer payload
 * with an EiResponse whose responseCode agrees with the HTTP status.
 *
 * Parties authenticate with the bearer token they got at registration
 * (eiCreatePartyRegistration answers it in the x-party-token header). Where the operator enrols
 * parties by secret, registration sends the party's enrolment secret in the enrolment-secret header.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { fromXml, parsePayload, toXml } from '../../schemas/codec.js'
import { payloadJsonSchema } from '../../schemas/json-schema.js'
import type { PayloadName } from '../../schemas/registry.js'
import type { Answer, LocalMarketAgent } from '../../market/lma/lma.js'
import type { PartyRecord } from '../../market/lma/ledger.js'
import { MarketRefusal } from '../../market/lma/responses.js'
import { restPlumbing, xmlRequestID } from './plumbing.js'
import type { RestLimits } from './limits.js'

export const TOKEN_HEADER = 'x-party-token'
/** Where a party sends its enrolment secret at registration, when the operator enrols by secret. */
export const ENROLMENT_HEADER = 'enrolment-secret'

type Handler = (lma: LocalMarketAgent, party: PartyRecord | undefined, body: any) => Answer | Promise<Answer>

/** The request payloads the LMA takes, with what it does with each. */
const ENDPOINTS: Record<string, { answer: PayloadName, summary: string, handle: Handler, open?: true }> = {
  eiRequestPartyRegistration: { answer: 'eiReplyPartyRegistration', summary: 'Read your registration', handle: (l, p, b) => l.requestPartyRegistration(p!, b) },
  eiCancelPartyRegistration: { answer: 'eiCanceledPartyRegistration', summary: 'Cancel your registration (and your open tenders)', handle: (l, p, b) => l.cancelPartyRegistration(p!, b) },
  eiCreateTender: { answer: 'eiCreatedTender', summary: 'Create tenders (one interval, or a stream of intervals)', handle: (l, p, b) => l.createTender(p!, b) },
  eiCreateStreamTender: { answer: 'eiCreatedStreamTender', summary: 'Create stream tenders; the answer maps each interval to its tender (extension)', handle: (l, p, b) => l.createStreamTender(p!, b) },
  eiCancelTender: { answer: 'eiCanceledTender', summary: 'Cancel what remains of tenders', handle: (l, p, b) => l.cancelTender(p!, b) },
  eiRequestTender: { answer: 'eiReplyTender', summary: 'Your outstanding tenders, with what remains of each', handle: (l, p, b) => l.requestTender(p!, b) },
  eiRequestTransaction: { answer: 'eiReplyTransaction', summary: 'Your transactions', handle: (l, p, b) => l.requestTransaction(p!, b) },
  eiRequestQuote: { answer: 'eiReplyQuote', summary: 'Best bid and ask of every open interval', handle: (l, p, b) => l.requestQuote(p!, b) },
  eiRequestPosition: { answer: 'eiReplyPosition', summary: 'Your net position per interval (extension)', handle: (l, p, b) => l.requestPosition(p!, b) },
  eiRequestEiMarketContext: { answer: 'eiReplyEiMarketContext', summary: 'Whether the market contexts are known (no token needed)', handle: (l, _p, b) => l.requestMarketContext(b), open: true },
  eiRequestMarketRules: { answer: 'eiReplyMarketRules', summary: "The market's rules: currency, scales, unit, intervals, gate closure (extension; no token needed)", handle: (l, _p, b) => l.requestMarketRules(b), open: true }
}

/** Our JSON form or CTS XML -> the checked payload. */
function read (request: FastifyRequest, name: PayloadName): unknown {
  if (request.xmlBody) return fromXml(String(request.body), name).payload
  return parsePayload(name, request.body)
}

export function send (request: FastifyRequest, reply: FastifyReply, answer: Answer, headers: Record<string, string> = {}): FastifyReply {
  reply.code(answer.status).headers(headers)
  if (request.wantsXml) return reply.type('application/xml').send(toXml(answer.name, answer.payload as never))
  return reply.type('application/json').send(answer.payload)
}

/** What a refusal can echo of a body that may not have been read: its requestID (and, in JSON, the ids refusalAnswer looks for). */
function rawBody (request: FastifyRequest): unknown {
  if (!request.xmlBody) return request.body
  return { requestID: xmlRequestID(request.body) }
}

/** The request payload a route takes, from its URL (/lma/{payload}). */
function requestNameOf (request: FastifyRequest): string {
  return (request.routeOptions.url ?? request.url).split('/').pop()!
}

export interface LmaRoutesOptions {
  lma: LocalMarketAgent
  limits: RestLimits
}

export const lmaRoutes: FastifyPluginAsync<LmaRoutesOptions> = async (app, { lma, limits }) => {
  await app.register(restPlumbing, {
    limits,
    authenticate: (token) => lma.authenticate(token),
    // Every refusal is the CTS answer payload of the request, with the matching code.
    refuse: (request, reply, refusal) => send(request, reply, lma.refusalAnswer(requestNameOf(request), rawBody(request), refusal))
  })
  // Our codecs check every body (zod, XML), so fastify's own validation and serialization are off
  // here; the JSON Schemas below are for the OpenAPI docs.
  app.setValidatorCompiler(() => () => true)
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))

  const docs = (name: PayloadName, answer: PayloadName, summary: string, auth: boolean) => ({
    summary,
    tags: ['lma'],
    ...(auth && { security: [{ bearer: [] }] }),
    body: payloadJsonSchema(name, 'openapi-3.0'),
    response: { 200: { description: `${answer}`, ...payloadJsonSchema(answer, 'openapi-3.0') } }
  })

  // Registrations in progress, so that concurrent ones cannot pass the cap together.
  let registering = 0
  app.post('/lma/eiCreatePartyRegistration', {
    config: { registration: true },
    schema: docs('eiCreatePartyRegistration', 'eiCreatedPartyRegistration',
      'Register a TEUA or EMA; the bearer token for every other request comes back in the x-party-token header', false)
  }, async (request, reply) => {
    const body = read(request, 'eiCreatePartyRegistration') as Parameters<LocalMarketAgent['registerParty']>[0]
    if (lma.activeParties + registering >= limits.activeParties) throw new MarketRefusal('rejected', `this market has its maximum of ${limits.activeParties} active registrations`)
    registering++
    try {
      const secret = request.headers[ENROLMENT_HEADER]
      const { token, ...answer } = await lma.registerParty(body, typeof secret === 'string' ? { enrolmentSecret: secret } : {})
      request.log.info({ partyID: answer.payload.registreePartyID }, 'party registered')
      return send(request, reply, answer, { [TOKEN_HEADER]: token })
    } finally {
      registering--
    }
  })

  for (const [name, endpoint] of Object.entries(ENDPOINTS)) {
    app.post(`/lma/${name}`, { schema: docs(name as PayloadName, endpoint.answer, endpoint.summary, endpoint.open !== true) }, async (request, reply) => {
      const party = request.party
      if (party === undefined && endpoint.open !== true) throw new MarketRefusal('unauthorized', request.bearer === undefined ? 'send Authorization: Bearer <token from registration>' : 'unknown or canceled token')
      const body = read(request, name as PayloadName)
      return send(request, reply, await endpoint.handle(lma, party, body))
    })
  }
}
