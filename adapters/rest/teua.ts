/**
 * The TEUAs' REST faces, one path per participant:
 *   POST /teua/{partyID}/eiCreateTransaction   the LMA tells of a transaction (CTS, JSON or XML)
 *   POST /teua/{partyID}/orders                 its SC asks it to buy or sell (side, price, quantity, dtStart)
 *   POST /teua/{partyID}/orders/{tenderID}/cancel
 *   GET  /teua/{partyID}                        its record: tenders, transactions
 */
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { fromXml, parsePayload, toXml, CtsValidationError } from '../../schemas/codec.js'
import { Decimal, DateTime, Quantity } from '../../schemas/simple-types.js'
import { TeuaError, type TransactiveEnergyUserAgent } from '../../market/teua/teua.js'

const Order = z.strictObject({ side: z.enum(['buy', 'sell']), price: Decimal, quantity: Quantity, dtStart: DateTime, integralOnly: z.boolean().optional() })

export interface TeuaRoutesOptions {
  teuas: Map<string, TransactiveEnergyUserAgent>
}

export const teuaRoutes: FastifyPluginAsync<TeuaRoutesOptions> = async (app, { teuas }) => {
  app.setValidatorCompiler(() => () => true)
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  if (!app.hasContentTypeParser('application/xml')) {
    app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_req, body, done) => done(null, body))
  }
  const params = { type: 'object', properties: { partyID: { type: 'string' } }, required: ['partyID'] }

  app.post<{ Params: { partyID: string } }>('/teua/:partyID/eiCreateTransaction', {
    schema: { summary: 'The LMA tells this TEUA of a transaction; the answer is eiCreatedTransaction', tags: ['teua'], params }
  }, async (request, reply) => {
    const teua = teuas.get(request.params.partyID)
    if (teua === undefined) return reply.code(404).send({ error: `no TEUA ${request.params.partyID} here` })
    const xml = /xml/.test(request.headers['content-type'] ?? '')
    let body
    try {
      body = xml ? fromXml(String(request.body), 'eiCreateTransaction').payload : parsePayload('eiCreateTransaction', request.body)
    } catch (error) {
      if (error instanceof CtsValidationError) return reply.code(400).send({ error: error.message })
      throw error
    }
    const answer = teua.receiveTransaction(body)
    request.log.info({ partyID: teua.partyID, transactions: body.eiTransaction.map((t) => t.transactionID) }, 'transaction received')
    reply.code(answer.status)
    return xml ? reply.type('application/xml').send(toXml('eiCreatedTransaction', answer.payload)) : answer.payload
  })

  app.post<{ Params: { partyID: string } }>('/teua/:partyID/orders', {
    schema: { summary: 'Its SC asks the TEUA to buy or sell for one interval', tags: ['teua'], params }
  }, async (request, reply) => {
    const teua = teuas.get(request.params.partyID)
    if (teua === undefined) return reply.code(404).send({ error: `no TEUA ${request.params.partyID} here` })
    const order = Order.safeParse(request.body)
    if (!order.success) return reply.code(400).send({ error: order.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') })
    try {
      const { integralOnly, ...rest } = order.data
      return await teua.tender(integralOnly === undefined ? rest : { ...rest, integralOnly })
    } catch (error) {
      if (error instanceof TeuaError) return reply.code(error.status).send({ error: error.message, responseCode: error.responseCode })
      throw error
    }
  })

  app.post<{ Params: { partyID: string, tenderID: string } }>('/teua/:partyID/orders/:tenderID/cancel', {
    schema: { summary: 'Its SC cancels what remains of a tender', tags: ['teua'] }
  }, async (request, reply) => {
    const teua = teuas.get(request.params.partyID)
    if (teua === undefined) return reply.code(404).send({ error: `no TEUA ${request.params.partyID} here` })
    try {
      return { canceled: await teua.cancel(request.params.tenderID) }
    } catch (error) {
      if (error instanceof TeuaError) return reply.code(error.status).send({ error: error.message, responseCode: error.responseCode })
      throw error
    }
  })

  app.get<{ Params: { partyID: string } }>('/teua/:partyID', { schema: { summary: "The TEUA's own record", tags: ['teua'], params } }, async (request, reply) => {
    const teua = teuas.get(request.params.partyID)
    if (teua === undefined) return reply.code(404).send({ error: `no TEUA ${request.params.partyID} here` })
    return { partyID: teua.partyID, tenders: [...teua.tenders.values()], transactions: [...teua.transactions.values()] }
  })
}
