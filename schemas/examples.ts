/**
 * One valid example of every payload (the 27 of CTS rev 0.4 and our extensions), in our JSON
 * form. Tests round-trip them through XML and official JSON and validate them with the XSDs;
 * the conformance suite and the docs use them too.
 */
import type { Payload, PayloadName } from './registry.js'

const market = 'https://microgrid.example.org/markets/mg1'
const created = '2026-06-20T10:00:00.000Z'

const kWh = { itemDescription: 'RealEnergy' as const, itemUnits: 'Wh' as const, siScaleCode: 'k' as const }

function product (side: 'buy' | 'sell', price: string, quantity: string, transactiveState: 'tender' | 'transaction' | 'publication' = 'tender') {
  return {
    dtStart: '2026-06-20T12:00:00Z',
    duration: 'PT1H',
    temixPower: { price, energyReal: kWh, quantity },
    uid: `${side}-${price}-${quantity}`,
    transactiveState,
    expirationDate: '2026-06-20T11:55:00Z',
    integralOnly: false,
    currency: 'USD' as const,
    marketContext: market,
    side
  }
}

const streamProduct = {
  dtStart: '2026-06-20T12:00:00Z',
  duration: 'PT1H',
  temixPower: { energyReal: kWh, pnode: { node: 'feeder-7' } },
  intervals: [
    { uid: '0', temixPower: { price: '0.120', quantity: '10' } },
    { uid: '1', temixPower: { price: '0.130', quantity: '20' } },
    { uid: '2', temixPower: { price: '-0.010', quantity: '5.5' } }
  ],
  uid: 'stream-1',
  transactiveState: 'tender' as const,
  currency: 'USD' as const,
  marketContext: market,
  side: 'sell' as const
}

const ok = (refID: string) => ({ responseCode: '200', responseDescription: 'OK', refID, createdDateTime: created })

const window = [{ uid: 'window', temixPower: { quantity: '1' } }]

export const EXAMPLES: { [N in PayloadName]: Payload<N> } = {
  eiCreateTender: {
    requestID: 'req-1', partyID: 'teua-1', counterPartyID: 'lma',
    eiTender: [{ tenderID: 'tender-1', product: product('buy', '0.125', '50') }, { tenderID: 'tender-2', product: streamProduct }]
  },
  eiCreatedTender: { eiResponse: ok('req-1'), partyID: 'teua-1', counterPartyID: 'lma', tenderID: ['tender-1', 'tender-2'] },
  eiRequestTender: {
    requestID: 'req-2', partyID: 'teua-1', counterPartyID: ['lma'], requestorPartyID: 'teua-1',
    marketContext: [market], tenderID: ['tender-1'], intervals: window
  },
  eiReplyTender: { eiResponse: ok('req-2'), eiTender: [{ tenderID: 'tender-1', product: product('buy', '0.125', '50') }] },
  eiCancelTender: { requestID: 'req-3', partyID: 'teua-1', counterPartyID: 'lma', tenderID: ['tender-1'] },
  eiCanceledTender: { eiResponse: ok('req-3'), partyID: 'teua-1', counterPartyID: 'lma' },
  eiDistributeTender: { requestID: 'req-4', partyID: 'lma', eiTender: [{ tenderID: 'tender-9', product: product('sell', '0.110', '30') }] },
  eiCreateTransaction: {
    requestID: 'req-5', partyID: 'teua-1', counterPartyID: 'teua-2',
    eiTransaction: [{ transactionID: 'txn-1', tenderID: 'tender-1', product: product('buy', '0.110', '30', 'transaction') }]
  },
  eiCreatedTransaction: { counterPartyID: 'lma', partyID: 'teua-1', eiResponse: ok('req-5'), transactionID: ['txn-1'] },
  eiRequestTransaction: {
    requestID: 'req-6', partyID: 'teua-1', counterPartyID: ['teua-2'], requestorPartyID: 'teua-1',
    marketContext: [market], transactionID: ['txn-1']
  },
  eiReplyTransaction: {
    eiResponse: ok('req-6'),
    eiTransaction: [{ transactionID: 'txn-1', tenderID: 'tender-1', product: product('buy', '0.110', '30', 'transaction') }]
  },
  eiCreateQuote: {
    requestID: 'req-7', publisherPartyID: 'lma', subscriberPartyID: 'teua-1',
    eiQuote: [{ quoteID: 'quote-1', product: [product('sell', '0.115', '40', 'publication'), product('buy', '0.105', '25', 'publication')] }]
  },
  eiCreatedQuote: { eiResponse: ok('req-7'), subscriberPartyID: 'teua-1', publisherPartyID: 'lma', quoteID: ['quote-1'] },
  eiCancelQuote: { requestID: 'req-8', subscriberPartyID: 'teua-1', publisherPartyID: 'lma', quoteID: ['quote-1'] },
  eiCanceledQuote: { eiResponse: ok('req-8'), subscriberPartyID: 'teua-1', publisherPartyID: 'lma' },
  eiRequestQuote: { requestID: 'req-9', requestorPartyID: 'teua-1', publisherPartyID: 'lma', marketContext: [market], intervals: window },
  eiReplyQuote: { eiResponse: ok('req-9'), eiQuote: [{ quoteID: 'quote-1', product: [product('sell', '0.115', '40', 'publication')] }] },
  eiCreateDelivery: {
    requestID: 'req-10', requestorPartyID: 'lma',
    delivery: [{ dtStart: '2026-06-20T12:00:00Z', duration: 'PT1H', temixPower: { energyReal: kWh, meterAsset: { mrid: 'meter-17' } }, uid: 'delivery-1', injection: false }]
  },
  eiCreatedDelivery: {
    eiResponse: ok('req-10'),
    eiDelivery: [{
      dtStart: '2026-06-20T12:00:00Z', duration: 'PT1H', temixPower: { energyReal: kWh, quantity: '29.75', meterAsset: { mrid: 'meter-17' } },
      uid: 'delivery-1', injection: false, eiDeliveryID: 'del-1', createdDateTime: '2026-06-20T13:05:00Z', schemaVersion: '0.4'
    }]
  },
  eiCreatePartyRegistration: {
    requestID: 'req-11', registreePartyID: 'teua-1',
    eiRegistrationInfo: { partyName: 'House 12 battery', partyRole: 'teua', callbackURI: 'http://127.0.0.1:4001/teua/teua-1', marketContext: [market] }
  },
  eiCreatedPartyRegistration: { eiResponse: ok('req-11'), registrarPartyID: 'lma', registrationID: 'reg-1', registreePartyID: 'teua-1' },
  eiRequestPartyRegistration: { requestID: 'req-12', registreePartyID: 'teua-1', registrarPartyID: 'lma', requestorPartyID: 'teua-1', registrationID: ['reg-1'] },
  eiReplyPartyRegistration: {
    eiRegistration: [{
      registreePartyID: ['teua-1'], registrarPartyID: 'lma',
      eiRegistrationInfo: { partyRole: 'teua', callbackURI: 'http://127.0.0.1:4001/teua/teua-1' },
      registrationID: 'reg-1', createdDateTime: created
    }],
    eiResponse: ok('req-12')
  },
  eiCancelPartyRegistration: { requestID: 'req-13', registreePartyID: 'teua-1', registrarPartyID: 'lma', registrationID: ['reg-1'] },
  eiCanceledPartyRegistration: { respondingPartyID: 'lma', registreePartyID: 'teua-1', registrarPartyID: 'lma', eiResponse: [ok('req-13')] },
  eiRequestEiMarketContext: { requestID: 'req-14', marketContext: [market], partyID: 'teua-1' },
  eiReplyEiMarketContext: {
    eiResponse: {
      responseCode: '404', responseDescription: 'unknown market context', refID: 'req-14',
      responseTermsViolated: [{ responseDescription: 'intervals last one hour', minimumRunDuration: { duration: 'PT1H' } }],
      createdDateTime: created
    }
  },

  eiRequestPosition: {
    requestID: 'req-15', requestorPartyID: 'teua-1', positionPartyID: 'teua-1', marketContext: market,
    boundingInterval: { dtStart: '2026-06-20T12:00:00Z', duration: 'PT3H' }, resourceDesignator: 'energy'
  },
  eiReplyPosition: {
    eiResponse: ok('req-15'), requestorPartyID: 'teua-1', positionPartyID: 'teua-1', marketContext: market,
    boundingInterval: { dtStart: '2026-06-20T12:00:00Z', duration: 'PT3H' },
    position: {
      dtStart: '2026-06-20T12:00:00Z', duration: 'PT1H', energyReal: kWh,
      intervals: [{ uid: '0', netQuantity: '30' }, { uid: '1', netQuantity: '0' }, { uid: '2', netQuantity: '-12.5' }]
    }
  },
  eiCreateStreamTender: { requestID: 'req-16', partyID: 'teua-2', counterPartyID: 'lma', eiTender: [{ tenderID: 'stream-tender-1', product: streamProduct }] },
  eiCreatedStreamTender: {
    eiResponse: ok('req-16'), partyID: 'teua-2', counterPartyID: 'lma',
    streamTender: [{
      tenderID: 'stream-tender-1',
      intervalTender: [{ uid: '0', tenderID: 'tender-11' }, { uid: '1', tenderID: 'tender-12' }, { uid: '2', tenderID: 'tender-13' }]
    }]
  },
  eiAcceptQuote: { requestID: 'req-17', partyID: 'teua-1', counterPartyID: 'lma', quoteID: 'quote-1', product: product('buy', '0.115', '20') },
  eiAcceptedQuote: { eiResponse: ok('req-17'), partyID: 'teua-1', counterPartyID: 'lma', quoteID: 'quote-1', transactionID: ['txn-7'] },
  eiRejectQuote: { requestID: 'req-18', partyID: 'teua-1', counterPartyID: 'lma', quoteID: ['quote-1'], responseDescription: 'price too high' },
  eiRejectedQuote: { eiResponse: ok('req-18'), partyID: 'teua-1', counterPartyID: 'lma', quoteID: ['quote-1'] },
  eiCreateRfq: {
    requestID: 'req-19', partyID: 'teua-1', counterPartyID: 'lma',
    eiRfq: [{
      rfqID: 'rfq-1',
      product: { ...product('buy', '0', '25'), temixPower: { energyReal: kWh, quantity: '25' } },
      responseDeadline: '2026-06-20T11:00:00Z', tradeableOnly: true
    }]
  },
  eiCreatedRfq: { eiResponse: ok('req-19'), partyID: 'teua-1', counterPartyID: 'lma', rfqID: ['rfq-1'] },
  eiManageTickerSubscription: {
    requestID: 'req-20', partyID: 'teua-1', marketContext: [market], tickerType: 'transactions', subscriptionAction: 'snapshotAndUpdates'
  },
  eiManagedTickerSubscription: {
    eiResponse: ok('req-20'), partyID: 'teua-1', subscriptionID: 'sub-1', tickerType: 'transactions', subscriptionActionTaken: 'snapshotAndUpdates'
  },
  eiTicker: {
    requestID: 'req-21', subscriptionID: 'sub-1', tickerType: 'transactions', sequenceNumber: 1,
    eiTransaction: [{ transactionID: 'txn-1', product: product('buy', '0.110', '30', 'transaction') }]
  },
  eiRequestMarketRules: { requestID: 'req-22', marketContext: [market], partyID: 'teua-1' },
  eiReplyMarketRules: {
    eiResponse: ok('req-22'),
    marketRules: [{
      marketContext: market, marketName: 'Microgrid 1', currency: 'USD', priceScale: 3, quantityScale: 1,
      energyReal: kWh, granularity: 'PT1H', duration: 'PT1H', gateClosure: 'PT5M', mechanism: 'continuous'
    }]
  }
}

/** Rev 0.4 payloads whose example cannot validate with the official entry schema alone: rev 0.4
 * declares their registration types abstract, so they need our concrete tex types. */
export const NEEDS_EXTENSION_XSD: readonly PayloadName[] = ['eiCreatePartyRegistration', 'eiReplyPartyRegistration']
