/**
 * A throwaway certificate authority for TLS tests (openssl, in a temp folder): a CA, a server
 * certificate for 127.0.0.1, and client certificates, all PEM.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Issued { cert: string, key: string }

export class ThrowawayCa {
  readonly dir = mkdtempSync(join(tmpdir(), 'te-ca-'))
  readonly cert: string

  constructor (name = 'te-gateway test CA') {
    this.openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=${name}`, '-keyout', join(this.dir, 'ca.key'), '-out', join(this.dir, 'ca.pem'))
    this.cert = readFileSync(join(this.dir, 'ca.pem'), 'utf8')
  }

  /** A certificate signed by this CA: for a server (subjectAltName IP 127.0.0.1) or a client. */
  issue (name: string, kind: 'server' | 'client'): Issued {
    const base = join(this.dir, name)
    this.openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${base}.key`, '-out', `${base}.csr`)
    writeFileSync(`${base}.ext`, kind === 'server'
      ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
      : 'extendedKeyUsage=clientAuth\n')
    this.openssl('x509', '-req', '-in', `${base}.csr`, '-CA', join(this.dir, 'ca.pem'), '-CAkey', join(this.dir, 'ca.key'), '-CAcreateserial',
      '-days', '2', '-extfile', `${base}.ext`, '-out', `${base}.pem`)
    return { cert: readFileSync(`${base}.pem`, 'utf8'), key: readFileSync(`${base}.key`, 'utf8') }
  }

  private openssl (...args: string[]): void {
    execFileSync('openssl', args, { stdio: 'pipe' })
  }
}
