/**
 * Bad input to our VTN, case by case; each case is asserted with no state change. What is not
 * OpenADR gets HTTP 400 or 413 with a reason. What is valid OpenADR but wrong gets its OpenADR
 * code:
 *   - 450: a stale modification number;
 *   - 452: an unknown VEN, event, opt, registration or report request;
 *   - 453: a message at the wrong service;
 *   - 454: a data point that was not asked for; a trades report whose trade lacks its energy or
 *     price, or has one twice;
 *   - 459: a registration outside the profile, or for push without an address.
 * (463, a certificate that is not the VEN's, is in tls.test.ts.)
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { readOadr, validateOadr, writeOadr, MAX_MESSAGE_BYTES } from './envelope.js'
import { build, readPayload, targetOf, type OadrPayload } from './model.js'
import { OadrVtn, type VtnService } from './vtn.js'
import { registerReport, updateReport as tradesReport } from './reports.js'
import { testMarket } from '../../test/market.js'

const target = targetOf({})
let vtn: OadrVtn
let venID: string
let registrationID: string
let eventID: string
let reportRequestID: string

/** Everything the VTN knows and has recorded, to compare before and after. */
const state = () => JSON.stringify({ vens: [...vtn.vens], opts: [...vtn.opts], responses: vtn.optResponses, requests: [...vtn.reportRequests], reports: vtn.reports })

async function send (service: VtnService, xml: string): Promise<{ status: number, body: string, answer?: OadrPayload }> {
  const res = await vtn.handle(service, xml)
  if (res.status !== 200) return res
  expect((await validateOadr(res.body)).errors).toEqual([])
  return { ...res, answer: readPayload(readOadr(res.body)) }
}
const code = (a: { answer?: OadrPayload }) => {
  const m = a.answer?.message as { eiResponse?: { responseCode: string } } | undefined
  return m?.eiResponse?.responseCode
}

beforeEach(async () => {
  vtn = new OadrVtn({ vtnID: 'UTILITY-VTN' })
  const created = await send('EiRegisterParty', writeOadr(build('oadrCreatePartyRegistration', {
    requestID: 'r0', oadrProfileName: '2.0b', oadrTransportName: 'simpleHttp', oadrReportOnly: false, oadrXmlSignature: false, oadrVenName: 'der-1', oadrHttpPullModel: true
  })))
  if (created.answer?.type !== 'oadrCreatedPartyRegistration') throw new Error('no registration')
  venID = created.answer.message.venID!
  registrationID = created.answer.message.registrationID!
  eventID = vtn.publishPrices('urn:market', [{ dtStart: '2030-01-01T12:00:00Z', duration: 'PT1H', price: '0.10' }])!.eventID
  const registered = await send('EiReport', writeOadr(build('oadrRegisterReport', {
    requestID: 'r1', venID,
    oadrReport: [{
      duration: 'PT1H', reportRequestID: '0', reportSpecifierID: 'meter', reportName: 'METADATA_TELEMETRY_USAGE', createdDateTime: '2030-01-01T00:00:00Z',
      oadrReportDescription: [{ rID: 'load', reportType: 'usage', readingType: 'Direct Read', oadrSamplingRate: { oadrMinPeriod: 'PT1M', oadrMaxPeriod: 'PT1M', oadrOnChange: false } }]
    }]
  })))
  if (registered.answer?.type !== 'oadrRegisteredReport') throw new Error('no report registration')
  reportRequestID = registered.answer.message.oadrReportRequest[0]!.reportRequestID
})

const updateReport = (requestID: string, rID: string, reportID = 'rep-1') => writeOadr(build('oadrUpdateReport', {
  requestID: 'u1', venID,
  oadrReport: [{
    dtStart: '2030-01-01T12:00:00Z', oadrReportDescription: [], reportRequestID: requestID, reportSpecifierID: 'meter', reportName: 'TELEMETRY_USAGE', createdDateTime: '2030-01-01T12:01:00Z', eiReportID: reportID,
    intervals: [{ dtStart: '2030-01-01T12:00:00Z', payloads: [{ report: { rID, payload: { payloadFloat: '1.5' } } }] }]
  }]
}))
const createdEvent = (id: string, modificationNumber: number) => writeOadr(build('oadrCreatedEvent', {
  eiCreatedEvent: { eiResponse: { responseCode: '200', requestID: '' }, eventResponses: [{ responseCode: '200', requestID: 'd1', qualifiedEventID: { eventID: id, modificationNumber }, optType: 'optIn' }], venID }
}))

describe('bad input to the VTN changes nothing', () => {
  it('what is not OpenADR: 400 with a reason (malformed, DOCTYPE, schema-invalid), 413 when too large', async () => {
    const before = state()
    const poll = writeOadr(build('oadrPoll', { venID }))
    expect(await send('OadrPoll', '<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07"><oops>')).toMatchObject({ status: 400, body: expect.stringMatching(/malformed XML/) })
    expect(await send('OadrPoll', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "a">]>' + poll.replace(/^<\?xml[^>]*>/, ''))).toMatchObject({ status: 400, body: expect.stringMatching(/DOCTYPE/) })
    expect(await send('OadrPoll', poll.replace('<ei:venID>', '<ei:vtnID>').replace('</ei:venID>', '</ei:vtnID>'))).toMatchObject({ status: 400, body: expect.stringMatching(/oadr_20b\.xsd/) })
    expect(await send('OadrPoll', poll.replace(venID, 'x'.repeat(MAX_MESSAGE_BYTES)))).toMatchObject({ status: 413 })
    expect(state()).toBe(before)
  })

  it('unknown VEN, event, opt, registration or report request: 452', async () => {
    const before = state()
    expect(code(await send('OadrPoll', writeOadr(build('oadrPoll', { venID: 'VEN-NOBODY' }))))).toBe('452')
    expect(code(await send('EiEvent', createdEvent('no-such-event', 0)))).toBe('452')
    expect(code(await send('EiReport', updateReport('no-such-request', 'load')))).toBe('452')
    expect(code(await send('EiOpt', writeOadr(build('oadrCancelOpt', { requestID: 'c1', optID: 'no-such-opt', venID }))))).toBe('452')
    expect(code(await send('EiRegisterParty', writeOadr(build('oadrCancelPartyRegistration', { requestID: 'c2', registrationID: 'not-the-registration', venID }))))).toBe('452')
    expect(code(await send('EiRegisterParty', writeOadr(build('oadrCreatePartyRegistration', {
      requestID: 'r2', registrationID: 'not-the-registration', venID, oadrProfileName: '2.0b', oadrTransportName: 'simpleHttp', oadrReportOnly: false, oadrXmlSignature: false, oadrVenName: 'renamed'
    }))))).toBe('452')
    expect(code(await send('EiOpt', writeOadr(build('oadrCreateOpt', {
      optID: 'o1', optType: 'optOut', optReason: 'emergency', venID, createdDateTime: '2030-01-01T00:00:00Z', requestID: 'o1', qualifiedEventID: { eventID: 'no-such-event', modificationNumber: 0 }, eiTarget: target
    }))))).toBe('452')
    expect(state()).toBe(before)
  })

  it('a stale modification number: 450; a data point not asked for: 454; the wrong service: 453', async () => {
    vtn.publishPrices('urn:market', [{ dtStart: '2030-01-01T12:00:00Z', duration: 'PT1H', price: '0.20' }])
    const before = state()
    expect(code(await send('EiEvent', createdEvent(eventID, 0)))).toBe('450')
    expect(code(await send('EiReport', updateReport(reportRequestID, 'not-asked')))).toBe('454')
    expect(code(await send('EiEvent', updateReport(reportRequestID, 'load')))).toBe('453')
    expect(state()).toBe(before)
    // The same messages, right, do change the state.
    expect(code(await send('EiEvent', createdEvent(eventID, 1)))).toBe('200')
    expect(code(await send('EiReport', updateReport(reportRequestID, 'load')))).toBe('200')
    expect(vtn.reports).toHaveLength(1)
  })

  it('a registration outside OpenADR 2.0b simple HTTP without signatures, or for push without an address: 459', async () => {
    const before = state()
    const registration = { requestID: 'r3', oadrProfileName: '2.0b', oadrTransportName: 'simpleHttp', oadrReportOnly: false, oadrXmlSignature: false, oadrVenName: 'der-2' }
    expect(code(await send('EiRegisterParty', writeOadr(build('oadrCreatePartyRegistration', { ...registration, oadrProfileName: '2.0a' }))))).toBe('459')
    expect(code(await send('EiRegisterParty', writeOadr(build('oadrCreatePartyRegistration', { ...registration, oadrTransportName: 'xmpp' }))))).toBe('459')
    expect(code(await send('EiRegisterParty', writeOadr(build('oadrCreatePartyRegistration', { ...registration, oadrXmlSignature: true }))))).toBe('459')
    expect(code(await send('EiRegisterParty', writeOadr(build('oadrCreatePartyRegistration', { ...registration, oadrHttpPullModel: false, oadrTransportAddress: 'None' }))))).toBe('459')
    expect(state()).toBe(before)
  })

  it('a report sent again (after a lost answer or a crash) is answered again and recorded once', async () => {
    expect(code(await send('EiReport', updateReport(reportRequestID, 'load', 'rep-7')))).toBe('200')
    const once = state()
    expect(code(await send('EiReport', updateReport(reportRequestID, 'load', 'rep-7')))).toBe('200')
    expect(state()).toBe(once)
    expect(vtn.reports.map((r) => r.eiReportID)).toEqual(['rep-7'])
  })

  it('opt schedules: created, refused for another VEN, canceled once', async () => {
    const opt = { optID: 'o2', optType: 'optOut', optReason: 'participating', venID, createdDateTime: '2030-01-01T00:00:00Z', requestID: 'o2', qualifiedEventID: { eventID, modificationNumber: 0 }, eiTarget: { ...target, venID: [venID] } }
    const created = await send('EiOpt', writeOadr(build('oadrCreateOpt', opt)))
    expect(created.answer).toMatchObject({ type: 'oadrCreatedOpt', message: { optID: 'o2', eiResponse: { responseCode: '200' } } })
    expect(vtn.opts.get('o2')).toMatchObject({ venID, opt: { optType: 'optOut' } })
    expect(code(await send('EiOpt', writeOadr(build('oadrCancelOpt', { requestID: 'c3', optID: 'o2', venID }))))).toBe('200')
    const canceled = state()
    expect(code(await send('EiOpt', writeOadr(build('oadrCancelOpt', { requestID: 'c4', optID: 'o2', venID }))))).toBe('452')
    expect(state()).toBe(canceled)
    expect(registrationID).toBeTypeOf('string')
  })

  it('a trades report (x-TE_CLEARED_TRADES) must pair one energy and one price per trade: 454 otherwise', async () => {
    const market = testMarket({ granularity: 'PT15M', duration: 'PT15M' })
    const registered = await send('EiReport', writeOadr(registerReport('r9', venID, 'trades', market, '2030-01-01T00:00:00Z')))
    if (registered.answer?.type !== 'oadrRegisteredReport') throw new Error('no report registration')
    const request = { reportRequestID: registered.answer.message.oadrReportRequest.find((r) => r.reportSpecifier.reportSpecifierID === 'trades')!.reportRequestID, reportSpecifierID: 'trades' }
    const trade = { transactionID: 'tx-1', dtStart: '2030-01-01T12:00:00Z', duration: 'PT15M', energy: '2.0', price: '0.110' }
    const report = (mangle: (xml: string) => string, id: string) => mangle(writeOadr(tradesReport('u9', venID, request, id, [trade], '2030-01-01T12:20:00Z')))
    const before = state()
    // The price interval named as a second energy; the energy interval named as another trade's.
    expect(code(await send('EiReport', report((x) => x.replace('<ei:rID>price</ei:rID>', '<ei:rID>energy</ei:rID>'), 'rep-a')))).toBe('454')
    expect(code(await send('EiReport', report((x) => x.replace('tx-1', 'tx-2'), 'rep-b')))).toBe('454')
    expect(state()).toBe(before)
    expect(code(await send('EiReport', report((x) => x, 'rep-c')))).toBe('200')
    expect(vtn.reports.map((r) => r.eiReportID)).toEqual(['rep-c'])
  })
})
