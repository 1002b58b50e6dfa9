/**
 * Mutual TLS as the OpenADR 2.0b profile uses it: both sides present certificates from a CA they
 * trust, and a VEN is known by its certificate's fingerprint. The fingerprint is the last 10
 * bytes of the SHA-256 of the certificate (DER), written as upper-case hex pairs joined by colons,
 * as openleadr and the OpenADR certificate tools write it.
 */
import { createHash, X509Certificate } from 'node:crypto'
import { request } from 'node:https'

export interface TlsFiles {
  /** PEM: our certificate (chain), our private key, the CA(s) we trust for the other side. */
  cert: string | Buffer
  key: string | Buffer
  ca: string | Buffer
}

export function fingerprintOf (certificate: Buffer | string): string {
  const der = typeof certificate === 'string' ? new X509Certificate(certificate).raw : certificate
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase()
  return hex.slice(-20).match(/../g)!.join(':')
}

/** POSTs over HTTPS with our client certificate; the server's certificate must chain to `ca`. */
export function postTls (url: string, body: string, tls: TlsFiles, timeoutMs: number): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST', headers: { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) },
      cert: tls.cert, key: tls.key, ca: tls.ca, timeout: timeoutMs
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(body)
  })
}
