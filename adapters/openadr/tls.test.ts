/**
 * Mutual TLS for both roles, with a throwaway CA made here: our VEN registers with our VTN over
 * HTTPS with its client certificate and gets its events; the VTN knows it by its certificate's
 * fingerprint, so another certificate cannot act as it (463); a client without a certificate, or
 * with one from another CA, does not get through the handshake.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Fastify, { type FastifyInstance } from 'fastify'
import { ThrowawayCa, type Issued } from '../../test/throwaway-ca.js'
import { readOadr, writeOadr } from './envelope.js'
import { poll } from './events.js'
import { fingerprintOf, postTls } from './tls.js'
import { OadrVen } from './ven.js'
import { OadrVtn, vtnRoutes } from './vtn.js'
import type { PriceEma } from '../../market/ema/price-ema.js'

let ca: ThrowawayCa
let server: Issued
let venCert: Issued
let otherVen: Issued
let app: FastifyInstance
let url: string
let vtn: OadrVtn

beforeAll(async () => {
  ca = new ThrowawayCa()
  server = ca.issue('vtn', 'server')
  venCert = ca.issue('ven-1', 'client')
  otherVen = ca.issue('ven-2', 'client')
  vtn = new OadrVtn({ vtnID: 'UTILITY-VTN' })
  app = Fastify({ https: { key: server.key, cert: server.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: true } })
  await app.register(vtnRoutes, { vtn })
  url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/OpenADR2/Simple/2.0b`
}, 60_000)
afterAll(async () => { await app.close() })

/** The EMA side is not what is tested here: events are handled as "created". */
const ema = { onEvent: async () => 'created' } as unknown as PriceEma

describe('OpenADR over mutual TLS', () => {
  it('the fingerprint is the last 10 bytes of the certificate\'s SHA-256, as colon-separated hex pairs', () => {
    expect(fingerprintOf(venCert.cert)).toMatch(/^([0-9A-F]{2}:){9}[0-9A-F]{2}$/)
    expect(fingerprintOf(venCert.cert)).not.toBe(fingerprintOf(otherVen.cert))
  })

  it('a VEN with its client certificate registers and gets its events; the VTN binds it to its fingerprint', async () => {
    const ven = new OadrVen({ vtnUrl: url, venName: 'der-1', ema, tls: { cert: venCert.cert, key: venCert.key, ca: ca.cert } })
    await ven.register()
    expect(vtn.vens.get(ven.venID!)).toMatchObject({ venName: 'der-1', fingerprint: fingerprintOf(venCert.cert) })
    vtn.publishPrices('urn:market', [{ dtStart: '2030-01-01T12:00:00Z', duration: 'PT1H', price: '0.10' }])
    expect(await ven.requestEvents()).toMatchObject([{ optType: 'optIn', outcome: 'created' }])
    // Another certificate from the same CA may not act as this VEN.
    const spoof = await postTls(`${url}/OadrPoll`, writeOadr(poll(ven.venID!)), { cert: otherVen.cert, key: otherVen.key, ca: ca.cert }, 5000)
    expect(spoof.status).toBe(200)
    expect(writeOadr(readOadr(spoof.body).message)).toMatch(/<ei:responseCode>463<\/ei:responseCode>/)
  })

  it('refuses a client without a certificate, or with one from another CA, at the handshake', async () => {
    const stranger = new ThrowawayCa('another CA').issue('intruder', 'client')
    await expect(postTls(`${url}/OadrPoll`, writeOadr(poll('VEN-1')), { cert: stranger.cert, key: stranger.key, ca: ca.cert }, 5000)).rejects.toThrow()
    await expect(fetch(`${url}/OadrPoll`, { method: 'POST', body: writeOadr(poll('VEN-1')) })).rejects.toThrow()
    // And our VEN does not talk to a VTN whose certificate does not chain to the CA it trusts.
    const ven = new OadrVen({ vtnUrl: url, venName: 'der-2', ema, tls: { cert: venCert.cert, key: venCert.key, ca: new ThrowawayCa('not the CA of the VTN').cert } })
    await expect(ven.register()).rejects.toThrow()
  })
})
