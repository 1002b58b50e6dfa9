/**
 * The TEUAs' REST faces, one path per participant:
 *   POST /teua/{partyID}/eiCreateTransaction   the LMA tells of a transaction (CTS, JSON or XML)
 *   POST /teua/{partyID}/orders                 its SC asks it to buy or sell (side, price, quantity, dtStart)
 *   POST /teua/{partyID}/orders/{tenderID}/cancel
 *   GET  /teua/{partyID}                        its record: tenders, transactions
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { fromXml, parsePayload, toXml } from '../../schemas/codec.js'
import type { Payload } from '../../schemas/registry.js'
import { MarketRefusal, type Refusal } from '../../market/lma/responses.js'
import { invalidInput, restPlumbing, xmlRequestID } from './plumbing.js'
import type { RestLimits } from './limits.js'
import { Decimal, DateTime, Quantity } from '../../schemas/simple-types.js'
import { TeuaError, type TransactiveEnergyUserAgent } from '../../market/teua/teua.js'

const Order = z.strictObject({ side: z.enum(['buy', 'sell']), price: Decimal, quantity: Quantity, dtStart: DateTime, integralOnly: z.boolean().optional() })

export interface TeuaRoutesOptions {
  teuas: Map<string, TransactiveEnergyUserAgent>
  limits: RestLimits
}

/** The eiCreatedTransaction of a refused eiCreateTransaction: the request's ids as far as they could be read. */
function createdTransactionRefusal (request: FastifyRequest, refusal: MarketRefusal): Payload<'eiCreatedTransaction'> {
  const body = (request.xmlBody ? {} : request.body ?? {}) as Record<string, unknown>
  const text = (value: unknown, fallback: string) => typeof value === 'string' && value !== '' ? value : fallback
  const xmlID = request.xmlBody ? xmlRequestID(request.body) : undefined
  return {
    counterPartyID: text(body.counterPartyID, 'unknown'), partyID: (request.params as { partyID?: string }).partyID ?? 'unknown',
    eiResponse: { responseCode: refusal.responseCode, responseDescription: refusal.message, refID: text(xmlID ?? body.requestID, 'unknown'), createdDateTime: new Date().toISOString() }
  }
}

export const teuaRoutes: FastifyPluginAsync<TeuaRoutesOptions> = async (app, { teuas, limits }) => {
  await app.register(restPlumbing, {
    // Its callers are the LMA (callbacks, at the market's pace: a rate limit would only delay
    // transactions) and its own SC: no rate limits.
    limits, rateLimited: false,
    // The LMA's callback is answered in CTS (eiCreatedTransaction); the SC-facing routes with {error, responseCode}.
    refuse: (request, reply, refusal) => {
      reply.code(Number(refusal.responseCode))
      if (!request.url.endsWith('/eiCreateTransaction')) return reply.send({ error: refusal.message, responseCode: refusal.responseCode })
      const payload = createdTransactionRefusal(request, refusal)
      return request.wantsXml ? reply.type('application/xml').send(toXml('eiCreatedTransaction', payload)) : reply.send(payload)
    }
  })
  app.setValidatorCompiler(() => () => true)
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  const params = { type: 'object', properties: { partyID: { type: 'string' } }, required: ['partyID'] }
  const teuaOf = (partyID: string) => teuas.get(partyID) ?? refuse('unknown', `no TEUA ${partyID} here`)

  app.post<{ Params: { partyID: string } }>('/teua/:partyID/eiCreateTransaction', {
    schema: { summary: 'The LMA tells this TEUA of a transaction; the answer is eiCreatedTransaction', tags: ['teua'], params }
  }, async (request, reply) => {
    const teua = teuaOf(request.params.partyID)
    const body = request.xmlBody ? fromXml(String(request.body), 'eiCreateTransaction').payload : parsePayload('eiCreateTransaction', request.body)
    const answer = teua.receiveTransaction(body)
    request.log.info({ partyID: teua.partyID, transactions: body.eiTransaction.map((t) => t.transactionID) }, 'transaction received')
    reply.code(answer.status)
    return request.wantsXml ? reply.type('application/xml').send(toXml('eiCreatedTransaction', answer.payload)) : answer.payload
  })

  app.post<{ Params: { partyID: string } }>('/teua/:partyID/orders', {
    schema: { summary: 'Its SC asks the TEUA to buy or sell for one interval', tags: ['teua'], params }
  }, async (request, reply) => {
    const teua = teuaOf(request.params.partyID)
    const order = Order.safeParse(request.body)
    if (!order.success) throw invalidInput(order.error)
    const { integralOnly, ...rest } = order.data
    return await answered(reply, () => teua.tender(integralOnly === undefined ? rest : { ...rest, integralOnly }))
  })

  app.post<{ Params: { partyID: string, tenderID: string } }>('/teua/:partyID/orders/:tenderID/cancel', {
    schema: { summary: 'Its SC cancels what remains of a tender', tags: ['teua'] }
  }, async (request, reply) => {
    const teua = teuaOf(request.params.partyID)
    return await answered(reply, async () => ({ canceled: await teua.cancel(request.params.tenderID) }))
  })

  app.get<{ Params: { partyID: string } }>('/teua/:partyID', { schema: { summary: "The TEUA's own record", tags: ['teua'], params } }, async (request) => {
    const teua = teuaOf(request.params.partyID)
    return { partyID: teua.partyID, tenders: [...teua.tenders.values()], transactions: [...teua.transactions.values()] }
  })
}

function refuse (refusal: Refusal, description: string): never {
  throw new MarketRefusal(refusal, description)
}

/** The TEUA's own errors keep their status and the LMA's responseCode. */
async function answered<T> (reply: FastifyReply, work: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof TeuaError) return reply.code(error.status).send({ error: error.message, responseCode: error.responseCode })
    throw error
  }
}
