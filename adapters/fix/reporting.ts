/**
 * FIX reporting sessions (acceptor side) for counterparties and regulators. Each session sees the
 * local market's trades: all of them (a regulator) or those of one party (a counterparty).
 *
 * Drop copies, when the session asks for them in its configuration. Every new local transaction,
 * once it is in the ledger, goes out as:
 *   - an ExecutionReport (ExecType F), one per side in scope;
 *   - a TradeCaptureReport (AE, TradeReportTransType 0), one per trade, with both sides.
 *
 * TradeCaptureReportRequest (AD), TradeRequestType 0 (all trades), optionally for one instrument:
 *   - the answer is AQ (accepted), the matching AEs (the last with LastRptRequested=Y), then AQ
 *     (completed);
 *   - with SubscriptionRequestType 1, a live AE follows each new trade, under its TradeRequestID;
 *     2 ends the subscription;
 *   - other request types get AQ rejected (TradeRequestResult 8).
 * Corrections and cancellations of a trade go out as an AE with TradeReportTransType 2 or 1, to
 * every subscriber (correctTrade, cancelTrade). The local market does not bust trades yet; these
 * are for the operator.
 *
 * MarketDataRequest (V), per instrument: a snapshot (W) of best bid, best offer and last trade;
 * with SubscriptionRequestType 1, incremental refreshes (X) after each change. Unknown
 * instruments get MarketDataRequestReject (Y).
 *
 * Instruments are named as instrument.ts names them; prices and quantities are the local market's
 * decimal strings (units as its rules say).
 */
import type { LocalMarketAgent } from '../../market/lma/lma.js'
import type { TransactionRecord } from '../../market/lma/ledger.js'
import { shortBook } from '../../market/lma/lma.js'
import { fromTicks } from '../../schemas/decimal.js'
import { instrumentKey, type Instrument } from '../../market/lme/index.js'
import { instrumentOf, intervalOf } from './instrument.js'
import { rawFields, required, SIDE } from './fields.js'
import type { FixApplication, FixSessionHandle, ReceivedMessage } from './session/endpoint.js'

export interface ReportingOptions {
  /** A counterparty's session sees its own trades (the other side's order by its order id, not its owner's tenderID); a regulator's (no partyID) sees all. */
  partyID?: string
  /** Send every new transaction as ER + AE without being asked. */
  dropCopies?: boolean
  onError?: (error: Error) => void
}

/** One match: the buyer's and the seller's transaction. */
interface Trade {
  tradeReportID: string
  buy: TransactionRecord
  sell: TransactionRecord
}

interface MdEntries { bid?: [number, number], offer?: [number, number], trade?: [number, number] }

export class FixTradeReporting implements FixApplication {
  private session: FixSessionHandle | undefined
  /** Live trade subscriptions: TradeRequestID -> the instrument it is limited to, if any. */
  private readonly subscriptions = new Map<string, string | undefined>()
  /** Live market data subscriptions: MDReqID -> book key, and what was sent last. */
  private readonly marketData = new Map<string, { book: string, instrument: Instrument, last: MdEntries }>()
  private readonly lastTrade = new Map<string, [number, number]>()
  private readonly unsubscribe: Array<() => void> = []

  constructor (private readonly lma: LocalMarketAgent, private readonly options: ReportingOptions = {}) {
    for (const t of lma.allTransactions()) this.lastTrade.set(t.book, [t.priceTicks, t.quantityTicks])
    this.unsubscribe.push(lma.onTransactions((ts) => this.onTransactions(ts)))
    this.unsubscribe.push(lma.onEvents((events) => {
      const books = new Set(events.map((e) => e.book))
      for (const [id, sub] of this.marketData) if (books.has(sub.book)) this.refresh(id)
    }))
  }

  /** Stops listening to the market. */
  close (): void {
    for (const u of this.unsubscribe.splice(0)) u()
  }

  onLogon (session: FixSessionHandle): void {
    this.session = session
  }

  onLogout (): void {
    this.session = undefined
    this.subscriptions.clear()
    this.marketData.clear()
  }

  onMessage (message: ReceivedMessage, session: FixSessionHandle): void {
    this.session = session
    const f = rawFields(message.text)
    try {
      if (message.msgType === 'AD') this.tradeRequest(f)
      else if (message.msgType === 'V') this.marketDataRequest(f)
      else this.send('j', { RefSeqNum: message.seqNum, RefMsgType: message.msgType, BusinessRejectReason: 3, Text: `${message.msgType} is not taken on a reporting session` })
    } catch (error) {
      this.send('j', { RefSeqNum: message.seqNum, RefMsgType: message.msgType, BusinessRejectReason: 0, Text: (error as Error).message.slice(0, 200) })
    }
  }

  // ----------------------------------------------------------------------------------------
  // Trades

  /** The trades in scope, in the order made. */
  private trades (transactions: readonly TransactionRecord[] = this.lma.allTransactions()): Trade[] {
    const byMatch = new Map<string, Partial<Trade>>()
    for (const t of transactions) {
      const id = `tr-${shortBook(t.book)}-${t.matchNumber}`
      const trade = byMatch.get(id) ?? { tradeReportID: id }
      trade[t.side] = t
      byMatch.set(id, trade)
    }
    const partyID = this.options.partyID
    return [...byMatch.values()]
      .filter((t): t is Trade => t.buy !== undefined && t.sell !== undefined)
      .filter((t) => partyID === undefined || t.buy.partyID === partyID || t.sell.partyID === partyID)
  }

  private onTransactions (transactions: readonly TransactionRecord[]): void {
    for (const t of transactions) this.lastTrade.set(t.book, [t.priceTicks, t.quantityTicks])
    if (this.session === undefined) return
    const trades = this.trades(transactions)
    for (const trade of trades) {
      if (this.options.dropCopies === true) {
        for (const side of [trade.buy, trade.sell]) {
          if (this.options.partyID === undefined || side.partyID === this.options.partyID) this.executionReport(side)
        }
        this.captureReport(trade, { transType: 0 })
      }
      for (const [requestID, securityID] of this.subscriptions) {
        if (securityID === undefined || securityID === securityIDOf(trade.buy.instrument)) this.captureReport(trade, { transType: 0, requestID })
      }
    }
  }

  private tradeRequest (f: Map<number, string>): void {
    const requestID = required(f, 568, 'TradeRequestID')
    const requestType = required(f, 569, 'TradeRequestType')
    const subscription = f.get(263) ?? '0'
    const securityID = f.get(48)
    const ack = (status: number, result: number, total?: number, text?: string) => this.send('AQ', {
      TradeRequestID: requestID, TradeRequestType: Number(requestType), SubscriptionRequestType: subscription,
      ...(total !== undefined && { TotNumTradeReports: total }), TradeRequestResult: result, TradeRequestStatus: status,
      Instrument: securityID === undefined ? { Symbol: '[N/A]' } : { Symbol: instrumentOf(intervalOf(securityID).dtStart, intervalOf(securityID).duration).symbol, SecurityID: securityID, SecurityIDSource: '8' },
      ...(text !== undefined && { Text: text })
    })
    if (subscription === '2') {
      this.subscriptions.delete(requestID)
      ack(1, 0, 0)
      return
    }
    if (requestType !== '0') return ack(2, 8, 0, `TradeRequestType ${requestType} is not supported: only 0 (all trades)`)
    if (subscription !== '0' && subscription !== '1') return ack(2, 99, 0, `SubscriptionRequestType ${subscription} is not supported`)
    if (securityID !== undefined) intervalOf(securityID)
    const trades = this.trades().filter((t) => securityID === undefined || securityIDOf(t.buy.instrument) === securityID)
    ack(0, 0, trades.length)
    trades.forEach((t, i) => this.captureReport(t, { transType: 0, requestID, total: trades.length, last: i === trades.length - 1, previouslyReported: true }))
    ack(1, 0, trades.length)
    if (subscription === '1') this.subscriptions.set(requestID, securityID)
  }

  /** A correction (new price or quantity) of a trade, to every subscriber: AE with TradeReportTransType 2. */
  correctTrade (tradeReportID: string, correction: { priceTicks?: number, quantityTicks?: number }): void {
    this.amend(tradeReportID, 2, correction)
  }

  /** A cancellation (bust) of a trade, to every subscriber: AE with TradeReportTransType 1. */
  cancelTrade (tradeReportID: string): void {
    this.amend(tradeReportID, 1, {})
  }

  private amend (tradeReportID: string, transType: 1 | 2, correction: { priceTicks?: number, quantityTicks?: number }): void {
    const trade = this.trades().find((t) => t.tradeReportID === tradeReportID)
    if (trade === undefined) throw new Error(`no trade ${tradeReportID}`)
    const corrected = { ...trade, buy: { ...trade.buy, ...correction }, sell: { ...trade.sell, ...correction } }
    // Each subscription under its TradeRequestID; the drop copy without one.
    const targets: Array<string | undefined> = [...this.subscriptions.keys(), ...(this.options.dropCopies === true ? [undefined] : [])]
    for (const requestID of targets) this.captureReport(corrected, { transType, ...(requestID !== undefined && { requestID }), refID: trade.tradeReportID })
  }

  private captureReport (trade: Trade, r: { transType: 0 | 1 | 2, requestID?: string, total?: number, last?: boolean, previouslyReported?: boolean, refID?: string }): void {
    const { priceScale, quantityScale } = this.scales(trade.buy.instrument)
    // A counterparty's session sees the other side's order by its order id: tenderIDs are each party's own.
    const counterparty = this.options.partyID
    const side = (t: TransactionRecord) => ({
      Side: SIDE[t.side],
      OrderID: counterparty === undefined || t.partyID === counterparty ? t.tenderID : this.lma.tender(t.partyID, t.tenderID)?.orderID ?? '[N/A]',
      Parties: { NoPartyIDs: [{ PartyID: t.partyID, PartyIDSource: 'D', PartyRole: 3 }] }
    })
    this.send('AE', {
      TradeReportID: r.transType === 0 ? trade.tradeReportID : `${trade.tradeReportID}-${r.transType === 1 ? 'c' : 'r'}${Date.now()}`,
      TradeReportTransType: r.transType, TradeReportType: 0,
      ...(r.refID !== undefined && { TradeReportRefID: r.refID }),
      ...(r.requestID !== undefined && { TradeRequestID: r.requestID }),
      ...(r.total !== undefined && { TotNumTradeReports: r.total }),
      ...(r.last !== undefined && { LastRptRequested: r.last }),
      ExecID: trade.tradeReportID, PreviouslyReported: r.previouslyReported === true,
      Instrument: this.instrument(trade.buy.instrument),
      LastQty: fromTicks(trade.buy.quantityTicks, quantityScale), LastPx: fromTicks(trade.buy.priceTicks, priceScale),
      TradeDate: trade.buy.createdAt.slice(0, 10).replaceAll('-', ''), TransactTime: new Date(trade.buy.createdAt),
      TrdCapRptSideGrp: { NoSides: [side(trade.buy), side(trade.sell)] }
    })
  }

  private executionReport (t: TransactionRecord): void {
    const { priceScale, quantityScale } = this.scales(t.instrument)
    const tender = this.lma.tender(t.partyID, t.tenderID)
    const leaves = tender === undefined ? 0 : tender.quantityTicks - tender.filledTicks - tender.canceledTicks
    const filled = tender?.filledTicks ?? t.quantityTicks
    this.send('8', {
      OrderID: t.tenderID, ClOrdID: t.tenderID, ExecID: t.transactionID, ExecType: 'F', OrdStatus: leaves === 0 ? '2' : '1',
      Instrument: this.instrument(t.instrument), Side: SIDE[t.side],
      LastQty: fromTicks(t.quantityTicks, quantityScale), LastPx: fromTicks(t.priceTicks, priceScale),
      LeavesQty: fromTicks(leaves, quantityScale), CumQty: fromTicks(filled, quantityScale), AvgPx: fromTicks(t.priceTicks, priceScale),
      TransactTime: new Date(t.createdAt),
      Parties: { NoPartyIDs: [{ PartyID: t.partyID, PartyIDSource: 'D', PartyRole: 3 }] }
    })
  }

  // ----------------------------------------------------------------------------------------
  // Market data

  private marketDataRequest (f: Map<number, string>): void {
    const mdReqID = required(f, 262, 'MDReqID')
    const subscription = required(f, 263, 'SubscriptionRequestType')
    if (subscription === '2') {
      this.marketData.delete(mdReqID)
      return
    }
    const securityID = f.get(48)
    const known = securityID === undefined ? undefined : this.lma.books().find((i) => securityIDOf(i) === securityID)
    if (known === undefined) {
      this.send('Y', { MDReqID: mdReqID, MDReqRejReason: '0', Text: securityID === undefined ? 'name the interval by SecurityID (48)' : `no book for ${securityID}` })
      return
    }
    const entries = this.entries(known)
    const { priceScale, quantityScale } = this.scales(known)
    this.send('W', {
      MDReqID: mdReqID, Instrument: this.instrument(known),
      MDFullGrp: { NoMDEntries: mdList(entries).map(([type, [px, size]]) => ({ MDEntryType: type, MDEntryPx: fromTicks(px, priceScale), MDEntrySize: fromTicks(size, quantityScale) })) }
    })
    if (subscription === '1') this.marketData.set(mdReqID, { book: instrumentKey(known), instrument: known, last: entries })
  }

  private refresh (mdReqID: string): void {
    const sub = this.marketData.get(mdReqID)!
    const now = this.entries(sub.instrument)
    const { priceScale, quantityScale } = this.scales(sub.instrument)
    const changes: Array<Record<string, unknown>> = []
    for (const [type, key] of [['0', 'bid'], ['1', 'offer'], ['2', 'trade']] as const) {
      const before = sub.last[key]
      const after = now[key]
      if (before?.[0] === after?.[0] && before?.[1] === after?.[1]) continue
      const action = after === undefined ? '2' : before === undefined ? '0' : '1'
      const [px, size] = after ?? before!
      changes.push({ MDUpdateAction: action, MDEntryType: type, Instrument: this.instrument(sub.instrument), MDEntryPx: fromTicks(px, priceScale), MDEntrySize: fromTicks(size, quantityScale) })
    }
    sub.last = now
    if (changes.length > 0) this.send('X', { MDReqID: mdReqID, MDIncGrp: { NoMDEntries: changes } })
  }

  private entries (instrument: Instrument): MdEntries {
    // After every change of a subscribed book: the top of book only.
    const book = this.lma.snapshot(instrument, { depth: 1, orders: false })
    const out: MdEntries = {}
    const bid = book?.bids[0]
    const ask = book?.asks[0]
    if (bid !== undefined) out.bid = [bid.price, bid.quantity]
    if (ask !== undefined) out.offer = [ask.price, ask.quantity]
    const trade = this.lastTrade.get(instrumentKey(instrument))
    if (trade !== undefined) out.trade = trade
    return out
  }

  // ----------------------------------------------------------------------------------------

  private scales (instrument: Instrument): { priceScale: number, quantityScale: number } {
    const market = this.lma.markets.get(instrument.marketContext)
    if (market === undefined) throw new Error(`no market ${instrument.marketContext}`)
    return { priceScale: market.rules.priceScale, quantityScale: market.rules.quantityScale }
  }

  private instrument (i: Instrument) {
    const { symbol, securityID, securityIDSource } = instrumentOf(i.dtStart, i.duration)
    return { Symbol: symbol, SecurityID: securityID, SecurityIDSource: securityIDSource }
  }

  private send (msgType: string, body: Record<string, unknown>): void {
    const session = this.session
    if (session === undefined) return
    // The session sends in call order, so reports go out in the order they were made.
    session.send(msgType, body).catch((error: unknown) => this.options.onError?.(error as Error))
  }
}

function securityIDOf (i: Instrument): string {
  return instrumentOf(i.dtStart, i.duration).securityID
}

function mdList (e: MdEntries): Array<[string, [number, number]]> {
  return ([['0', e.bid], ['1', e.offer], ['2', e.trade]] as const).filter((x): x is ['0' | '1' | '2', [number, number]] => x[1] !== undefined)
}
