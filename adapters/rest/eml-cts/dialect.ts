/**
 * The JSON dialect of the Energy Mashup Lab's eml-cts (the CTS reference implementation), and its
 * translation to and from our CTS payloads (../shared/docs/cts-spec.md §3.3-3.5).
 *   - Ids are objects {"myUidId": <number>}; ours are strings. Party n is our party "eml-cts-<n>";
 *     its request n our requestID "eml-<n>"; its tender n our tenderID "eml-cts-<party>-t<n>".
 *     Ids of ours without such a form (another party, a transaction) travel as a stable number:
 *     48 bits of the SHA-1 of the id.
 *   - Enums are upper case (BUY, SELL, TRANSACTION); responseCode is a number; the request's id is
 *     echoed in inResponseTo (refId is a fresh id of the answer's own).
 *   - Prices are integers in thousandths of the currency unit (eml-cts's global rule: "one dollar
 *     is 1000L"); quantities are whole units of the market's energy unit. Both convert exactly
 *     (schemas/decimal.ts); what does not fit is refused, never rounded.
 *   - Instants and durations come as ISO 8601 strings, or as epoch / length in seconds (the
 *     mapper eml-cts uses between its own actors).
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'
import { fromTicks, toTicks } from '../../../schemas/decimal.js'
import type { Payload } from '../../../schemas/registry.js'

export const PRICE_DIGITS = 3

const UidId = z.object({ myUidId: z.number().int() })
const Instant = z.union([z.string().min(1), z.number()]).transform((v, ctx) => {
  const date = typeof v === 'number' ? new Date(v * 1000) : new Date(v)
  if (Number.isNaN(date.getTime())) { ctx.addIssue({ code: 'custom', message: 'not an instant' }); return z.NEVER }
  return date.toISOString()
})
const Duration = z.union([z.string().min(1), z.number().positive()]).transform((v) => typeof v === 'number' ? `PT${v}S` : v)
const Whole = z.number().int().refine(Number.isSafeInteger, 'must be a safe integer')
const Side = z.enum(['BUY', 'SELL'])

const IntervalDetail = z.object({
  type: z.literal('interval'),
  interval: z.object({ duration: Duration, dtStart: Instant }),
  price: Whole,
  quantity: Whole
})
const StreamDetail = z.object({
  type: z.literal('stream'),
  stream: z.object({
    streamIntervalDuration: z.object({ duration: Duration, dtStart: Instant.optional() }),
    streamIntervals: z.array(z.object({ streamIntervalPrice: Whole, streamIntervalQuantity: Whole, streamUid: z.number().int() })).min(1),
    streamStart: Instant
  })
})

const Tender = z.object({
  allOrNone: z.boolean().optional(),
  expirationTime: Instant.nullish(),
  side: Side,
  tenderDetail: z.discriminatedUnion('type', [IntervalDetail, StreamDetail]),
  tenderId: UidId
})

export const EmlCreateTender = z.object({ partyId: UidId, counterPartyId: UidId.nullish(), requestId: UidId, tender: Tender })
export const EmlCancelTender = z.object({ partyId: UidId, counterPartyId: UidId.nullish(), requestId: UidId, tenderId: UidId, marketOrderId: UidId.nullish() })
export type EmlCreateTender = z.infer<typeof EmlCreateTender>
export type EmlCancelTender = z.infer<typeof EmlCancelTender>

// ------------------------------------------------------------------------------------------
// Ids

export const PARTY_PREFIX = 'eml-cts-'

export function partyIDOf (n: number): string { return `${PARTY_PREFIX}${n}` }
export function requestIDOf (n: number): string { return `eml-${n}` }
export function tenderIDOf (party: number, n: number): string { return `${PARTY_PREFIX}${party}-t${n}` }

/** A number for any id of ours: the eml-cts number it came from, or a stable 48-bit hash. */
export function uidOf (id: string): number {
  const party = new RegExp(`^${PARTY_PREFIX}(-?\\d+)$`).exec(id)
  if (party !== null) return Number(party[1])
  const tender = new RegExp(`^${PARTY_PREFIX}-?\\d+-t(-?\\d+)$`).exec(id)
  if (tender !== null) return Number(tender[1])
  const request = /^eml-(-?\d+)$/.exec(id)
  if (request !== null) return Number(request[1])
  return parseInt(createHash('sha1').update(id).digest('hex').slice(0, 12), 16)
}

const uid = (id: string) => ({ myUidId: uidOf(id) })

// ------------------------------------------------------------------------------------------
// eml-cts -> CTS

export interface MarketOfBinding {
  marketContext: string
  currency: string
  energyReal: { itemDescription: 'RealEnergy', itemUnits: 'Wh', siScaleCode: string }
}

/** EiCreateTenderPayload or EiCreateStreamTenderPayload -> our eiCreateTender (not yet checked by our schemas). */
export function toCtsCreateTender (m: EmlCreateTender, market: MarketOfBinding, lmaPartyID: string): unknown {
  const party = m.partyId.myUidId
  const t = m.tender
  const tenderID = tenderIDOf(party, t.tenderId.myUidId)
  const detail = t.tenderDetail
  const common = {
    uid: tenderID, transactiveState: 'tender', currency: market.currency, marketContext: market.marketContext, side: t.side.toLowerCase(),
    ...(t.expirationTime != null && { expirationDate: t.expirationTime }),
    ...(t.allOrNone === true && { integralOnly: true })
  }
  const product = detail.type === 'interval'
    ? {
        dtStart: detail.interval.dtStart, duration: detail.interval.duration,
        temixPower: { price: fromTicks(detail.price, PRICE_DIGITS), energyReal: market.energyReal, quantity: String(detail.quantity) },
        ...common
      }
    : {
        dtStart: detail.stream.streamStart, duration: detail.stream.streamIntervalDuration.duration,
        temixPower: { energyReal: market.energyReal },
        intervals: [...detail.stream.streamIntervals].sort((a, b) => a.streamUid - b.streamUid).map((i) => ({
          uid: String(i.streamUid), temixPower: { price: fromTicks(i.streamIntervalPrice, PRICE_DIGITS), quantity: String(i.streamIntervalQuantity) }
        })),
        ...common
      }
  return { requestID: requestIDOf(m.requestId.myUidId), partyID: partyIDOf(party), counterPartyID: lmaPartyID, eiTender: [{ tenderID, product }] }
}

export function toCtsCancelTender (m: EmlCancelTender, lmaPartyID: string): unknown {
  const party = m.partyId.myUidId
  return { requestID: requestIDOf(m.requestId.myUidId), partyID: partyIDOf(party), counterPartyID: lmaPartyID, tenderID: [tenderIDOf(party, m.tenderId.myUidId)] }
}

// ------------------------------------------------------------------------------------------
// CTS -> eml-cts

let answers = 0
/** A fresh id for an answer's own refId (eml-cts gives every answer one). */
function freshUid (): { myUidId: number } {
  return { myUidId: Date.now() * 1000 + (answers++ % 1000) }
}

interface EiResponseLike { responseCode: string, responseDescription?: string | undefined, createdDateTime?: string | undefined }

function response (r: EiResponseLike) {
  return { responseCode: Number(r.responseCode), responseDescription: r.responseDescription ?? '', refId: freshUid(), createdDateTime: r.createdDateTime ?? new Date().toISOString() }
}

/** Our eiCreatedTender -> EiCreatedTenderPayload (one tender) or EiCreatedStreamTenderPayload (a stream). */
export function toEmlCreatedTender (request: EmlCreateTender, answer: Payload<'eiCreatedTender'>): Record<string, unknown> {
  const base = { partyId: request.partyId, counterPartyId: request.counterPartyId ?? null, response: response(answer.eiResponse), refId: freshUid(), inResponseTo: request.requestId }
  if (request.tender.tenderDetail.type === 'stream') return { marketOrderId: { myUidId: -1 }, ...base, createdTenders: (answer.tenderID ?? []).map(uidOf) }
  return { marketOrderId: { myUidId: -1 }, tenderId: request.tender.tenderId, ...base, id: request.tender.tenderId.myUidId }
}

export function toEmlCanceledTender (request: EmlCancelTender, answer: Payload<'eiCanceledTender'>): Record<string, unknown> {
  const r = answer.eiResponse
  const ok = r.responseCode.startsWith('2')
  return {
    partyId: request.partyId, counterPartyId: request.counterPartyId ?? null, response: response(r),
    eiCanceledResponse: { cancelReason: 'REQUESTED', marketOrderId: request.marketOrderId ?? { myUidId: -1 }, remainingQuantity: 0, success: ok },
    inResponseTo: request.requestId
  }
}

/** Our eiCreateTransaction -> EiCreateTransactionPayload (one per transaction; eml-cts sends them one by one). */
export function toEmlCreateTransactions (m: Payload<'eiCreateTransaction'>): Array<Record<string, unknown>> {
  return m.eiTransaction.map((t) => {
    const p = t.product
    const power = p.temixPower ?? {}
    return {
      counterPartyId: uid(m.counterPartyID), marketTransactionId: uid(`${t.transactionID}/market`), partyId: uid(m.partyID), requestId: uid(m.requestID),
      transaction: {
        transactionId: uid(t.transactionID),
        tender: {
          allOrNone: p.integralOnly === true, executionInstructions: '', expirationTime: p.expirationDate ?? null, marketId: uid(p.marketContext ?? ''),
          priceScale: 1, quantityScale: 1, resourceDesignator: 'ENERGY', side: p.side.toUpperCase(),
          tenderDetail: {
            type: 'interval', interval: { duration: p.duration, dtStart: p.dtStart },
            price: wholeOf(power.price, PRICE_DIGITS, 'price'), quantity: wholeOf(power.quantity, 0, 'quantity')
          },
          warrants: null, tenderId: uid(t.tenderID ?? ''), referencedQuoteId: null, marketOrderId: { myUidId: -1 }
        },
        transactiveState: 'TRANSACTION'
      }
    }
  })
}

/** A decimal as a whole number at `digits` fraction digits; throws where that is not exact. */
function wholeOf (value: string | undefined, digits: number, what: string): number {
  if (value === undefined) throw new RangeError(`eml-cts needs a ${what}`)
  const ticks = toTicks(value, digits)
  if (ticks > BigInt(Number.MAX_SAFE_INTEGER) || ticks < BigInt(Number.MIN_SAFE_INTEGER)) throw new RangeError(`${what} ${value} is out of range`)
  return Number(ticks)
}

/** An eml-cts EiCreatedTransactionPayload: acknowledged when its response code is 2xx. */
export function acknowledged (body: unknown): boolean {
  const code = (body as { response?: { responseCode?: unknown } } | null)?.response?.responseCode
  return (typeof code === 'number' || typeof code === 'string') && String(code).startsWith('2')
}
