/**
 * Every payload we read and write: its name (the XML root element's local name), the root's
 * qualified name, and its zod schema. Rev 0.4 payloads are in the pyld namespace; our extensions
 * in tex.
 */
import type { z } from 'zod'
import * as cts from './payloads.js'
import * as ext from './extensions.js'
import type { QName } from './sequence.js'

export interface PayloadEntry<S extends z.ZodObject = z.ZodObject> {
  qname: QName
  schema: S
  /** true for te-gateway extensions (not part of CTS rev 0.4). */
  extension: boolean
}

const rev04 = <S extends z.ZodObject>(name: string, schema: S): PayloadEntry<S> => ({ qname: `pyld:${name}`, schema, extension: false })
const extension = <S extends z.ZodObject>(name: string, schema: S): PayloadEntry<S> => ({ qname: `tex:${name}`, schema, extension: true })

export const PAYLOADS = {
  eiCreateTender: rev04('eiCreateTender', cts.EiCreateTender),
  eiCreatedTender: rev04('eiCreatedTender', cts.EiCreatedTender),
  eiRequestTender: rev04('eiRequestTender', cts.EiRequestTender),
  eiReplyTender: rev04('eiReplyTender', cts.EiReplyTender),
  eiCancelTender: rev04('eiCancelTender', cts.EiCancelTender),
  eiCanceledTender: rev04('eiCanceledTender', cts.EiCanceledTender),
  eiDistributeTender: rev04('eiDistributeTender', cts.EiDistributeTender),
  eiCreateTransaction: rev04('eiCreateTransaction', cts.EiCreateTransaction),
  eiCreatedTransaction: rev04('eiCreatedTransaction', cts.EiCreatedTransaction),
  eiRequestTransaction: rev04('eiRequestTransaction', cts.EiRequestTransaction),
  eiReplyTransaction: rev04('eiReplyTransaction', cts.EiReplyTransaction),
  eiCreateQuote: rev04('eiCreateQuote', cts.EiCreateQuote),
  eiCreatedQuote: rev04('eiCreatedQuote', cts.EiCreatedQuote),
  eiCancelQuote: rev04('eiCancelQuote', cts.EiCancelQuote),
  eiCanceledQuote: rev04('eiCanceledQuote', cts.EiCanceledQuote),
  eiRequestQuote: rev04('eiRequestQuote', cts.EiRequestQuote),
  eiReplyQuote: rev04('eiReplyQuote', cts.EiReplyQuote),
  eiCreateDelivery: rev04('eiCreateDelivery', cts.EiCreateDelivery),
  eiCreatedDelivery: rev04('eiCreatedDelivery', cts.EiCreatedDelivery),
  eiCreatePartyRegistration: rev04('eiCreatePartyRegistration', cts.EiCreatePartyRegistration),
  eiCreatedPartyRegistration: rev04('eiCreatedPartyRegistration', cts.EiCreatedPartyRegistration),
  eiRequestPartyRegistration: rev04('eiRequestPartyRegistration', cts.EiRequestPartyRegistration),
  eiReplyPartyRegistration: rev04('eiReplyPartyRegistration', cts.EiReplyPartyRegistration),
  eiCancelPartyRegistration: rev04('eiCancelPartyRegistration', cts.EiCancelPartyRegistration),
  eiCanceledPartyRegistration: rev04('eiCanceledPartyRegistration', cts.EiCanceledPartyRegistration),
  eiRequestEiMarketContext: rev04('eiRequestEiMarketContext', cts.EiRequestEiMarketContext),
  eiReplyEiMarketContext: rev04('eiReplyEiMarketContext', cts.EiReplyEiMarketContext),

  eiRequestPosition: extension('eiRequestPosition', ext.EiRequestPosition),
  eiReplyPosition: extension('eiReplyPosition', ext.EiReplyPosition),
  eiCreateStreamTender: extension('eiCreateStreamTender', ext.EiCreateStreamTender),
  eiCreatedStreamTender: extension('eiCreatedStreamTender', ext.EiCreatedStreamTender),
  eiAcceptQuote: extension('eiAcceptQuote', ext.EiAcceptQuote),
  eiAcceptedQuote: extension('eiAcceptedQuote', ext.EiAcceptedQuote),
  eiRejectQuote: extension('eiRejectQuote', ext.EiRejectQuote),
  eiRejectedQuote: extension('eiRejectedQuote', ext.EiRejectedQuote),
  eiCreateRfq: extension('eiCreateRfq', ext.EiCreateRfq),
  eiCreatedRfq: extension('eiCreatedRfq', ext.EiCreatedRfq),
  eiManageTickerSubscription: extension('eiManageTickerSubscription', ext.EiManageTickerSubscription),
  eiManagedTickerSubscription: extension('eiManagedTickerSubscription', ext.EiManagedTickerSubscription),
  eiTicker: extension('eiTicker', ext.EiTicker),
  eiRequestMarketRules: extension('eiRequestMarketRules', ext.EiRequestMarketRules),
  eiReplyMarketRules: extension('eiReplyMarketRules', ext.EiReplyMarketRules)
} as const

export type PayloadName = keyof typeof PAYLOADS
export type Payload<N extends PayloadName> = z.infer<(typeof PAYLOADS)[N]['schema']>

export const PAYLOAD_NAMES = Object.keys(PAYLOADS) as PayloadName[]
export const REV04_PAYLOAD_NAMES = PAYLOAD_NAMES.filter((n) => !PAYLOADS[n].extension)
export const EXTENSION_PAYLOAD_NAMES = PAYLOAD_NAMES.filter((n) => PAYLOADS[n].extension)

export function isPayloadName (name: string): name is PayloadName {
  return Object.hasOwn(PAYLOADS, name)
}
