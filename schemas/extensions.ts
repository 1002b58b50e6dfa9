/**
 * Extensions: messages a market needs that CTS rev 0.4 lacks, named after eml-cts and the OASIS
 * CTS 1.0 drafts (position, stream tenders, quote accept/reject, RFQ, ticker subscriptions and
 * tickers) plus the market's rules. They follow the rev 0.4 conventions (string ids, lower-case
 * enums, 3-digit response codes, xCal time, CTS elements reused by reference) and live in our own
 * namespace, `urn:te-gateway:cts-extensions:1` (prefix tex), declared by
 * schemas/xsd/te-gateway-extensions.xsd.
 */
import { z } from 'zod'
import { one, optional, oneOrMore, zeroOrMore, listOf, sequence } from './sequence.js'
import { EiQuote, EiResponse, EiTender, EiTransaction } from './ei.js'
import { EnergyReal, Product } from './emix.js'
import { Currency, DateTime, DateTimeDate, Description, Text, Duration, MarketContext, SignedQuantity, Uid, UnsignedInt } from './simple-types.js'

const requestID = one('pyld:requestID', Uid)
const eiResponse = one('ei:eiResponse', EiResponse)

export const ResourceDesignator = z.enum(['energy', 'power', 'transport', 'waterPressure', 'waterFlow', 'gasPressure', 'gasFlow', 'bandwidth'])
export const TickerType = z.enum(['quotes', 'rfqs', 'tenders', 'transactions'])
export const SubscriptionAction = z.enum(['snapshot', 'snapshotAndUpdates', 'cancel'])
export const MarketMechanism = z.enum(['continuous', 'callAuction'])

/** tex:boundingInterval: a time span, dtStart plus duration. */
export const BoundingInterval = sequence('tex:BoundingIntervalType', {
  dtStart: one('xcal:dtStart', DateTimeDate),
  duration: one('xcal:duration', Duration)
})

// Position (CTS 1.0 position facet; eml-cts EiRequestPositionPayload / EiReplyPositionPayload)

export const PositionInterval = sequence('tex:PositionIntervalType', {
  uid: one('strm:uid', Uid),
  netQuantity: one('tex:netQuantity', SignedQuantity)
})

/** A party's net position per interval: interval k covers [dtStart + k*duration, ...); buy +, sell -. */
export const PositionStream = sequence('tex:PositionStreamType', {
  dtStart: one('xcal:dtStart', DateTimeDate),
  duration: one('xcal:duration', Duration),
  energyReal: optional('power:energyReal', EnergyReal),
  intervals: listOf('tex:intervals', 'tex:positionInterval', PositionInterval, 1)
})

export const EiRequestPosition = sequence('tex:EiRequestPositionType', {
  requestID,
  requestorPartyID: one('ei:requestorPartyID', Uid),
  positionPartyID: one('tex:positionPartyID', Uid),
  marketContext: optional('emix:marketContext', MarketContext),
  boundingInterval: one('tex:boundingInterval', BoundingInterval),
  resourceDesignator: optional('tex:resourceDesignator', ResourceDesignator)
})

export const EiReplyPosition = sequence('tex:EiReplyPositionType', {
  eiResponse,
  requestorPartyID: optional('ei:requestorPartyID', Uid),
  positionPartyID: one('tex:positionPartyID', Uid),
  marketContext: optional('emix:marketContext', MarketContext),
  boundingInterval: one('tex:boundingInterval', BoundingInterval),
  position: optional('tex:position', PositionStream)
})

// Stream tenders: one tender over several consecutive intervals, split by the market into one
// tender per interval (eml-cts EiCreateStreamTenderPayload).

export const EiCreateStreamTender = sequence('tex:EiCreateStreamTenderType', {
  requestID,
  partyID: one('ei:partyID', Uid),
  counterPartyID: one('ei:counterPartyID', Uid),
  eiTender: oneOrMore('ei:eiTender', EiTender)
}, [], (value, ctx) => {
  value.eiTender.forEach((tender, i) => {
    if ((tender.product.intervals?.length ?? 0) === 0) {
      ctx.addIssue({ code: 'custom', path: ['eiTender', i, 'product', 'intervals'], message: 'a stream tender needs product.intervals' })
    }
  })
})

export const IntervalTender = sequence('tex:IntervalTenderType', {
  uid: one('strm:uid', Uid),
  tenderID: one('ei:tenderID', Uid)
})

/** The tender per interval that the market created for one stream tender. */
export const StreamTender = sequence('tex:StreamTenderType', {
  tenderID: one('ei:tenderID', Uid),
  intervalTender: oneOrMore('tex:intervalTender', IntervalTender)
})

export const EiCreatedStreamTender = sequence('tex:EiCreatedStreamTenderType', {
  eiResponse,
  partyID: one('ei:partyID', Uid),
  counterPartyID: optional('ei:counterPartyID', Uid),
  streamTender: zeroOrMore('tex:streamTender', StreamTender)
})

// Quote negotiation (CTS 1.0 negotiation facet: accept or reject a quote)

export const EiAcceptQuote = sequence('tex:EiAcceptQuoteType', {
  requestID,
  partyID: one('ei:partyID', Uid),
  counterPartyID: one('ei:counterPartyID', Uid),
  quoteID: one('ei:quoteID', Uid),
  product: one('emix:product', Product)
})

export const EiAcceptedQuote = sequence('tex:EiAcceptedQuoteType', {
  eiResponse,
  partyID: one('ei:partyID', Uid),
  counterPartyID: optional('ei:counterPartyID', Uid),
  quoteID: one('ei:quoteID', Uid),
  transactionID: zeroOrMore('ei:transactionID', Uid)
})

export const EiRejectQuote = sequence('tex:EiRejectQuoteType', {
  requestID,
  partyID: one('ei:partyID', Uid),
  counterPartyID: optional('ei:counterPartyID', Uid),
  quoteID: oneOrMore('ei:quoteID', Uid),
  responseDescription: optional('ei:responseDescription', Description)
})

export const EiRejectedQuote = sequence('tex:EiRejectedQuoteType', {
  eiResponse,
  partyID: one('ei:partyID', Uid),
  counterPartyID: optional('ei:counterPartyID', Uid),
  quoteID: zeroOrMore('ei:quoteID', Uid)
})

// Request for quote

/** tex:eiRfq: asks the market for quotes on a product (the product's price may be left out). */
export const EiRfq = sequence('tex:EiRfqType', {
  rfqID: one('tex:rfqID', Uid),
  product: one('emix:product', Product),
  responseDeadline: optional('tex:responseDeadline', DateTime),
  tradeableOnly: optional('tex:tradeableOnly', z.boolean())
})

export const EiCreateRfq = sequence('tex:EiCreateRfqType', {
  requestID,
  partyID: one('ei:partyID', Uid),
  counterPartyID: one('ei:counterPartyID', Uid),
  eiRfq: oneOrMore('tex:eiRfq', EiRfq)
})

export const EiCreatedRfq = sequence('tex:EiCreatedRfqType', {
  eiResponse,
  partyID: one('ei:partyID', Uid),
  counterPartyID: optional('ei:counterPartyID', Uid),
  rfqID: zeroOrMore('tex:rfqID', Uid)
})

// Tickers

export const EiManageTickerSubscription = sequence('tex:EiManageTickerSubscriptionType', {
  requestID,
  partyID: one('ei:partyID', Uid),
  subscriptionID: optional('tex:subscriptionID', Uid),
  marketContext: zeroOrMore('emix:marketContext', MarketContext),
  tickerType: one('tex:tickerType', TickerType),
  subscriptionAction: one('tex:subscriptionAction', SubscriptionAction)
})

export const EiManagedTickerSubscription = sequence('tex:EiManagedTickerSubscriptionType', {
  eiResponse,
  partyID: one('ei:partyID', Uid),
  subscriptionID: one('tex:subscriptionID', Uid),
  tickerType: one('tex:tickerType', TickerType),
  subscriptionActionTaken: one('tex:subscriptionActionTaken', SubscriptionAction)
})

/**
 * tex:eiTicker: what a subscriber receives, a snapshot or an update. sequenceNumber counts the
 * subscription's tickers from 1, so a gap shows a lost update.
 */
export const EiTicker = sequence('tex:EiTickerType', {
  requestID,
  subscriptionID: one('tex:subscriptionID', Uid),
  tickerType: one('tex:tickerType', TickerType),
  sequenceNumber: one('tex:sequenceNumber', UnsignedInt),
  eiTender: zeroOrMore('ei:eiTender', EiTender),
  eiQuote: zeroOrMore('ei:eiQuote', EiQuote),
  eiTransaction: zeroOrMore('ei:eiTransaction', EiTransaction),
  eiRfq: zeroOrMore('tex:eiRfq', EiRfq)
})

// Market rules (the answer rev 0.4's eiReplyEiMarketContext cannot carry)

/**
 * tex:marketRules: what a participant must know to tender. Prices are decimals with at most
 * priceScale fraction digits in `currency` per quantity unit; quantities have at most
 * quantityScale fraction digits of `energyReal` (e.g. Wh + k = kWh). Products last `duration`,
 * start on multiples of `granularity` (UTC), and trading in an interval closes `gateClosure`
 * before it starts.
 */
export const MarketRules = sequence('tex:MarketRulesType', {
  marketContext: one('emix:marketContext', MarketContext),
  marketName: optional('ei:marketName', Text),
  currency: one('emix:currency', Currency),
  priceScale: one('tex:priceScale', UnsignedInt.max(18)),
  quantityScale: one('tex:quantityScale', UnsignedInt.max(18)),
  energyReal: one('power:energyReal', EnergyReal),
  granularity: one('xcal:granularity', Duration),
  duration: one('xcal:duration', Duration),
  gateClosure: one('tex:gateClosure', Duration),
  mechanism: one('tex:mechanism', MarketMechanism)
})

export const EiRequestMarketRules = sequence('tex:EiRequestMarketRulesType', {
  requestID,
  marketContext: zeroOrMore('emix:marketContext', MarketContext),
  partyID: optional('ei:partyID', Uid)
})

export const EiReplyMarketRules = sequence('tex:EiReplyMarketRulesType', {
  eiResponse,
  marketRules: zeroOrMore('tex:marketRules', MarketRules)
})

export type MarketRules = z.infer<typeof MarketRules>
