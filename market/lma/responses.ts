/**
 * CTS answers: every reply carries an EiResponse whose refID echoes the request's requestID.
 * The HTTP status and the responseCode always agree.
 */
import type { EiResponse } from '../../schemas/ei.js'

/** Why a request was refused; each maps to one response code (and HTTP status). */
export type Refusal =
  | 'invalid'      // 400: the document does not conform to the schema
  | 'unauthorized' // 401: no or unknown credentials
  | 'forbidden'    // 403: acting for another party
  | 'unknown'      // 404: unknown tender, party, market
  | 'conflict'     // 409: duplicate id, or the state does not allow it (already filled/canceled)
  | 'tooLarge'     // 413: the body is larger than the limit
  | 'unsupported'  // 415: a content type or charset we do not read
  | 'rejected'     // 422: a valid request the market's rules refuse (scale, grid, gate closure, limits)
  | 'tooMany'      // 429: rate limited (the HTTP answer says when to retry)
  | 'internal'     // 500: our fault; the description says nothing more
  | 'unavailable'  // 503: the store or engine cannot take it now

export const RESPONSE_CODES: Record<Refusal | 'ok', string> = {
  ok: '200',
  invalid: '400',
  unauthorized: '401',
  forbidden: '403',
  unknown: '404',
  conflict: '409',
  tooLarge: '413',
  unsupported: '415',
  rejected: '422',
  tooMany: '429',
  internal: '500',
  unavailable: '503'
}

/** A refusal with the words for responseDescription. */
export class MarketRefusal extends Error {
  readonly refusal: Refusal
  constructor (refusal: Refusal, description: string) {
    super(description)
    this.name = 'MarketRefusal'
    this.refusal = refusal
  }

  get responseCode (): string {
    return RESPONSE_CODES[this.refusal]
  }
}

export function eiResponse (refID: string, code: string, description: string, now: Date): EiResponse {
  return { responseCode: code, responseDescription: description, refID, createdDateTime: now.toISOString() }
}

export function okResponse (refID: string, now: Date, description = 'OK'): EiResponse {
  return eiResponse(refID, RESPONSE_CODES.ok, description, now)
}
