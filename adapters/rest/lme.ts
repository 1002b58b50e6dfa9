/**
 * The LME as a service of its own: its mechanism over REST, so that the engine can run in another
 * process than the LMA (`te-gateway lme`; the LMA drives it with RemoteEngine, lme-client.ts).
 * Prices and quantities are integer ticks, as the engine takes them.
 *   POST /lme/commands {commands: Command[]}  -> {instance, events: MechanismEvent[][]}, in order
 *   POST /lme/reset                           -> {instance}: empty books, a new instance id
 *   POST /lme/submit {order}  /lme/cancel {orderId}  /lme/reduce {orderId, quantity}  /lme/close {instrument}
 *                                             -> the command's events (for people with curl)
 *   GET /lme/books   GET /lme/orders/{orderId}   POST /lme/snapshot {instrument}
 *
 * The instance id changes at every start and reset: an LMA that sees another id than the one it
 * rebuilt knows the books it relied on are gone, and rebuilds them from its ledger.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { apply, type Command, type MarketMechanism } from '../../market/lme/index.js'
import { invalidInput, restPlumbing } from './plumbing.js'
import { DEFAULT_LIMITS, type RestLimits } from './limits.js'

const Ticks = z.number().int().refine(Number.isSafeInteger, 'must be a safe integer')
// dtStart is written as the LMA writes every instant (UTC, milliseconds), so that one interval is one book whatever form a caller uses.
const Instrument = z.strictObject({
  marketContext: z.string().min(1), dtStart: z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString()), duration: z.string().min(1)
})
const Order = z.strictObject({
  orderId: z.string().min(1), partyId: z.string().min(1), instrument: Instrument, side: z.enum(['buy', 'sell']),
  price: Ticks, quantity: Ticks, timeInForce: z.enum(['GTC', 'IOC', 'FOK']).optional()
})
const CommandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('submit'), order: Order }),
  z.strictObject({ type: z.literal('cancel'), orderId: z.string().min(1) }),
  z.strictObject({ type: z.literal('reduce'), orderId: z.string().min(1), quantity: Ticks }),
  z.strictObject({ type: z.literal('close'), instrument: Instrument })
])

export interface LmeRoutesOptions {
  /** Makes the mechanism: at start, and again at each reset. */
  create: () => MarketMechanism
  /** Body size and XML depth (default: DEFAULT_LIMITS). */
  limits?: RestLimits
}

/** Drops an absent timeInForce (zod gives it as a key with undefined; the engine's events must not carry it). */
function commandOf (c: z.infer<typeof CommandSchema>): Command {
  if (c.type !== 'submit') return c
  const { timeInForce, ...order } = c.order
  return { type: 'submit', order: timeInForce === undefined ? order : { ...order, timeInForce } }
}

export const lmeRoutes: FastifyPluginAsync<LmeRoutesOptions> = async (app, { create, limits = DEFAULT_LIMITS }) => {
  let lme = create()
  let instance = randomUUID()
  // Its one client is the LMA, at the LMA's pace: no rate limits. Refusals are {error}.
  await app.register(restPlumbing, {
    limits, rateLimited: false,
    refuse: (_request, reply, refusal) => reply.code(Number(refusal.responseCode)).send({ error: refusal.message })
  })
  app.setValidatorCompiler(() => () => true)
  const route = <S extends z.ZodType>(path: string, summary: string, schema: S, run: (body: z.infer<S>) => unknown) => {
    app.post(path, { schema: { summary, tags: ['lme'] } }, async (request) => {
      const body = schema.safeParse(request.body ?? {})
      if (!body.success) throw invalidInput(body.error)
      return run(body.data)
    })
  }
  route('/lme/commands', 'Run commands in order; answers each one\'s events and the instance id', z.strictObject({ commands: z.array(CommandSchema) }),
    ({ commands }) => ({ instance, events: commands.map((c) => apply(lme, commandOf(c))) }))
  route('/lme/reset', 'Empty every book (the LMA then replays its ledger); answers the new instance id', z.strictObject({}), () => {
    lme = create()
    instance = randomUUID()
    return { instance }
  })
  route('/lme/submit', 'Enter an order; answers its events', z.strictObject({ order: Order }), ({ order }) => apply(lme, commandOf({ type: 'submit', order })))
  route('/lme/cancel', 'Cancel the rest of an order', z.strictObject({ orderId: z.string().min(1) }), ({ orderId }) => lme.cancel(orderId))
  route('/lme/reduce', 'Reduce an order, keeping its priority', z.strictObject({ orderId: z.string().min(1), quantity: Ticks }), ({ orderId, quantity }) => lme.reduce(orderId, quantity))
  route('/lme/close', 'Gate closure of an interval', z.strictObject({ instrument: Instrument }), ({ instrument }) => lme.closeInterval(instrument))
  route('/lme/snapshot', 'A book: levels and orders, with its seq', z.strictObject({ instrument: Instrument }), ({ instrument }) => lme.snapshot(instrument) ?? null)
  app.get('/lme/books', { schema: { summary: 'Every book', tags: ['lme'] } }, async () => lme.books())
  app.get<{ Params: { orderId: string } }>('/lme/orders/:orderId', { schema: { summary: 'A resting order', tags: ['lme'] } }, async (request, reply) =>
    lme.order(request.params.orderId) ?? reply.code(404).send({ error: 'no such open order' }))
}
