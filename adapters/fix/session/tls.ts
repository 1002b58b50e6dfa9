/**
 * TLS for a FIX session, as a deployment configures it: file paths resolved against the current
 * folder (or absolute) rather than jspurefix's package folder, and the acceptor's client policy
 * spelled out: by default it asks for no client certificate and so accepts any TLS client,
 * `requestCert` + `rejectUnauthorized` make it mutual TLS with clients from `ca`.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { ConnectionOptions, TlsOptions } from 'node:tls'

export interface SessionTlsConfig {
  /** PEM file paths (relative to the current folder, or absolute) or PEM text given as `{ pem }`. */
  cert?: PemSource
  key?: PemSource
  /** CAs we trust for the other side's certificate. */
  ca?: PemSource | PemSource[]
  /** Acceptor: ask clients for a certificate (mutual TLS). Default false. */
  requestCert?: boolean
  /**
   * Acceptor with requestCert: drop clients without a certificate from `ca` (default true).
   * Initiator: drop a server whose certificate does not chain to `ca` (default true).
   */
  rejectUnauthorized?: boolean
  /** Initiator: the name to check the server certificate against (default: the host). */
  servername?: string
}

export type PemSource = string | { pem: string | Buffer }

export function readPem (source: PemSource): string | Buffer {
  return typeof source === 'string' ? readFileSync(resolve(source)) : source.pem
}

function list (ca: SessionTlsConfig['ca']): Array<string | Buffer> | undefined {
  if (ca === undefined) return undefined
  return (Array.isArray(ca) ? ca : [ca]).map(readPem)
}

export function serverTlsOptions (tls: SessionTlsConfig): TlsOptions {
  if (tls.cert === undefined || tls.key === undefined) throw new Error('FIX acceptor TLS needs cert and key')
  const requestCert = tls.requestCert ?? false
  return {
    cert: readPem(tls.cert),
    key: readPem(tls.key),
    ca: list(tls.ca),
    requestCert,
    // Without requestCert there is no client certificate to judge.
    rejectUnauthorized: requestCert ? (tls.rejectUnauthorized ?? true) : false
  }
}

export function clientTlsOptions (tls: SessionTlsConfig, host: string, port: number): ConnectionOptions {
  return {
    host,
    port,
    cert: tls.cert === undefined ? undefined : readPem(tls.cert),
    key: tls.key === undefined ? undefined : readPem(tls.key),
    ca: list(tls.ca),
    servername: tls.servername ?? (/^[\d.:]+$/.test(host) ? undefined : host),
    rejectUnauthorized: tls.rejectUnauthorized ?? true
  }
}
