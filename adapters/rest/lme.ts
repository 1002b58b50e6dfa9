/**
 * The LME as a service of its own: its MarketMechanism interface over REST, so that an engine can
 * run in another process than the LMA (`te-gateway lme`). Prices and quantities are integer ticks,
 * as the engine takes them; every answer is the list of events the command caused.
 *   POST /lme/submit {order}   POST /lme/cancel {orderId}   POST /lme/reduce {orderId, quantity}
 *   POST /lme/close {instrument}   GET /lme/books   GET /lme/orders/{orderId}   POST /lme/snapshot {instrument}
 */
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import type { MarketMechanism } from '../../market/lme/index.js'

const Ticks = z.number().int().refine(Number.isSafeInteger, 'must be a safe integer')
const Instrument = z.strictObject({ marketContext: z.string().min(1), dtStart: z.string().min(1), duration: z.string().min(1) })
const Order = z.strictObject({
  orderId: z.string().min(1), partyId: z.string().min(1), instrument: Instrument, side: z.enum(['buy', 'sell']),
  price: Ticks, quantity: Ticks, timeInForce: z.enum(['GTC', 'IOC', 'FOK']).optional()
})

export const lmeRoutes: FastifyPluginAsync<{ lme: MarketMechanism }> = async (app, { lme }) => {
  app.setValidatorCompiler(() => () => true)
  const route = <S extends z.ZodType>(path: string, summary: string, schema: S, run: (body: z.infer<S>) => unknown) => {
    app.post(path, { schema: { summary, tags: ['lme'] } }, async (request, reply) => {
      const body = schema.safeParse(request.body)
      if (!body.success) return reply.code(400).send({ error: body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') })
      return run(body.data)
    })
  }
  route('/lme/submit', 'Enter an order; answers its events', z.strictObject({ order: Order }), ({ order }) => {
    const { timeInForce, ...rest } = order
    return lme.submit(timeInForce === undefined ? rest : { ...rest, timeInForce })
  })
  route('/lme/cancel', 'Cancel the rest of an order', z.strictObject({ orderId: z.string().min(1) }), ({ orderId }) => lme.cancel(orderId))
  route('/lme/reduce', 'Reduce an order, keeping its priority', z.strictObject({ orderId: z.string().min(1), quantity: Ticks }), ({ orderId, quantity }) => lme.reduce(orderId, quantity))
  route('/lme/close', 'Gate closure of an interval', z.strictObject({ instrument: Instrument }), ({ instrument }) => lme.closeInterval(instrument))
  route('/lme/snapshot', 'A book: levels and orders, with its seq', z.strictObject({ instrument: Instrument }), ({ instrument }) => lme.snapshot(instrument) ?? null)
  app.get('/lme/books', { schema: { summary: 'Every book', tags: ['lme'] } }, async () => lme.books())
  app.get<{ Params: { orderId: string } }>('/lme/orders/:orderId', { schema: { summary: 'A resting order', tags: ['lme'] } }, async (request, reply) =>
    lme.order(request.params.orderId) ?? reply.code(404).send({ error: 'no such open order' }))
}
