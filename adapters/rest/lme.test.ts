import { describe, expect, it } from 'vitest'
import Fastify from 'fastify'
import { lmeRoutes } from './lme.js'
import { createMechanism } from '../../market/lme/index.js'

describe('LME over REST', () => {
  it('takes orders, answers their events, and refuses malformed commands', async () => {
    const app = Fastify()
    await app.register(lmeRoutes, { create: () => createMechanism({ kind: 'continuous' }) })
    const instrument = { marketContext: 'urn:m', dtStart: '2026-06-20T12:00:00.000Z', duration: 'PT1H' }
    const sell = await app.inject({ method: 'POST', url: '/lme/submit', payload: { order: { orderId: 's', partyId: 'a', instrument, side: 'sell', price: 100, quantity: 5 } } })
    expect(sell.json()).toMatchObject([{ type: 'accepted', seq: 1 }])
    const buy = await app.inject({ method: 'POST', url: '/lme/submit', payload: { order: { orderId: 'b', partyId: 'b', instrument, side: 'buy', price: 110, quantity: 3 } } })
    expect(buy.json()).toMatchObject([{ type: 'accepted' }, { type: 'fill', price: 100, quantity: 3, maker: { orderId: 's', remaining: 2 } }])
    expect((await app.inject('/lme/orders/s')).json()).toMatchObject({ remaining: 2 })
    expect((await app.inject({ method: 'POST', url: '/lme/reduce', payload: { orderId: 's', quantity: 1 } })).json()).toMatchObject([{ type: 'canceled', remaining: 1 }])
    expect((await app.inject({ method: 'POST', url: '/lme/close', payload: { instrument } })).json().at(-1)).toMatchObject({ type: 'closed' })
    expect((await app.inject({ method: 'POST', url: '/lme/submit', payload: { order: { orderId: 'x', partyId: 'a', instrument, side: 'sell', price: 0.5, quantity: 5 } } })).statusCode).toBe(400)
    expect((await app.inject('/lme/books')).json()).toEqual([`urn:m|${instrument.dtStart}|PT1H`])
    // Another way of writing the same instant is the same book.
    const again = await app.inject({ method: 'POST', url: '/lme/snapshot', payload: { instrument: { ...instrument, dtStart: '2026-06-20T14:00:00+02:00' } } })
    expect(again.json()).toMatchObject({ seq: 6, closed: true })
    await app.close()
  })
})
