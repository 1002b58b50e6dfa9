/**
 * Order entry's limits: how much one request may ask for, and how far ahead. The REST face has
 * its own (adapters/rest/limits.ts); the CLI sets both from one typed object.
 */
import { MarketRefusal } from './responses.js'
import { durationMs } from './time.js'

export interface OrderEntryLimits {
  /** Interval orders in one eiCreateTender / eiCreateStreamTender: a tender counts one, a stream one per interval. */
  tendersPerRequest: number
  /** How far ahead of now a delivery interval may start (ISO 8601 duration); a market's own deliveryHorizon wins. */
  deliveryHorizon: string
}

export const DEFAULT_ORDER_ENTRY_LIMITS: OrderEntryLimits = { tendersPerRequest: 1000, deliveryHorizon: 'P7D' }

/** Refuses (422) a request with more interval orders than the limit, before any of them is planned. */
export function checkTenderCount (products: Array<{ intervals?: unknown[] | undefined }>, limits: OrderEntryLimits): void {
  const count = products.reduce((n, p) => n + Math.max(1, p.intervals?.length ?? 0), 0)
  if (count > limits.tendersPerRequest) {
    throw new MarketRefusal('rejected', `eiTender: ${count} interval tenders in one request; this market takes at most ${limits.tendersPerRequest}`)
  }
}

/** Refuses (422) the first interval starting further ahead of now than the horizon (parsed once per call, not per interval). */
export function checkHorizon (intervalStarts: readonly string[], now: Date, horizon: string, path: string): void {
  const latest = now.getTime() + durationMs(horizon)
  const beyond = intervalStarts.find((start) => new Date(start).getTime() > latest)
  if (beyond !== undefined) {
    throw new MarketRefusal('rejected', `${path}: the interval starting ${beyond} is beyond this market's delivery horizon of ${horizon} from now`)
  }
}
