/**
 * OpenADR 2.0b reports, the VEN's side, for what an EMA tells its utility: the energy it traded in
 * each market interval and at what price (its cleared local transactions).
 *   - oadrRegisterReport: the report's metadata (METADATA_ of an x- report with two data points:
 *     rID "energy", real energy; rID "price", currency per kWh);
 *   - oadrRegisteredReport in: the VTN's report requests (reportRequestID per reportSpecifierID);
 *   - oadrUpdateReport: two intervals per cleared transaction, one with its energy, one with its
 *     price, both named by the transactionID (xcal:uid). One oadrReportPayload per interval, as
 *     deployed VTNs read reports (openleadr's handler fails, HTTP 500, on an interval with two).
 * All are read and written through model.ts.
 */
import type { MarketRules } from '../../schemas/extensions.js'
import type { XmlElement } from '../../schemas/tree.js'
import { build, targetOf, type OadrMessageValue, type OadrPayload, type OadrReport, type OadrReportDescription } from './model.js'
import { text } from './codec.js'
import { OADR_NAMESPACES } from './envelope.js'

export const TRADES_REPORT = 'x-TE_CLEARED_TRADES'
/** Report names are OpenADR's own or x- extensions: the metadata of ours is an extension too. */
export const METADATA_REPORT = 'x-METADATA_TE_CLEARED_TRADES'

export interface ReportRequest {
  reportRequestID: string
  reportSpecifierID: string
}

export interface TradedInterval {
  /** The cleared transaction's id: the uid of its two intervals, which pairs its energy and its price. */
  transactionID: string
  dtStart: string
  duration: string
  /** Net energy the EMA bought (+) or sold (-) in the interval, in the market's quantity unit. */
  energy: string
  /** The volume-weighted price, or the single trade's; decimal, currency per unit. */
  price: string
}

/** An emix:itemBase unit, which the model carries as an element: description, units, SI scale. */
const unit = (prefix: 'power' | 'oadr', local: string, description: string, units: string, scale: string): XmlElement => ({
  ns: OADR_NAMESPACES[prefix], local, attributes: [], text: '',
  children: [text(prefix, 'itemDescription').write(description), text(prefix, 'itemUnits').write(units), text('scale', 'siScaleCode').write(scale)]
})

/** OpenADR's own usage report: what the EMA offers a VTN that takes no other (energy only, rID "usage"). */
export const USAGE_REPORT = 'TELEMETRY_USAGE'

/**
 * oadrRegisterReport: the EMA's trades report, described; with usageSpecifierID, also a
 * TELEMETRY_USAGE report of the same trades' energy, for VTNs that ask for nothing else.
 */
export function registerReport (requestID: string, venID: string, reportSpecifierID: string, market: MarketRules, createdDateTime: string, usageSpecifierID?: string): XmlElement {
  const description = (rID: string, reportType: string, itemBase: XmlElement): OadrReportDescription => ({
    rID, reportDataSource: targetOf({ resourceID: [venID] }), reportType, itemBase,
    readingType: 'Summed', marketContext: market.marketContext,
    oadrSamplingRate: { oadrMinPeriod: market.duration, oadrMaxPeriod: market.duration, oadrOnChange: false }
  })
  return build('oadrRegisterReport', {
    requestID,
    oadrReport: [{
      duration: market.duration,
      oadrReportDescription: [
        description('energy', 'usage', unit('power', 'energyReal', 'RealEnergy', 'Wh', market.energyReal.siScaleCode)),
        description('price', 'price', unit('oadr', 'currencyPerKWh', 'currencyPerKWh', market.currency, 'none'))
      ],
      reportRequestID: '0', reportSpecifierID, reportName: METADATA_REPORT, createdDateTime
    }, ...(usageSpecifierID === undefined
      ? []
      : [{
          duration: market.duration,
          oadrReportDescription: [description('usage', 'usage', unit('power', 'energyReal', 'RealEnergy', 'Wh', market.energyReal.siScaleCode))],
          reportRequestID: '0', reportSpecifierID: usageSpecifierID, reportName: `METADATA_${USAGE_REPORT}`, createdDateTime
        }])],
    venID
  })
}

/** The report requests an oadrRegisteredReport (or an oadrCreateReport) carries. */
export function reportRequestsOf (message: OadrMessageValue<'oadrRegisteredReport' | 'oadrCreateReport'>): ReportRequest[] {
  return message.oadrReportRequest.map((r) => ({ reportRequestID: r.reportRequestID, reportSpecifierID: r.reportSpecifier.reportSpecifierID }))
}

/** oadrCreatedReport: the VEN confirms the report requests it will serve. */
export function createdReport (requestID: string, venID: string, pending: readonly string[]): XmlElement {
  return build('oadrCreatedReport', { eiResponse: { responseCode: '200', responseDescription: 'OK', requestID }, oadrPendingReports: [...pending], venID })
}

/** oadrUpdateReport: the traded intervals, each as two intervals of one payload: its energy, then its price. */
export function updateReport (requestID: string, venID: string, request: ReportRequest, reportID: string, intervals: readonly TradedInterval[], createdDateTime: string): XmlElement {
  const value = (rID: string, v: string) => ({ report: { rID, payload: { payloadFloat: v } } })
  return build('oadrUpdateReport', {
    requestID,
    oadrReport: [{
      dtStart: intervals[0]?.dtStart ?? createdDateTime,
      intervals: intervals.flatMap((i) => [
        { dtStart: i.dtStart, duration: i.duration, uid: i.transactionID, payloads: [value('energy', i.energy)] },
        { dtStart: i.dtStart, duration: i.duration, uid: i.transactionID, payloads: [value('price', i.price)] }
      ]),
      eiReportID: reportID, oadrReportDescription: [], reportRequestID: request.reportRequestID, reportSpecifierID: request.reportSpecifierID,
      reportName: TRADES_REPORT, createdDateTime
    }],
    venID
  })
}

/** oadrUpdateReport as TELEMETRY_USAGE: one interval per trade, its energy (rID "usage"), named by its transactionID. */
export function usageReport (requestID: string, venID: string, request: ReportRequest, reportID: string, intervals: readonly TradedInterval[], createdDateTime: string): XmlElement {
  return build('oadrUpdateReport', {
    requestID,
    oadrReport: [{
      dtStart: intervals[0]?.dtStart ?? createdDateTime,
      intervals: intervals.map((i) => ({ dtStart: i.dtStart, duration: i.duration, uid: i.transactionID, payloads: [{ report: { rID: 'usage', payload: { payloadFloat: i.energy } } }] })),
      eiReportID: reportID, oadrReportDescription: [], reportRequestID: request.reportRequestID, reportSpecifierID: request.reportSpecifierID,
      reportName: USAGE_REPORT, createdDateTime
    }],
    venID
  })
}

/**
 * The trades a trades report carries, as the VTN reads them: the intervals of one uid (the
 * transactionID) make one trade, with exactly one energy and one price, each counted once. An
 * interval without a uid is a trade of its own (the shape before: both payloads in one interval).
 * Returns why the report cannot be read so, if it cannot.
 */
export function tradesOf (report: OadrReport): TradedInterval[] | string {
  const trades = new Map<string, Partial<TradedInterval>>()
  for (const [n, i] of (report.intervals ?? []).entries()) {
    const key = i.uid ?? `interval ${n + 1}`
    const trade = trades.get(key) ?? { transactionID: i.uid ?? '' }
    if (i.dtStart === undefined || i.duration === undefined) return `${key} has no dtstart or duration`
    if ((trade.dtStart !== undefined && trade.dtStart !== i.dtStart) || (trade.duration !== undefined && trade.duration !== i.duration)) return `${key}: its intervals differ in time`
    Object.assign(trade, { dtStart: i.dtStart, duration: i.duration })
    for (const p of i.payloads) {
      if (!('report' in p) || !('payloadFloat' in p.report.payload)) return `${key}: not a number`
      const rID = p.report.rID
      if (rID !== 'energy' && rID !== 'price') return `${key}: data point ${rID} is not energy or price`
      if (trade[rID] !== undefined) return `${key}: ${rID} twice`
      trade[rID] = p.report.payload.payloadFloat
    }
    trades.set(key, trade)
  }
  const read: TradedInterval[] = []
  for (const [key, t] of trades) {
    if (t.energy === undefined || t.price === undefined) return `${key}: no ${t.energy === undefined ? 'energy' : 'price'}`
    read.push(t as TradedInterval)
  }
  return read
}

/** The response code of an answer that carries an eiResponse (oadrUpdatedReport, oadrRegisteredReport, oadrResponse, ...). */
export function responseCodeOf (payload: OadrPayload): string | undefined {
  return (payload.message as { eiResponse?: { responseCode: string } }).eiResponse?.responseCode
}
