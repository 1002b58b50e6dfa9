/**
 * The 27 payloads of CTS rev 0.4 (EiPayloads.xsd), each a sequence in XSD order. The JSON key of
 * every element is its CTS name; pyld:requestID is echoed by the answer's eiResponse.refID.
 */
import { z } from 'zod'
import { one, optional, oneOrMore, zeroOrMore, listOf, sequence } from './sequence.js'
import { EiDelivery, EiQuote, EiRegistration, EiResponse, EiTender, EiTransaction, RegistrationInfo } from './ei.js'
import { Delivery, StreamInterval } from './emix.js'
import { MarketContext, Uid } from './simple-types.js'

const requestID = one('pyld:requestID', Uid)
const eiResponse = one('ei:eiResponse', EiResponse)
/** strm:intervals in a request: limits the answer to products within these intervals. */
const intervals = listOf('strm:intervals', 'strm:streamInterval', StreamInterval, 1)

// Tender service

export const EiCreateTender = sequence('pyld:EiCreateTenderType', {
  requestID,
  partyID: one('ei:partyID', Uid),
  counterPartyID: one('ei:counterPartyID', Uid),
  eiTender: oneOrMore('ei:eiTender', EiTender)
})

export const EiCreatedTender = sequence('pyld:EiCreatedTenderType', {
  eiResponse,
  partyID: one('ei:partyID', Uid),
  counterPartyID: optional('ei:counterPartyID', Uid),
  tenderID: zeroOrMore('ei:tenderID', Uid)
})

export const EiRequestTender = sequence('pyld:EiRequestTenderType', {
  requestID,
  partyID: one('ei:partyID', Uid),
  counterPartyID: zeroOrMore('ei:counterPartyID', Uid),
  requestorPartyID: one('ei:requestorPartyID', Uid),
  marketContext: zeroOrMore('emix:marketContext', MarketContext),
  tenderID: zeroOrMore('ei:tenderID', Uid),
  intervals
})

export const EiReplyTender = sequence('pyld:EiReplyTenderType', {
  eiResponse,
  eiTender: zeroOrMore('ei:eiTender', EiTender)
})

export const EiCancelTender = sequence('pyld:EiCancelTenderType', {
  requestID,
  partyID: one('ei:partyID', Uid),
  counterPartyID: optional('ei:counterPartyID', Uid),
  tenderID: oneOrMore('ei:tenderID', Uid)
})

export const EiCanceledTender = sequence('pyld:EiCanceledTenderType', {
  eiResponse,
  partyID: one('ei:partyID', Uid),
  counterPartyID: optional('ei:counterPartyID', Uid)
})

export const EiDistributeTender = sequence('pyld:EiDistributeTenderType', {
  requestID,
  partyID: one('ei:partyID', Uid),
  eiTender: oneOrMore('ei:eiTender', EiTender)
})

// Transaction service

export const EiCreateTransaction = sequence('pyld:EiCreateTransactionType', {
  requestID,
  partyID: one('ei:partyID', Uid),
  counterPartyID: one('ei:counterPartyID', Uid),
  eiTransaction: oneOrMore('ei:eiTransaction', EiTransaction)
})

/** Note the XSD order: counterPartyID comes first here, and is required. */
export const EiCreatedTransaction = sequence('pyld:EiCreatedTransactionType', {
  counterPartyID: one('ei:counterPartyID', Uid),
  partyID: one('ei:partyID', Uid),
  eiResponse,
  transactionID: zeroOrMore('ei:transactionID', Uid)
})

export const EiRequestTransaction = sequence('pyld:EiRequestTransactionType', {
  requestID,
  partyID: one('ei:partyID', Uid),
  counterPartyID: zeroOrMore('ei:counterPartyID', Uid),
  requestorPartyID: one('ei:requestorPartyID', Uid),
  marketContext: zeroOrMore('emix:marketContext', MarketContext),
  transactionID: zeroOrMore('ei:transactionID', Uid),
  intervals
})

export const EiReplyTransaction = sequence('pyld:EiReplyTransactionType', {
  eiResponse,
  eiTransaction: zeroOrMore('ei:eiTransaction', EiTransaction)
})

// Quote service

export const EiCreateQuote = sequence('pyld:EiCreateQuoteType', {
  requestID,
  publisherPartyID: one('ei:publisherPartyID', Uid),
  subscriberPartyID: one('ei:subscriberPartyID', Uid),
  eiQuote: oneOrMore('ei:eiQuote', EiQuote)
})

export const EiCreatedQuote = sequence('pyld:EiCreatedQuoteType', {
  eiResponse,
  subscriberPartyID: one('ei:subscriberPartyID', Uid),
  publisherPartyID: optional('ei:publisherPartyID', Uid),
  quoteID: zeroOrMore('ei:quoteID', Uid)
})

export const EiCancelQuote = sequence('pyld:EiCancelQuoteType', {
  requestID,
  subscriberPartyID: optional('ei:subscriberPartyID', Uid),
  publisherPartyID: one('ei:publisherPartyID', Uid),
  quoteID: oneOrMore('ei:quoteID', Uid)
})

export const EiCanceledQuote = sequence('pyld:EiCanceledQuoteType', {
  eiResponse,
  subscriberPartyID: optional('ei:subscriberPartyID', Uid),
  publisherPartyID: optional('ei:publisherPartyID', Uid)
})

export const EiRequestQuote = sequence('pyld:EiRequestQuoteType', {
  requestID,
  requestorPartyID: one('ei:requestorPartyID', Uid),
  publisherPartyID: one('ei:publisherPartyID', Uid),
  marketContext: zeroOrMore('emix:marketContext', MarketContext),
  quoteID: zeroOrMore('ei:quoteID', Uid),
  intervals
})

export const EiReplyQuote = sequence('pyld:EiReplyQuoteType', {
  eiResponse,
  eiQuote: zeroOrMore('ei:eiQuote', EiQuote)
})

// Delivery

export const EiCreateDelivery = sequence('pyld:EiCreateDeliveryType', {
  requestID,
  requestorPartyID: one('ei:requestorPartyID', Uid),
  delivery: oneOrMore('emix:delivery', Delivery)
})

export const EiCreatedDelivery = sequence('pyld:EiCreatedDeliveryType', {
  eiResponse,
  eiDelivery: zeroOrMore('ei:eiDelivery', EiDelivery)
})

// Party registration

export const EiCreatePartyRegistration = sequence('pyld:EiCreatePartyRegistrationType', {
  requestID,
  registreePartyID: optional('ei:registreePartyID', Uid),
  eiRegistrationInfo: one('ei:eiRegistrationInfo', RegistrationInfo, { xsiType: 'tex:RegistrationInfoType' })
})

export const EiCreatedPartyRegistration = sequence('pyld:EiCreatedPartyRegistrationType', {
  eiResponse,
  registrarPartyID: optional('ei:registrarPartyID', Uid),
  registrationID: optional('ei:registrationID', Uid),
  registreePartyID: optional('ei:registreePartyID', Uid)
})

export const EiRequestPartyRegistration = sequence('pyld:EiRequestPartyRegistrationType', {
  requestID,
  registreePartyID: one('ei:registreePartyID', Uid),
  registrarPartyID: optional('ei:registrarPartyID', Uid),
  requestorPartyID: one('ei:requestorPartyID', Uid),
  registrationID: zeroOrMore('ei:registrationID', Uid),
  intervals
})

/** Note the XSD order: the registrations come before the eiResponse. */
export const EiReplyPartyRegistration = sequence('pyld:EiReplyPartyRegistrationType', {
  eiRegistration: zeroOrMore('ei:eiRegistration', EiRegistration, { xsiType: 'tex:PartyRegistrationType' }),
  eiResponse
})

export const EiCancelPartyRegistration = sequence('pyld:EiCancelPartyRegistrationType', {
  requestID,
  registreePartyID: one('ei:registreePartyID', Uid),
  registrarPartyID: one('ei:registrarPartyID', Uid),
  registrationID: oneOrMore('ei:registrationID', Uid)
})

/** The XSD allows any number of eiResponse here (0..n), unlike every other answer. */
export const EiCanceledPartyRegistration = sequence('pyld:EiCanceledPartyRegistrationType', {
  respondingPartyID: one('ei:respondingPartyID', Uid),
  registreePartyID: one('ei:registreePartyID', Uid),
  registrarPartyID: one('ei:registrarPartyID', Uid),
  eiResponse: zeroOrMore('ei:eiResponse', EiResponse)
})

// Market context

export const EiRequestEiMarketContext = sequence('pyld:EiRequestEiMarketContextType', {
  requestID,
  marketContext: oneOrMore('emix:marketContext', MarketContext),
  partyID: optional('ei:partyID', Uid)
})

/** Rev 0.4 gives this answer nothing but the eiResponse; see tex:eiReplyMarketRules for the rules. */
export const EiReplyEiMarketContext = sequence('pyld:EiReplyEiMarketContextType', {
  eiResponse
})

export type EiCreateTender = z.infer<typeof EiCreateTender>
export type EiCreatedTender = z.infer<typeof EiCreatedTender>
export type EiCancelTender = z.infer<typeof EiCancelTender>
export type EiCanceledTender = z.infer<typeof EiCanceledTender>
export type EiCreateTransaction = z.infer<typeof EiCreateTransaction>
export type EiCreatedTransaction = z.infer<typeof EiCreatedTransaction>
