/**
 * Several EMAs from one configuration file, one per utility: each is its own party of the LMA and
 * turns its own VTN's price events into its own tenders. A configuration with none runs none, and
 * a wrong one is refused with the field at fault.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { OadrVtn, vtnRoutes } from '../openadr/vtn.js'
import { startTestLma, type TestLma } from '../../test/market-service.js'
import { testMarket } from '../../test/market.js'
import { readEmaFile, startOpenadrEma } from './ema-openadr.js'

const market = testMarket({ granularity: 'PT15M', duration: 'PT15M' })
const dir = mkdtempSync(join(tmpdir(), 'te-emas-'))
const file = (name: string, content: unknown) => {
  const path = join(dir, name)
  writeFileSync(path, JSON.stringify(content))
  return path
}

let service: TestLma
const vtns: Array<{ vtn: OadrVtn, app: FastifyInstance, url: string }> = []
const stops: Array<() => Promise<void>> = []

describe('te-gateway ema-openadr --config', () => {
  beforeEach(async () => {
    service = await startTestLma(market, '2026-06-20T10:00:00Z')
    for (const id of ['UTILITY-A', 'UTILITY-B']) {
      const vtn = new OadrVtn({ vtnID: id })
      const app = Fastify()
      await app.register(vtnRoutes, { vtn })
      vtns.push({ vtn, app, url: `${await app.listen({ port: 0, host: '127.0.0.1' })}/OpenADR2/Simple/2.0b` })
    }
  }, 60_000)
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop()
    for (const { app } of vtns.splice(0)) await app.close()
    await service.close()
  })

  it('runs an EMA per utility, each its own party with its own tenders', async () => {
    const emas = readEmaFile(file('two.json', {
      emas: [
        { partyID: 'ema-a', vtnUrl: vtns[0]!.url, venName: 'mg-a', markup: '0.01', importLimit: '5', pollSeconds: 3600, tokenFile: join(dir, 'a.token') },
        { partyID: 'ema-b', vtnUrl: vtns[1]!.url, venName: 'mg-b', markdown: '0.02', exportLimit: '3', pollSeconds: 3600, tokenFile: join(dir, 'b.token') }
      ]
    }))
    for (const [k, { vtn }] of vtns.entries()) vtn.publishPrices('urn:rtp', [{ dtStart: '2026-06-20T12:00:00Z', duration: 'PT15M', price: k === 0 ? '0.20' : '0.10' }])
    for (const ema of emas) stops.push(await startOpenadrEma(service.url, ema, () => {}))
    const tenders = (party: string) => service.lma.tendersOf(party).map((t) => [t.side, t.price])
    expect(tenders('ema-a')).toEqual([['sell', '0.210']])
    expect(tenders('ema-b')).toEqual([['buy', '0.080']])
    expect(vtns.map(({ vtn }) => [...vtn.vens.values()].map((v) => v.venName))).toEqual([['mg-a'], ['mg-b']])
  })
})

describe('te-gateway ema-openadr, what the operator sees', () => {
  let service: TestLma
  let vtn: OadrVtn
  let app: FastifyInstance
  let url: string
  beforeEach(async () => {
    service = await startTestLma(market, '2026-06-20T10:00:00Z')
    vtn = new OadrVtn({ vtnID: 'UTILITY-C', pollFreq: 'PT2H' })
    app = Fastify()
    await app.register(vtnRoutes, { vtn })
    url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/OpenADR2/Simple/2.0b`
  }, 60_000)
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop()
    await app.close()
    await service.close()
  })

  it('polls as often as the VTN asks unless configured (beyond 48 s); warns loudly when both limits are 0; logs the tenders it places; keeps its token in its state directory', async () => {
    const logged: Array<{ message: string } & Record<string, unknown>> = []
    const log = (message: string, detail?: Record<string, unknown>) => logged.push({ message, ...detail })
    const stateDir = mkdtempSync(join(tmpdir(), 'te-ema-state-'))
    const [idle] = readEmaFile(file('idle.json', { emas: [{ partyID: 'ema-idle', vtnUrl: url, stateDir }] }))
    stops.push(await startOpenadrEma(service.url, idle!, log))
    expect(logged.filter((l) => l.message.startsWith('WARNING: import and export limits are both 0'))).toHaveLength(1)
    expect(logged.find((l) => l.message === 'polling')).toMatchObject({ every: 7200, from: 'VTN', requestedPollFreq: 'PT2H' })
    expect(existsSync(join(stateDir, 'ema-idle.lma-token'))).toBe(true)

    logged.length = 0
    vtn.publishPrices('urn:rtp', [{ dtStart: '2026-06-20T12:00:00Z', duration: 'PT15M', price: '0.20' }])
    const [trading] = readEmaFile(file('trading.json', { emas: [{ partyID: 'ema-trading', vtnUrl: url, importLimit: '5', pollSeconds: 86_400, stateDir }] }))
    stops.push(await startOpenadrEma(service.url, trading!, log))
    expect(logged.filter((l) => l.message.startsWith('WARNING'))).toEqual([])
    expect(logged.find((l) => l.message === 'polling')).toMatchObject({ every: 86_400, from: 'configuration' })
    expect(logged.find((l) => l.message === 'tenders placed')).toMatchObject({ ema: 'ema-trading', tenders: [expect.objectContaining({ side: 'sell', price: '0.200', dtStart: '2026-06-20T12:00:00.000Z' })] })
  })
})

describe('the EMA configuration file', () => {
  it('runs none from an empty list, and refuses a wrong file with the field at fault', () => {
    expect(readEmaFile(file('none.json', { emas: [] }))).toEqual([])
    expect(() => readEmaFile(file('bad.json', { emas: [{ vtnUrl: 'not a url' }] }))).toThrow(/emas\[0\]\.vtnUrl|vtnUrl/)
    expect(() => readEmaFile(file('price.json', { emas: [{ vtnUrl: 'http://x/y', markup: '1e-3' }] }))).toThrow(/markup/)
    expect(() => readEmaFile(file('twice.json', { emas: [{ vtnUrl: 'http://x/y' }, { vtnUrl: 'http://z/y' }] }))).toThrow(/party ema-openadr appears twice/)
  })
})
