import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { EXAMPLES } from '../../schemas/examples.js'
import { toXml } from '../../schemas/codec.js'

let app: FastifyInstance
beforeAll(async () => { app = await buildApp() })
afterAll(async () => { await app.close() })

describe('CTS document service', () => {
  it('converts our JSON to XML and back', async () => {
    const xml = await app.inject({ method: 'POST', url: '/cts/payloads/eiCreateTender/convert?to=xml', payload: EXAMPLES.eiCreateTender })
    expect(xml.statusCode).toBe(200)
    expect(xml.headers['content-type']).toMatch(/application\/xml/)
    expect(xml.body).toContain('<pyld:eiCreateTender')
    const json = await app.inject({ method: 'POST', url: '/cts/payloads/eiCreateTender/convert', headers: { 'content-type': 'application/xml' }, payload: xml.body })
    expect(json.statusCode).toBe(200)
    expect(json.json().eiTender[0].product.temixPower.price).toBe('0.125')
  })

  it('answers 400 with the path of every issue', async () => {
    const bad = structuredClone(EXAMPLES.eiCreateTender) as any
    bad.eiTender[0].product.side = 'BUY'
    const res = await app.inject({ method: 'POST', url: '/cts/payloads/eiCreateTender/convert', payload: bad })
    expect(res.statusCode).toBe(400)
    expect(res.json().issues[0].path).toBe('eiTender[0].product.side')
    const xml = toXml('eiCreateTender', EXAMPLES.eiCreateTender).replace('<emix:side>buy', '<emix:side>BUY')
    const res2 = await app.inject({ method: 'POST', url: '/cts/payloads/eiCreateTender/convert', headers: { 'content-type': 'application/xml' }, payload: xml })
    expect(res2.statusCode).toBe(400)
    expect(res2.json().issues[0].path).toBe('/pyld:eiCreateTender/ei:eiTender[1]/emix:product/emix:side')
  })

  it('publishes JSON Schemas and OpenAPI docs', async () => {
    expect((await app.inject('/cts/payloads')).json()).toHaveLength(42)
    const schema = await app.inject('/cts/payloads/eiCancelTender/schema')
    expect(schema.json().required).toContain('requestID')
    const openapi = await app.inject('/docs/json')
    expect(openapi.statusCode).toBe(200)
    expect(Object.keys(openapi.json().paths)).toContain('/cts/payloads/{name}/convert')
    expect((await app.inject('/cts/payloads/nope/schema')).statusCode).toBe(400)
  })
})
