/**
 * The REST plumbing every face of the gateway shares (the LMA's CTS face, the eml-cts binding, the
 * TEUAs, the LME, the document service), as one named plugin each face registers in its own scope:
 *   - bodies: JSON and XML only (anything else 415), UTF-8 only (another charset 415, invalid bytes
 *     400), at most limits.bodyBytes (413), XML no deeper than limits.xmlDepth (400, before parsing);
 *   - token auth: `request.party` is the party of the bearer token, if the face has parties;
 *   - negotiation: `request.xmlBody` and `request.wantsXml` (Accept, else the body's format);
 *   - rate limits (@fastify/rate-limit): per party for authenticated requests, per address for the
 *     rest, and registrations (routes with `config: { registration: true }`) per address;
 *   - refusals: every error becomes the face's own refusal document with the right status; a 5xx
 *     is logged in full and answered without internals.
 * Each face says how its refusals look (`refuse`); a refusal's status is its MarketRefusal's code.
 */
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { CtsValidationError } from '../../schemas/codec.js'
import { MarketRefusal, type Refusal } from '../../market/lma/responses.js'
import type { PartyRecord } from '../../market/lma/ledger.js'
import { bodyText, checkXml } from './body-text.js'
import type { RestLimits } from './limits.js'

export interface RestPlumbingOptions {
  limits: RestLimits
  /** The active party a bearer token belongs to; unset: the face has no parties. */
  authenticate?: (token: string) => PartyRecord | undefined
  /** Rate limit by party and address (default true); off for a face with one trusted client (the LME). */
  rateLimited?: boolean
  /** Sends the face's refusal document; the status is the refusal's responseCode. */
  refuse: (request: FastifyRequest, reply: FastifyReply, refusal: MarketRefusal) => FastifyReply
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The active party of the bearer token; undefined without a token or with an unknown one. */
    party: PartyRecord | undefined
    /** The bearer token sent, if any. */
    bearer: string | undefined
    /** The body is XML (else JSON). */
    xmlBody: boolean
    /** The answer should be XML: Accept asks for it, or (without a JSON Accept) the body is XML. */
    wantsXml: boolean
  }
  interface FastifyContextConfig {
    /** Rate limited as a registration: per address, limits.addressRegistrations per registrationWindowMs. */
    registration?: true
  }
}

const XML_TYPES = ['application/xml', 'text/xml']
const STATUS_REFUSALS: Record<number, Refusal> = { 400: 'invalid', 401: 'unauthorized', 403: 'forbidden', 404: 'unknown', 409: 'conflict', 413: 'tooLarge', 415: 'unsupported', 422: 'rejected', 429: 'tooMany', 503: 'unavailable' }

/** Any error as a refusal: ours as they are, schema issues with their paths, fastify's by status, the rest as 500 without detail. */
export function refusalOf (error: unknown, limits: RestLimits): MarketRefusal {
  if (error instanceof MarketRefusal) return error
  if (error instanceof CtsValidationError) return new MarketRefusal('invalid', error.message)
  const status = (error as { statusCode?: unknown }).statusCode
  if (typeof status !== 'number' || status >= 500 || status < 400) return new MarketRefusal('internal', 'internal error')
  if (status === 413) return new MarketRefusal('tooLarge', `the body is larger than ${limits.bodyBytes} bytes`)
  if (status === 415) return new MarketRefusal('unsupported', 'send application/json or application/xml, in UTF-8')
  return new MarketRefusal(STATUS_REFUSALS[status] ?? 'invalid', (error as Error).message)
}

/** A body a route's own zod schema refused: 400 naming each issue's path. */
export function invalidInput (error: { issues: ReadonlyArray<{ path: readonly PropertyKey[], message: string }> }): MarketRefusal {
  return new MarketRefusal('invalid', error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '))
}

/** The requestID of an XML body, read without parsing it (for a refusal that echoes it); undefined if none. */
export function xmlRequestID (body: unknown): string | undefined {
  return /<(?:\w+:)?requestID>([^<]*)</.exec(String(body ?? ''))?.[1]
}

/**
 * A description every answer can carry: our own messages may quote the request (a parser's excerpt
 * cut inside a surrogate pair, a control character), and a CTS answer must hold storable text only.
 */
export function storableText (text: string): string {
  return text.replace(/[\u0000-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
}

function bearerOf (request: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1]
}

function wantsXmlOf (request: FastifyRequest, xmlBody: boolean): boolean {
  const accept = request.headers.accept ?? ''
  if (/application\/(.+\+)?xml|text\/xml/.test(accept)) return true
  if (/application\/json/.test(accept)) return false
  return xmlBody
}

async function restPlumbingPlugin (app: FastifyInstance, options: RestPlumbingOptions): Promise<void> {
  const { limits, authenticate, refuse, rateLimited = true } = options

  app.decorateRequest('party', undefined)
  app.decorateRequest('bearer', undefined)
  app.decorateRequest('xmlBody', false)
  app.decorateRequest('wantsXml', false)
  app.addHook('onRequest', async (request) => {
    request.xmlBody = /xml/.test(request.headers['content-type'] ?? '')
    request.wantsXml = wantsXmlOf(request, request.xmlBody)
    request.bearer = bearerOf(request)
    if (request.bearer !== undefined && authenticate !== undefined) request.party = authenticate(request.bearer)
  })

  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const text = bodyText(request.headers['content-type'], body as Buffer)
    try {
      done(null, JSON.parse(text))
    } catch {
      done(new MarketRefusal('invalid', 'malformed JSON'))
    }
  })
  app.addContentTypeParser(XML_TYPES, { parseAs: 'buffer' }, (request, body, done) => {
    const text = bodyText(request.headers['content-type'], body as Buffer)
    checkXml(text, limits.xmlDepth)
    done(null, text)
  })

  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= limits.bodyBytes
    if (route.config?.registration === true) {
      route.config = { ...route.config, rateLimit: { max: limits.addressRegistrations, timeWindow: limits.registrationWindowMs, keyGenerator: (r: FastifyRequest) => `registration ${r.ip}` } } as typeof route.config
    }
  })
  if (rateLimited) {
    await app.register(rateLimit, {
      global: true,
      // One counter per party and per address: room for every party the market may hold, and as many addresses.
      cache: Math.max(5000, 2 * limits.activeParties),
      timeWindow: limits.rateWindowMs,
      keyGenerator: (request) => request.party !== undefined ? `party ${request.party.partyID}` : `address ${request.ip}`,
      max: (request) => request.party !== undefined ? limits.partyRequests : limits.addressRequests,
      errorResponseBuilder: (_request, context) => new MarketRefusal('tooMany', `rate limited: more than ${context.max} requests in the window; retry in ${context.after}`)
    })
  }

  app.setErrorHandler((error, request, reply) => {
    const refusal = refusalOf(error, limits)
    if (refusal.refusal === 'internal') request.log.error({ err: error }, 'request failed')
    else request.log.info({ refusal: refusal.refusal, description: refusal.message }, 'request refused')
    try {
      return refuse(request, reply, new MarketRefusal(refusal.refusal, storableText(refusal.message)))
    } catch (failure) {
      // The refusal document itself could not be written (an id of the request it echoes, say):
      // the same status, echoing nothing of the request.
      request.log.error({ err: failure }, 'refusal could not be written')
      request.body = undefined
      return refuse(request, reply, new MarketRefusal(refusal.refusal, 'refused'))
    }
  })
}

export const restPlumbing = fp(restPlumbingPlugin, { name: 'te-gateway-rest-plumbing', fastify: '5.x' })
