/**
 * The one way the LMA sends to a party's callbackURI (CTS and eml-cts transaction delivery), so a
 * registered URI cannot turn the LMA against its own network (server-side request forgery):
 *   - http(s) only, no credentials in the URL (callbackURIProblem);
 *   - the address must pass the network policy: never the always-denied link-local and cloud
 *     metadata networks, nor the operator's denied ones; if the operator lists allowed networks,
 *     only those. Loopback is allowed unless denied, so the demo works on one machine;
 *   - checked after DNS resolution, in the connection's own lookup, so the socket connects to the
 *     address that was checked (a name that resolves elsewhere later cannot slip through);
 *   - redirects are never followed (a 3xx is just an unsuccessful answer);
 *   - one deadline for the whole exchange, and the answer's size is capped.
 * Registration asks check() before it accepts a callbackURI; each delivery checks again.
 */
import http from 'node:http'
import https from 'node:https'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'
import { callbackURIProblem } from '../../market/lma/callback-uri.js'

/** Never reached, whatever the operator allows: link-local (cloud metadata lives there), metadata addresses, unspecified, multicast, broadcast. */
export const ALWAYS_DENIED = [
  '0.0.0.0/8', '169.254.0.0/16', '100.100.100.200/32', '224.0.0.0/4', '255.255.255.255/32',
  '::/128', 'fe80::/10', 'fd00:ec2::254/128', 'ff00::/8'
] as const

export interface CallbackPolicyOptions {
  /** Networks (CIDR, or one address) also denied, e.g. 127.0.0.0/8 and ::1/128 to deny loopback. */
  deny?: readonly string[]
  /** If given, only addresses in these networks are reached (still minus the denied ones). */
  allow?: readonly string[]
  /** The whole exchange: connect, send, answer. Default 5000 ms. */
  timeoutMs?: number
  /** The most an answer may hold. Default 64 KiB. */
  maxResponseBytes?: number
}

export interface CallbackAnswer {
  status: number
  /** The answer's JSON, or undefined if it is not JSON. */
  json: unknown
}

export class CallbackSender {
  private readonly denied = new BlockList()
  private readonly allowed: BlockList | undefined
  readonly timeoutMs: number
  readonly maxResponseBytes: number
  private readonly httpAgent = new http.Agent({ keepAlive: true })
  private readonly httpsAgent = new https.Agent({ keepAlive: true })

  constructor (options: CallbackPolicyOptions = {}) {
    for (const network of [...ALWAYS_DENIED, ...(options.deny ?? [])]) addNetwork(this.denied, network)
    if (options.allow !== undefined && options.allow.length > 0) {
      this.allowed = new BlockList()
      for (const network of options.allow) addNetwork(this.allowed, network)
    }
    this.timeoutMs = options.timeoutMs ?? 5000
    this.maxResponseBytes = options.maxResponseBytes ?? 64 * 1024
  }

  /**
   * Why the policy refuses this address, or undefined. An IPv6 address that carries an IPv4 one
   * (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) must pass as that IPv4 address too.
   */
  addressProblem (address: string): string | undefined {
    for (const ip of [address, ...embeddedIPv4(address)]) {
      const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4'
      if (this.denied.check(ip, family)) return `address ${address} is in a denied network`
      if (this.allowed !== undefined && !this.allowed.check(ip, family)) return `address ${address} is not in an allowed network`
    }
    return undefined
  }

  /**
   * Why a callbackURI is refused, or undefined: at registration. A name is resolved and refused
   * if any of its addresses is denied; a name that does not resolve yet, or not within the
   * deadline, is accepted (each delivery checks again).
   */
  async check (uri: string): Promise<string | undefined> {
    const problem = callbackURIProblem(uri)
    if (problem !== undefined) return problem
    const host = hostOf(new URL(uri))
    if (isIP(host) !== 0) return this.addressProblem(host)
    const addresses = await new Promise<LookupAddress[]>((resolve) => {
      const deadline = setTimeout(() => resolve([]), Math.min(this.timeoutMs, 2000))
      dnsLookup(host, { all: true }, (error, found) => { clearTimeout(deadline); resolve(error === null ? found : []) })
    })
    for (const a of addresses) {
      const refused = this.addressProblem(a.address)
      if (refused !== undefined) return `${host}: ${refused}`
    }
    return undefined
  }

  /** POSTs a JSON body to `url` under the policy; rejects if the policy refuses, on the deadline, or if the answer is too large. */
  async postJson (url: string, body: unknown): Promise<CallbackAnswer> {
    const target = new URL(url)
    const problem = callbackURIProblem(url) ?? (isIP(hostOf(target)) !== 0 ? this.addressProblem(hostOf(target)) : undefined)
    if (problem !== undefined) throw new Error(`callback ${target.origin} refused: ${problem}`)
    const payload = Buffer.from(JSON.stringify(body))
    const client = target.protocol === 'https:' ? https : http
    return new Promise<CallbackAnswer>((resolve, reject) => {
      const request = client.request(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': payload.length },
        lookup: this.lookup,
        // Kept-alive connections are safe to reuse: each was checked, in lookup, when it was opened.
        agent: target.protocol === 'https:' ? this.httpsAgent : this.httpAgent
      })
      const fail = (error: Error) => { request.destroy(); reject(error) }
      const deadline = setTimeout(() => fail(new Error(`callback ${target.origin} did not answer within ${this.timeoutMs} ms`)), this.timeoutMs)
      request.on('error', (error) => { clearTimeout(deadline); reject(error) })
      request.on('response', (response) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > this.maxResponseBytes) {
            clearTimeout(deadline)
            fail(new Error(`callback ${target.origin} answered more than ${this.maxResponseBytes} bytes`))
          } else chunks.push(chunk)
        })
        response.on('end', () => {
          clearTimeout(deadline)
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          try { json = JSON.parse(text) } catch { json = undefined }
          resolve({ status: response.statusCode ?? 0, json })
        })
        response.on('error', (error) => { clearTimeout(deadline); reject(error) })
      })
      request.end(payload)
    })
  }

  /** Closes the kept-alive connections (on shutdown). */
  close (): void {
    this.httpAgent.destroy()
    this.httpsAgent.destroy()
  }

  /** DNS lookup for the connection: only addresses the policy allows come back, so only they are connected to. */
  private readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) return callback(error, '', 0)
      const allowed = addresses.filter((a) => this.addressProblem(a.address) === undefined)
      if (allowed.length === 0) {
        const refused = addresses.map((a) => a.address).join(', ')
        return callback(Object.assign(new Error(`callback host ${hostname} resolves only to refused addresses (${refused})`), { code: 'EREFUSEDADDRESS' }), '', 0)
      }
      if (options.all === true) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed)
      else callback(null, allowed[0]!.address, allowed[0]!.family)
    })
  }
}

/** The URL's host as an address or name: IPv6 literals without their brackets. */
function hostOf (url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1')
}

/** The IPv4 addresses an IPv6 address carries: mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) or 6to4 (2002:AABB:CCDD::/48). */
function embeddedIPv4 (address: string): string[] {
  if (isIP(address) !== 6) return []
  const words = ipv6Words(address)
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
  const zero = (from: number, to: number) => words.slice(from, to).every((w) => w === 0)
  if (zero(0, 5) && words[5] === 0xffff) return [v4(words[6]!, words[7]!)]
  if (words[0] === 0x64 && words[1] === 0xff9b && zero(2, 6)) return [v4(words[6]!, words[7]!)]
  if (words[0] === 0x2002) return [v4(words[1]!, words[2]!)]
  return []
}

/** The eight 16-bit words of an IPv6 address (its last 32 bits may be written as IPv4). */
function ipv6Words (address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '')
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined]
  const part = (p: string | undefined) => p === undefined || p === '' ? [] : p.split(':').map((w) => parseInt(w, 16))
  const left = part(head)
  const right = part(tail)
  return tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
}

/** Adds "a.b.c.d/n", "x::/n" or a single address to a list; throws on anything else. */
export function addNetwork (list: BlockList, network: string): void {
  const [address, bits, ...rest] = network.trim().split('/')
  const family = isIP(address ?? '')
  if (family === 0 || rest.length > 0) throw new Error(`not a network: ${network} (write a.b.c.d/n, x:y::/n or one address)`)
  const type = family === 6 ? 'ipv6' : 'ipv4'
  if (bits === undefined) { list.addAddress(address!, type); return }
  const prefix = Number(bits)
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) throw new Error(`not a network: ${network} (prefix length)`)
  list.addSubnet(address!, prefix, type)
}
