/**
 * The limits of the gateway, in one typed object: what the REST faces take (body size, XML depth,
 * rates, registrations), how long the server waits for a slow client, and order entry's limits
 * (market/lma/limits.ts). The CLI fills it from options and the environment; tests override parts.
 */
import type { Server } from 'node:http'
import type { FastifyHttpOptions } from 'fastify'
import { DEFAULT_ORDER_ENTRY_LIMITS, type OrderEntryLimits } from '../../market/lma/limits.js'

export interface RestLimits {
  /** Largest request body in bytes (413 above). */
  bodyBytes: number
  /** Deepest element nesting of an XML body (400 deeper), checked before the XML parser runs. */
  xmlDepth: number
  /** Requests per rateWindowMs of one authenticated party (429 above). */
  partyRequests: number
  /** Requests per rateWindowMs from one address without a valid token (429 above). */
  addressRequests: number
  rateWindowMs: number
  /** Registrations per registrationWindowMs from one address (429 above). */
  addressRegistrations: number
  registrationWindowMs: number
  /** Active (not canceled) registrations in the market; one more is refused (422). */
  activeParties: number
}

export interface ServerLimits {
  /** The whole request, headers and body, must arrive within this (else 408 and the connection closes). */
  requestTimeoutMs: number
  /** The headers must arrive within this. */
  headersTimeoutMs: number
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number
  /** A socket with no activity at all is closed after this (0: never). */
  connectionTimeoutMs: number
}

export interface Limits extends RestLimits, ServerLimits, OrderEntryLimits {}

export const DEFAULT_LIMITS: Limits = {
  bodyBytes: 1024 * 1024,
  xmlDepth: 64,
  partyRequests: 1000,
  addressRequests: 100,
  rateWindowMs: 1000,
  addressRegistrations: 20,
  registrationWindowMs: 60_000,
  activeParties: 10_000,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 10_000,
  connectionTimeoutMs: 120_000,
  ...DEFAULT_ORDER_ENTRY_LIMITS
}

export function limitsWith (overrides: Partial<Limits> = {}): Limits {
  return { ...DEFAULT_LIMITS, ...overrides }
}

/** Fastify's server options for the limits: body size, and how long a slow client may take. */
export function serverOptions (limits: Limits): FastifyHttpOptions<Server> {
  return {
    bodyLimit: limits.bodyBytes,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      // Node checks request and header timeouts this often (its default, 30 s, would let a timeout run late by as much).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.requestTimeoutMs / 4)))
    }
  }
}
