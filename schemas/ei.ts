/**
 * Energy Interoperation classes of CTS rev 0.4 (EIClasses.xsd): tender, transaction, quote,
 * response, delivery, registration and market context.
 */
import { z } from 'zod'
import { one, optional, oneOrMore, zeroOrMore, listOf, sequence } from './sequence.js'
import { Delivery, deliveryFields, EnergyApparent, EnergyReactive, EnergyReal, PowerApparent, PowerReactive, PowerReal, Product, StandardTerms } from './emix.js'
import { AnyURI, DateTime, Description, Text, Duration, MarketContext, Quantity, ResponseCode, Uid, UnsignedInt } from './simple-types.js'

/** ei:eiTender: an offer to buy or sell one product. */
export const EiTender = sequence('ei:EiTenderType', {
  tenderID: one('ei:tenderID', Uid),
  product: one('emix:product', Product)
})

/** ei:eiTransaction: an agreement that accepts (part of) a tender. */
export const EiTransaction = sequence('ei:EiTransactionType', {
  transactionID: one('ei:transactionID', Uid),
  tenderID: optional('ei:tenderID', Uid),
  product: one('emix:product', Product)
})

/** ei:eiQuote: a price indication, not actionable. */
export const EiQuote = sequence('ei:EiQuoteType', {
  quoteID: one('ei:quoteID', Uid),
  product: oneOrMore('emix:product', Product)
})

const durationTerm = (typeName: string) => sequence(typeName, { duration: one('xcal:duration', Duration) })

/** emix:marketGranularity: the smallest quantity step of a market, with its unit. */
export const MarketGranularity = sequence('emix:MarketGranularityType', {
  quantity: one('emix:quantity', Quantity),
  energyReal: optional('power:energyReal', EnergyReal),
  energyApparent: optional('power:energyApparent', EnergyApparent),
  energyReactive: optional('power:energyReactive', EnergyReactive),
  powerReal: optional('power:powerReal', PowerReal),
  powerApparent: optional('power:powerApparent', PowerApparent),
  powerReactive: optional('power:powerReactive', PowerReactive)
}, [{ keys: ['energyReal', 'energyApparent', 'energyReactive', 'powerReal', 'powerApparent', 'powerReactive'], required: true }])

/**
 * ei:responseTermViolated: a description and the emix:baseTerm that was violated. Supported
 * terms: the duration terms and marketGranularity (schedule and remuneration terms are not).
 */
export const ResponseTermViolated = sequence('ei:ResponseTermViolatedType', {
  responseDescription: one('ei:responseDescription', Description),
  minimumResponseDuration: optional('emix:minimumResponseDuration', durationTerm('emix:MinimumResponseDurationType')),
  maximumResponseDuration: optional('emix:maximumResponseDuration', durationTerm('emix:MaximumResponseDurationType')),
  minimumRecoveryDuration: optional('emix:minimumRecoveryDuration', durationTerm('emix:MinimumRecoveryDurationType')),
  minimumDurationBetweenInvocations: optional('emix:minimumDurationBetweenInvocations', durationTerm('emix:MinimumDurationBetweenInvocationsType')),
  minimumNotificationDuration: optional('emix:minimumNotificationDuration', durationTerm('emix:MinimumNotificationDurationType')),
  maximumNotificationDuration: optional('emix:maximumNotificationDuration', durationTerm('emix:MaximumNotificationDurationType')),
  responseTime: optional('emix:responseTime', durationTerm('emix:ResponseTimeType')),
  maximumRunDuration: optional('emix:maximumRunDuration', durationTerm('emix:MaximumRunDurationType')),
  minimumRunDuration: optional('emix:minimumRunDuration', durationTerm('emix:MinimumRunDurationType')),
  marketGranularity: optional('emix:marketGranularity', MarketGranularity)
}, [{
  keys: ['minimumResponseDuration', 'maximumResponseDuration', 'minimumRecoveryDuration', 'minimumDurationBetweenInvocations',
    'minimumNotificationDuration', 'maximumNotificationDuration', 'responseTime', 'maximumRunDuration', 'minimumRunDuration',
    'marketGranularity'],
  required: true
}])

/** ei:eiResponse: the answer every CTS response payload carries; refID echoes the request's requestID. */
export const EiResponse = sequence('ei:EiResponseType', {
  responseCode: one('ei:responseCode', ResponseCode),
  responseDescription: optional('ei:responseDescription', Description),
  refID: one('ei:refID', Uid),
  responseTermsViolated: listOf('ei:responseTermsViolated', 'ei:responseTermViolated', ResponseTermViolated, 0),
  createdDateTime: optional('ei:createdDateTime', DateTime)
})

/** ei:eiDelivery: a delivery report (emix:DeliveryType) with its id and creation time. */
export const EiDelivery = sequence('ei:EiDeliveryType', {
  ...deliveryFields,
  eiDeliveryID: one('ei:eiDeliveryID', Uid),
  createdDateTime: one('ei:createdDateTime', DateTime),
  schemaVersion: optional('ei:schemaVersion', Text, { attribute: true })
})

export { Delivery }

/**
 * ei:eiRegistrationInfo is abstract in rev 0.4 ("markets that use registration should extend this
 * abstract class"). Ours, tex:RegistrationInfoType, says who the party is and where to reach it.
 */
export const RegistrationInfo = sequence('tex:RegistrationInfoType', {
  partyName: optional('tex:partyName', Text.min(1, 'must not be empty')),
  partyRole: optional('ei:partyRole', Text.min(1, 'must not be empty')),
  callbackURI: optional('tex:callbackURI', AnyURI),
  marketContext: zeroOrMore('emix:marketContext', MarketContext)
})

/** ei:eiRegistration is abstract too; tex:PartyRegistrationType adds the id and time of registration. */
export const EiRegistration = sequence('tex:PartyRegistrationType', {
  registreePartyID: zeroOrMore('ei:registreePartyID', Uid),
  registrarPartyID: one('ei:registrarPartyID', Uid),
  eiRegistrationInfo: one('ei:eiRegistrationInfo', RegistrationInfo, { xsiType: 'tex:RegistrationInfoType' }),
  registrationID: one('ei:registrationID', Uid),
  createdDateTime: optional('ei:createdDateTime', DateTime)
})

export const SimpleLevelContext = sequence('ei:SimpleLevelContextType', {
  levelNormalValue: optional('ei:levelNormalValue', UnsignedInt),
  levelUpperLimit: optional('ei:levelUpperLimit', UnsignedInt)
})

/** ei:eiMarketContext: a market's name and standard terms (currency, granularity, time zone). */
export const EiMarketContext = sequence('ei:EiMarketContextType', {
  marketContext: one('emix:marketContext', MarketContext),
  marketName: optional('ei:marketName', Text),
  standardTerms: optional('emix:standardTerms', StandardTerms),
  simpleLevelContext: optional('ei:simpleLevelContext', SimpleLevelContext),
  createdDateTime: optional('ei:createdDateTime', DateTime),
  schemaVersion: optional('ei:schemaVersion', Text, { attribute: true })
})

export type EiTender = z.infer<typeof EiTender>
export type EiTransaction = z.infer<typeof EiTransaction>
export type EiQuote = z.infer<typeof EiQuote>
export type EiResponse = z.infer<typeof EiResponse>
export type EiDelivery = z.infer<typeof EiDelivery>
export type EiRegistration = z.infer<typeof EiRegistration>
export type EiMarketContext = z.infer<typeof EiMarketContext>
