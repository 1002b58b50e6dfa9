/**
 * Our initiator against our acceptor over real TCP (and TLS) on 127.0.0.1: logon, heartbeats,
 * application messages both ways, logout, and a restart that resumes the session from the store.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { ThrowawayCa } from '../../../test/throwaway-ca.js'
import { FixSessionEndpoint, type FixApplication, type FixSessionConfig, type ReceivedMessage } from './endpoint.js'
import { RawPeer } from './test-peer.js'

const ORDER = { ClOrdID: 'o-1', Instrument: { Symbol: 'KWH' }, Side: '1', TransactTime: new Date('2026-01-01T00:00:00Z'), OrderQtyData: { OrderQty: 3 }, OrdType: '1' }

const running: FixSessionEndpoint[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map(e => e.stop(500)))
})

/** An application that records what the session tells it and lets a test wait for it. */
class Recorder implements FixApplication {
  readonly messages: ReceivedMessage[] = []
  readonly logouts: string[] = []
  private logons = 0
  private readonly waiters: Array<() => void> = []

  onLogon (): void { this.logons++; this.wake() }
  onMessage (m: ReceivedMessage): void { this.messages.push(m); this.wake() }
  onLogout (reason: string): void { this.logouts.push(reason); this.wake() }

  until (condition: (r: Recorder) => boolean, ms = 4000): Promise<void> {
    if (condition(this)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('not reached in time')), ms)
      const check = (): void => {
        if (condition(this)) { clearTimeout(timer); resolve() } else this.waiters.push(check)
      }
      this.waiters.push(check)
    })
  }

  get logonCount (): number { return this.logons }

  private wake (): void {
    for (const w of this.waiters.splice(0)) w()
  }
}

function pair (dirs: { acceptor: string, initiator: string }, extra: Partial<FixSessionConfig> = {}): { acceptorConfig: FixSessionConfig, initiatorConfig: (port: number) => FixSessionConfig } {
  return {
    acceptorConfig: { role: 'acceptor', host: '127.0.0.1', port: 0, senderCompId: 'GW', targetCompId: 'MKT', heartbeatSeconds: 30, storeDir: dirs.acceptor, ...extra },
    initiatorConfig: (port) => ({ role: 'initiator', host: '127.0.0.1', port, senderCompId: 'MKT', targetCompId: 'GW', heartbeatSeconds: 30, storeDir: dirs.initiator, ...extra })
  }
}

async function start (config: FixSessionConfig, app: FixApplication): Promise<{ endpoint: FixSessionEndpoint, port: number }> {
  const endpoint = new FixSessionEndpoint(config, app)
  running.push(endpoint)
  const { port } = await endpoint.start()
  return { endpoint, port }
}

/** An acceptor (GW) and an initiator (MKT) of ours, both logged on. */
async function loggedOnPair (extra: Partial<FixSessionConfig> = {}): Promise<{ gw: Recorder, mkt: Recorder, acceptor: { endpoint: FixSessionEndpoint, port: number }, initiator: { endpoint: FixSessionEndpoint, port: number } }> {
  const { acceptorConfig, initiatorConfig } = pair(tempDirs(), extra)
  const gw = new Recorder()
  const mkt = new Recorder()
  const acceptor = await start(acceptorConfig, gw)
  const initiator = await start(initiatorConfig(acceptor.port), mkt)
  await gw.until(r => r.logonCount === 1)
  await mkt.until(r => r.logonCount === 1)
  return { gw, mkt, acceptor, initiator }
}

function freePort (): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

function tempDirs (): { acceptor: string, initiator: string } {
  return { acceptor: mkdtempSync(join(tmpdir(), 'fix-acc-')), initiator: mkdtempSync(join(tmpdir(), 'fix-ini-')) }
}

describe('FIX session endpoint: initiator and acceptor of ours', () => {
  it('log on, exchange heartbeats and application messages both ways, log out', async () => {
    const { gw, mkt, acceptor, initiator } = await loggedOnPair({ heartbeatSeconds: 1 })

    await initiator.endpoint.send('D', ORDER)
    await acceptor.endpoint.send('D', { ...ORDER, ClOrdID: 'o-2' })
    await gw.until(r => r.messages.length === 1)
    await mkt.until(r => r.messages.length === 1)
    expect(gw.messages[0]?.fields['ClOrdID']).toBe('o-1')
    expect(mkt.messages[0]?.fields['ClOrdID']).toBe('o-2')

    // Idle for more than a heartbeat interval: both sides keep the session up with heartbeats,
    // which use up sequence numbers.
    const before = [acceptor.endpoint.sequenceNumbers.nextSenderSeqNum, initiator.endpoint.sequenceNumbers.nextSenderSeqNum]
    await new Promise(resolve => setTimeout(resolve, 2300))
    expect(acceptor.endpoint.sequenceNumbers.nextSenderSeqNum).toBeGreaterThan(before[0] ?? 0)
    expect(initiator.endpoint.sequenceNumbers.nextSenderSeqNum).toBeGreaterThan(before[1] ?? 0)
    expect([acceptor.endpoint.isLoggedOn, initiator.endpoint.isLoggedOn]).toEqual([true, true])

    initiator.endpoint.logout('end of day')
    await gw.until(r => r.logouts.length === 1)
    await mkt.until(r => r.logouts.length === 1)
    expect(gw.logouts[0]).toMatch(/end of day/)
    expect([acceptor.endpoint.isLoggedOn, initiator.endpoint.isLoggedOn]).toEqual([false, false])
  })

  it('resumes after both sides restart: sequence numbers continue, and a ResendRequest replays messages sent before the restart', async () => {
    const dirs = tempDirs()
    const { acceptorConfig, initiatorConfig } = pair(dirs)

    // First run: two orders each way.
    let gw = new Recorder()
    let mkt = new Recorder()
    let acceptor = await start(acceptorConfig, gw)
    let initiator = await start(initiatorConfig(acceptor.port), mkt)
    await mkt.until(r => r.logonCount === 1)
    const sentByGw = [await acceptor.endpoint.send('D', { ...ORDER, ClOrdID: 'gw-a' }), await acceptor.endpoint.send('D', { ...ORDER, ClOrdID: 'gw-b' })]
    await initiator.endpoint.send('D', ORDER)
    await mkt.until(r => r.messages.length === 2)
    await gw.until(r => r.messages.length === 1)
    const firstRun = { gwNext: acceptor.endpoint.sequenceNumbers, mktNext: initiator.endpoint.sequenceNumbers }
    await initiator.endpoint.stop()
    await acceptor.endpoint.stop()
    running.length = 0

    // Second run, new endpoints on the same store folders: no reset, no gap, no resend.
    gw = new Recorder()
    mkt = new Recorder()
    acceptor = await start({ ...acceptorConfig, port: 0 }, gw)
    initiator = await start(initiatorConfig(acceptor.port), mkt)
    await mkt.until(r => r.logonCount === 1)
    await gw.until(r => r.logonCount === 1)
    const next = await acceptor.endpoint.send('D', { ...ORDER, ClOrdID: 'gw-c' })
    await mkt.until(r => r.messages.length === 1)
    // Logout (first run) and Logon (second run) came in between.
    expect(next).toBe(firstRun.gwNext.nextSenderSeqNum + 2)
    expect(mkt.messages.map(m => [m.seqNum, m.possDup])).toEqual([[next, false]])
    expect(acceptor.endpoint.sequenceNumbers.nextTargetSeqNum).toBe(initiator.endpoint.sequenceNumbers.nextSenderSeqNum)
    expect(firstRun.mktNext.nextSenderSeqNum).toBeGreaterThan(1)
    await initiator.endpoint.stop()
    await acceptor.endpoint.stop()
    running.length = 0

    // Third run: the acceptor restarts again and a counterparty asks for everything from 1.
    acceptor = await start({ ...acceptorConfig, port: 0 }, new Recorder())
    const peer = await RawPeer.connect(acceptor.port, { sender: 'MKT', target: 'GW' })
    try {
      peer.nextSeqNum = acceptor.endpoint.sequenceNumbers.nextTargetSeqNum
      peer.logon(30)
      expect((await peer.next()).msgType).toBe('A')
      peer.send('2', [[7, 1], [16, 0]])
      const replayed: Array<[number, string]> = []
      for (;;) {
        const f = await peer.next()
        expect(f.get(43)).toBe('Y')
        if (f.msgType === 'D') replayed.push([f.seqNum, f.get(11) ?? ''])
        const last = f.msgType === '4' ? Number(f.get(36)) - 1 : f.seqNum
        if (last >= next) break
      }
      expect(replayed).toEqual([[sentByGw[0], 'gw-a'], [sentByGw[1], 'gw-b'], [next, 'gw-c']])
    } finally {
      peer.close()
    }
  })

  it('refuses a message the dictionary cannot encode, without ending the session or using a sequence number', async () => {
    const { gw, initiator } = await loggedOnPair()
    const next = initiator.endpoint.sequenceNumbers.nextSenderSeqNum
    // A repeating group given as an object, not an array.
    await expect(initiator.endpoint.send('D', { ...ORDER, Parties: { NoPartyIDs: { PartyID: 'x' } } })).rejects.toThrow(/cannot send D: .*NoPartyIDs/)
    await expect(initiator.endpoint.send('ZZ', {})).rejects.toThrow(/no message type ZZ/)
    expect(initiator.endpoint.isLoggedOn).toBe(true)
    expect(await initiator.endpoint.send('D', ORDER)).toBe(next)
    await gw.until(r => r.messages.length === 1)
  })

  it('an initiator reconnects after a logout and the session goes on where it was', async () => {
    const { gw, mkt, initiator } = await loggedOnPair()
    const first = await initiator.endpoint.send('D', ORDER)
    initiator.endpoint.logout('break')
    await mkt.until(r => r.logouts.length === 1)
    await gw.until(r => r.logouts.length === 1)
    await initiator.endpoint.reconnect()
    await mkt.until(r => r.logonCount === 2)
    const second = await initiator.endpoint.send('D', { ...ORDER, ClOrdID: 'o-2' })
    await gw.until(r => r.messages.length === 2)
    expect(second).toBe(first + 3) // Logout and Logon in between
    expect(gw.messages.map(m => [m.seqNum, m.possDup])).toEqual([[first, false], [second, false]])
  })

  it('with reconnectSeconds, an initiator keeps trying until the acceptor is up, and comes back after the acceptor restarts', async () => {
    const dirs = tempDirs()
    const { acceptorConfig, initiatorConfig } = pair(dirs)
    const port = await freePort()
    const mkt = new Recorder()
    await start({ ...initiatorConfig(port), reconnectSeconds: 0.2, connectTimeoutSeconds: 1 }, mkt) // nobody listens yet
    let acceptor = await start({ ...acceptorConfig, port }, new Recorder())
    await mkt.until(r => r.logonCount === 1, 8000)
    await acceptor.endpoint.stop()
    await mkt.until(r => r.logouts.length === 1)
    acceptor = await start({ ...acceptorConfig, port }, new Recorder())
    await mkt.until(r => r.logonCount === 2, 8000)
    expect(acceptor.endpoint.isLoggedOn).toBe(true)
  })

  it('runs FIXT.1.1 with the FIX 5.0 SP2 repository dictionary (DefaultApplVerID on Logon)', async () => {
    const { acceptorConfig, initiatorConfig } = pair(tempDirs(), { beginString: 'FIXT.1.1', dictionary: 'repo50sp2' })
    const gw = new Recorder()
    const mkt = new Recorder()
    const acceptor = await start(acceptorConfig, gw)
    const initiator = await start(initiatorConfig(acceptor.port), mkt)
    await mkt.until(r => r.logonCount === 1)
    await initiator.endpoint.send('D', ORDER)
    await gw.until(r => r.messages.length === 1)
    expect(gw.messages[0]?.text).toMatch(/^8=FIXT\.1\.1\|/)
    expect(gw.messages[0]?.fields['ClOrdID']).toBe('o-1')
  })

  it('takes a dictionary file path relative to the current folder', async () => {
    const dictionary = relative(process.cwd(), join(dirname(fileURLToPath(import.meta.resolve('jspurefix'))), '..', 'data', 'FIX44.xml'))
    const { acceptorConfig, initiatorConfig } = pair(tempDirs(), { dictionary })
    const acceptor = await start(acceptorConfig, new Recorder())
    const mkt = new Recorder()
    await start(initiatorConfig(acceptor.port), mkt)
    await mkt.until(r => r.logonCount === 1)
  })

  it('an initiator refused at logon ends with the acceptor\'s reason', async () => {
    const { acceptorConfig, initiatorConfig } = pair(tempDirs())
    const acceptor = await start(acceptorConfig, new Recorder())
    const stranger = new Recorder()
    const initiator = await start({ ...initiatorConfig(acceptor.port), senderCompId: 'STRANGER' }, stranger)
    await stranger.until(r => r.logouts.length === 1)
    expect(stranger.logonCount).toBe(0)
    expect(await initiator.endpoint.ended()).toMatch(/Logon refused by counterparty: .*SenderCompID STRANGER, expecting MKT/)
  })
})

describe('FIX session endpoint: TCP host and TLS (defect 5)', () => {
  it('binds the configured host, not every interface', async () => {
    const endpoint = new FixSessionEndpoint({ role: 'acceptor', host: '127.0.0.1', port: 0, senderCompId: 'GW', targetCompId: 'MKT', heartbeatSeconds: 30, storeDir: tempDirs().acceptor }, new Recorder())
    running.push(endpoint)
    await endpoint.start()
    expect(endpoint.listeningAddress?.address).toBe('127.0.0.1')
  })

  const ca = new ThrowawayCa()
  const server = ca.issue('gateway', 'server')
  const client = ca.issue('market', 'client')
  const files = mkdtempSync(join(tmpdir(), 'fix-tls-'))
  const pem = (name: string, text: string): string => {
    const file = join(files, name)
    writeFileSync(file, text)
    return relative(process.cwd(), file) // paths are resolved against the current folder
  }
  const caFile = pem('ca.pem', ca.cert)
  const serverCert = { cert: pem('server.pem', server.cert), key: pem('server.key', server.key) }
  const clientCert = { cert: pem('client.pem', client.cert), key: pem('client.key', client.key) }

  it('accepts a TLS client without a certificate by default (server-authenticated TLS)', async () => {
    const { acceptorConfig, initiatorConfig } = pair(tempDirs())
    const gw = new Recorder()
    const acceptor = await start({ ...acceptorConfig, tls: { ...serverCert } }, gw)
    const mkt = new Recorder()
    const initiator = await start({ ...initiatorConfig(acceptor.port), tls: { ca: caFile } }, mkt)
    await mkt.until(r => r.logonCount === 1)
    await initiator.endpoint.send('D', ORDER)
    await gw.until(r => r.messages.length === 1)
  })

  it('with requestCert and rejectUnauthorized, is mutual TLS: a client with a certificate from the CA logs on, one without is refused', async () => {
    const { acceptorConfig, initiatorConfig } = pair(tempDirs())
    const acceptor = await start({ ...acceptorConfig, tls: { ...serverCert, ca: caFile, requestCert: true, rejectUnauthorized: true } }, new Recorder())

    // Under TLS 1.3 the client may finish its handshake before the server judges its
    // certificate: refusal shows either as a failed start or as a session that ends unlogged.
    const nobody = new Recorder()
    const anonymous = new FixSessionEndpoint({ ...initiatorConfig(acceptor.port), tls: { ca: caFile } }, nobody)
    running.push(anonymous)
    await anonymous.start().then(() => anonymous.ended(), (e: Error) => e.message)
    expect(nobody.logonCount).toBe(0)

    const mkt = new Recorder()
    await start({ ...initiatorConfig(acceptor.port), storeDir: tempDirs().initiator, tls: { ca: caFile, ...clientCert } }, mkt)
    await mkt.until(r => r.logonCount === 1)
  })
})
