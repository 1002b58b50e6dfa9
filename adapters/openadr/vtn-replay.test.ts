/**
 * The recorded VEN side of a real openleadr session, replayed against our VTN over HTTP. The VEN
 * stand-in sends each recorded request in order. It uses the ids our VTN gave it (venID, report
 * request, event), as a real VEN does, and checks each answer: XSD-valid, of the type a VTN
 * answers with, code 200. At the end, the VTN has recorded the VEN, its report request, its two
 * opt responses and its ten telemetry reports, once each.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { readOadr, validateOadr } from './envelope.js'
import { readPayload } from './model.js'
import { OadrVtn, vtnRoutes, type VtnService } from './vtn.js'

const SESSION = resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/openadr-fixtures/openleadr-session')
const sentByVen = readdirSync(SESSION).sort().filter((f) => /^\d+-ven-out-\w+\.xml$/.test(f))

const SERVICE: Record<string, VtnService> = {
  oadrQueryRegistration: 'EiRegisterParty', oadrCreatePartyRegistration: 'EiRegisterParty', oadrRegisterReport: 'EiReport', oadrCreatedReport: 'EiReport',
  oadrUpdateReport: 'EiReport', oadrRequestEvent: 'EiEvent', oadrCreatedEvent: 'EiEvent', oadrPoll: 'OadrPoll'
}
/** What a VTN answers each request with. */
const EXPECTED: Record<string, string[]> = {
  oadrQueryRegistration: ['oadrCreatedPartyRegistration'], oadrCreatePartyRegistration: ['oadrCreatedPartyRegistration'],
  oadrRegisterReport: ['oadrRegisteredReport'], oadrCreatedReport: ['oadrResponse'], oadrUpdateReport: ['oadrUpdatedReport'],
  oadrRequestEvent: ['oadrDistributeEvent'], oadrCreatedEvent: ['oadrResponse'], oadrPoll: ['oadrResponse', 'oadrDistributeEvent']
}

describe('the recorded openleadr VEN against our VTN', () => {
  it('gets XSD-valid answers of the expected types, all 200, and every report and opt response is recorded once', async () => {
    expect(sentByVen).toHaveLength(38)
    const vtn = new OadrVtn({ vtnID: 'UTILITY-VTN', pollFreq: 'PT2S' })
    // The recorded event: ELECTRICITY_PRICE over four 15-minute intervals.
    const published = vtn.publishPrices('http://MarketContext1', ['0.12', '0.18', '0.31', '0.22'].map((price, k) => ({ dtStart: new Date(Date.parse('2026-11-25T01:37:00Z') + k * 900_000).toISOString(), duration: 'PT15M', price })))!
    const app = Fastify()
    await app.register(vtnRoutes, { vtn })
    const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/OpenADR2/Simple/2.0b`
    const ids = new Map<string, string>([['cf581f2f-9f8f-4dcb-9a77-7a1efaee4fd8', published.eventID]])
    const answered: string[] = []
    try {
      for (const file of sentByVen) {
        let body = readFileSync(join(SESSION, file), 'utf8')
        for (const [theirs, ours] of ids) body = body.replaceAll(theirs, ours)
        const type = readOadr(body).type
        const res = await fetch(`${url}/${SERVICE[type]!}`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body })
        const text = await res.text()
        expect(res.status, `${file}: ${text}`).toBe(200)
        expect((await validateOadr(text)).errors, file).toEqual([])
        const answer = readPayload(readOadr(text))
        expect(EXPECTED[type], `${file} answered with ${answer.type}`).toContain(answer.type)
        const code = 'eiResponse' in answer.message ? answer.message.eiResponse?.responseCode : undefined
        expect(code ?? '200', `${file}: ${text}`).toBe('200')
        answered.push(answer.type)
        // The ids our VTN gives, used from then on as the real VEN used those its VTN gave.
        if (answer.type === 'oadrCreatedPartyRegistration' && answer.message.venID !== '') ids.set('ven-ema-1', answer.message.venID!)
        if (answer.type === 'oadrRegisteredReport') ids.set('fcc7941f-0199-4a1b-9d23-0437b7362d4a', answer.message.oadrReportRequest[0]!.reportRequestID)
      }
    } finally {
      await app.close()
    }
    expect(answered.filter((t) => t === 'oadrDistributeEvent')).toHaveLength(1)
    const venID = ids.get('ven-ema-1')!
    expect([...vtn.vens.values()]).toMatchObject([{ venID, venName: 'ema-test-ven' }])
    expect([...vtn.reportRequests.values()]).toMatchObject([{ venID, reportName: 'TELEMETRY_USAGE', rIDs: ['2500a46a-c5ec-48f8-8d32-b93e299933e9'] }])
    expect(vtn.optResponses.map((r) => [r.venID, r.eventID, r.modificationNumber, r.optType])).toEqual([[venID, published.eventID, 0, 'optIn'], [venID, published.eventID, 0, 'optIn']])
    const values = vtn.reports.map((r) => r.report.intervals![0]!.payloads[0]!)
    expect(values).toHaveLength(10)
    expect(new Set(values.map((v) => ('report' in v && 'payloadFloat' in v.report.payload ? v.report.payload.payloadFloat : '')))).toEqual(new Set(['1.0', '2.0', '3.0', '4.0', '5.0', '6.0', '7.0', '8.0', '9.0', '10.0']))
  }, 60_000)
})
