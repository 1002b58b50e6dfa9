/**
 * OpenADR 2.0b reports, the VEN's side, for what an EMA tells its utility: the energy it traded in
 * each market interval and at what price (its cleared local transactions).
 *   - oadrRegisterReport: the report's metadata (METADATA_ of an x- report with two data points:
 *     rID "energy", real energy; rID "price", currency per kWh);
 *   - oadrRegisteredReport in: the VTN's report requests (reportRequestID per reportSpecifierID);
 *   - oadrUpdateReport: one interval per market interval, each with its energy and price.
 */
import type { MarketRules } from '../../schemas/extensions.js'
import type { XmlElement } from '../../schemas/tree.js'
import { child, children, e, maybe, message, optionalText, text } from './tree.js'

export const TRADES_REPORT = 'x-TE_CLEARED_TRADES'
/** Report names are OpenADR's own or x- extensions: the metadata of ours is an extension too. */
export const METADATA_REPORT = 'x-METADATA_TE_CLEARED_TRADES'

export interface ReportRequest {
  reportRequestID: string
  reportSpecifierID: string
}

export interface TradedInterval {
  dtStart: string
  duration: string
  /** Net energy the EMA bought (+) or sold (-) in the interval, in the market's quantity unit. */
  energy: string
  /** The volume-weighted price, or the single trade's; decimal, currency per unit. */
  price: string
}

const item = (prefix: 'power' | 'oadr', local: string, description: string, units: string, scale: string) =>
  e(prefix, local, e(prefix === 'power' ? 'power' : 'oadr', 'itemDescription', description), e(prefix === 'power' ? 'power' : 'oadr', 'itemUnits', units), e('scale', 'siScaleCode', scale))

/** oadrRegisterReport: the EMA's trades report, described. */
export function registerReport (requestID: string, venID: string, reportSpecifierID: string, market: MarketRules, createdDateTime: string): XmlElement {
  const description = (rID: string, reportType: string, unit: XmlElement) => e('oadr', 'oadrReportDescription',
    e('ei', 'rID', rID), e('ei', 'reportDataSource', e('ei', 'resourceID', venID)), e('ei', 'reportType', reportType), unit,
    e('ei', 'readingType', 'Summed'), e('emix', 'marketContext', market.marketContext),
    e('oadr', 'oadrSamplingRate', e('oadr', 'oadrMinPeriod', market.duration), e('oadr', 'oadrMaxPeriod', market.duration), e('oadr', 'oadrOnChange', 'false')))
  return message('oadrRegisterReport',
    e('pyld', 'requestID', requestID),
    e('oadr', 'oadrReport',
      e('xcal', 'duration', e('xcal', 'duration', market.duration)),
      description('energy', 'usage', item('power', 'energyReal', 'RealEnergy', 'Wh', market.energyReal.siScaleCode)),
      description('price', 'price', item('oadr', 'currencyPerKWh', 'currencyPerKWh', market.currency, 'none')),
      e('ei', 'reportRequestID', '0'), e('ei', 'reportSpecifierID', reportSpecifierID), e('ei', 'reportName', METADATA_REPORT),
      e('ei', 'createdDateTime', createdDateTime)),
    e('ei', 'venID', venID))
}

/** The report requests an oadrRegisteredReport (or an oadrCreateReport) carries. */
export function reportRequestsOf (m: XmlElement): ReportRequest[] {
  const path = `/oadr:${m.local}`
  return children(m, 'oadr', 'oadrReportRequest').map((r, i) => ({
    reportRequestID: text(r, 'ei', 'reportRequestID', `${path}/oadr:oadrReportRequest[${i + 1}]`),
    reportSpecifierID: text(child(r, 'ei', 'reportSpecifier', `${path}/oadr:oadrReportRequest[${i + 1}]`), 'ei', 'reportSpecifierID', `${path}/oadr:oadrReportRequest[${i + 1}]/ei:reportSpecifier`)
  }))
}

/** oadrCreatedReport: the VEN confirms the report requests it will serve. */
export function createdReport (requestID: string, venID: string, pending: readonly string[]): XmlElement {
  return message('oadrCreatedReport',
    e('ei', 'eiResponse', e('ei', 'responseCode', '200'), e('ei', 'responseDescription', 'OK'), e('pyld', 'requestID', requestID)),
    e('oadr', 'oadrPendingReports', ...pending.map((id) => e('ei', 'reportRequestID', id))), e('ei', 'venID', venID))
}

/** oadrUpdateReport: the traded intervals, each with its energy and price. */
export function updateReport (requestID: string, venID: string, request: ReportRequest, reportID: string, intervals: readonly TradedInterval[], createdDateTime: string): XmlElement {
  const value = (rID: string, v: string) => e('oadr', 'oadrReportPayload', e('ei', 'rID', rID), e('ei', 'payloadFloat', e('ei', 'value', v)))
  return message('oadrUpdateReport',
    e('pyld', 'requestID', requestID),
    e('oadr', 'oadrReport',
      e('xcal', 'dtstart', e('xcal', 'date-time', intervals[0]?.dtStart ?? createdDateTime)),
      e('strm', 'intervals', ...intervals.map((i) => e('ei', 'interval',
        e('xcal', 'dtstart', e('xcal', 'date-time', i.dtStart)), e('xcal', 'duration', e('xcal', 'duration', i.duration)),
        value('energy', i.energy), value('price', i.price)))),
      e('ei', 'eiReportID', reportID), e('ei', 'reportRequestID', request.reportRequestID), e('ei', 'reportSpecifierID', request.reportSpecifierID),
      e('ei', 'reportName', TRADES_REPORT), e('ei', 'createdDateTime', createdDateTime)),
    e('ei', 'venID', venID))
}

/** The response code of an oadrUpdatedReport / oadrRegisteredReport / oadrResponse. */
export function responseCodeOf (m: XmlElement): string | undefined {
  const r = maybe(m, 'ei', 'eiResponse')
  return r === undefined ? undefined : optionalText(r, 'ei', 'responseCode')
}
