/**
 * The session-level defects of jspurefix's shipped AsciiSession, each driven by a raw-socket
 * FIX 4.4 peer (test-peer.ts) against our acceptor over real TCP on 127.0.0.1.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FixSessionEndpoint, type FixSessionConfig, type ReceivedMessage } from './endpoint.js'
import { buildFrame, fixTime, RawPeer, type Field, type Frame, type PeerIds } from './test-peer.js'

const ORDER: Field[] = [[11, 'ord-1'], [55, 'KWH'], [54, '1'], [60, '20260101-00:00:00.000'], [38, 5], [40, '1']]
const ORDER_BODY = { ClOrdID: 'gw-1', Instrument: { Symbol: 'KWH' }, Side: '2', TransactTime: new Date('2026-01-01T00:00:00Z'), OrderQtyData: { OrderQty: 7 }, OrdType: '1' }

interface Running { endpoint: FixSessionEndpoint, port: number, received: ReceivedMessage[], ended: string[] }
const running: FixSessionEndpoint[] = []
const peers: RawPeer[] = []

afterEach(async () => {
  for (const p of peers.splice(0)) p.close()
  await Promise.all(running.splice(0).map(e => e.stop(200)))
})

async function acceptor (overrides: Partial<FixSessionConfig> = {}): Promise<Running> {
  const received: ReceivedMessage[] = []
  const ended: string[] = []
  const endpoint = new FixSessionEndpoint({
    role: 'acceptor', host: '127.0.0.1', port: 0, senderCompId: 'GW', targetCompId: 'PEER',
    heartbeatSeconds: 30, storeDir: mkdtempSync(join(tmpdir(), 'fix-session-')), ...overrides
  }, { onMessage: (m) => received.push(m), onLogout: (reason) => ended.push(reason) })
  running.push(endpoint)
  const { port } = await endpoint.start()
  return { endpoint, port, received, ended }
}

async function peer (port: number, ids: PeerIds = { sender: 'PEER', target: 'GW' }): Promise<RawPeer> {
  const p = await RawPeer.connect(port, ids)
  peers.push(p)
  return p
}

/** Logs the raw peer on (HeartBtInt 30 unless given) and returns our Logon answer. */
async function loggedOnPeer (port: number, heartBtInt = 30): Promise<RawPeer> {
  const p = await peer(port)
  p.logon(heartBtInt)
  const answer = await p.next()
  expect(answer.msgType).toBe('A')
  return p
}

/** Proves the session is alive and in sequence: a TestRequest at the next MsgSeqNum is answered. */
async function expectAlive (p: RawPeer, id = 'alive'): Promise<void> {
  p.send('1', [[112, id]])
  const f = await p.nextAnswerOr(id)
  expect(f.msgType).toBe('0')
  expect(f.get(112)).toBe(id)
}

function waitFor (condition: () => boolean, ms = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const poll = (): void => {
      if (condition()) resolve()
      else if (Date.now() - started > ms) reject(new Error('condition not met in time'))
      else setTimeout(poll, 10)
    }
    poll()
  })
}

describe('FIX session: ResendRequest (defect 1)', () => {
  it('replays stored application messages with PossDupFlag=Y and the original SendingTime, gap-filling admin messages', async () => {
    const { endpoint, port } = await acceptor()
    const p = await loggedOnPeer(port) // our Logon is 1
    await endpoint.send('D', ORDER_BODY) // 2
    await endpoint.send('D', { ...ORDER_BODY, ClOrdID: 'gw-2' }) // 3
    const originals = [await p.next(), await p.next()]
    expect(originals.map(f => f.seqNum)).toEqual([2, 3])

    p.send('2', [[7, 1], [16, 0]])
    const gapFill = await p.next()
    expect(gapFill.msgType).toBe('4')
    expect([gapFill.seqNum, gapFill.get(123), gapFill.get(36), gapFill.get(43)]).toEqual([1, 'Y', '2', 'Y'])
    for (const original of originals) {
      const replay = await p.next()
      expect(replay.msgType).toBe('D')
      expect(replay.seqNum).toBe(original.seqNum)
      expect(replay.get(43)).toBe('Y')
      expect(replay.get(122)).toBe(original.get(52))
      expect(replay.get(11)).toBe(original.get(11))
    }
    // Nothing was renumbered: the next new message continues after 3.
    await endpoint.send('D', { ...ORDER_BODY, ClOrdID: 'gw-3' })
    const next = await p.nextNonHeartbeat()
    expect([next.seqNum, next.get(43)]).toEqual([4, undefined])
  })
})

describe('FIX session: application messages while something is outstanding (defect 2)', () => {
  it('takes an application message that arrives while our TestRequest is outstanding', async () => {
    const { endpoint, port, received } = await acceptor()
    const p = await loggedOnPeer(port, 1) // peer heartbeat 1 s: silence of 1.5 s brings a TestRequest
    const testRequest = await p.nextNonHeartbeat(5000)
    expect(testRequest.msgType).toBe('1')
    p.send('D', ORDER)
    await waitFor(() => received.length === 1)
    expect(endpoint.isLoggedOn).toBe(true)
    p.send('0', [[112, testRequest.get(112) ?? '']])
    await expectAlive(p)
    expect(received[0]?.fields['ClOrdID']).toBe('ord-1')
  })

  it('takes an application message that arrives while the peer\'s ResendRequest is being answered', async () => {
    const { endpoint, port, received } = await acceptor()
    const p = await loggedOnPeer(port)
    await endpoint.send('D', ORDER_BODY)
    await p.next()
    // One write: the order arrives while the ResendRequest is still being answered.
    p.write(p.frame('2', [[7, 1], [16, 0]]).raw + p.frame('D', ORDER).raw)
    await waitFor(() => received.length === 1)
    expect(endpoint.isLoggedOn).toBe(true)
    expect((await p.next()).msgType).toBe('4') // gap fill for our Logon
    expect((await p.next()).get(43)).toBe('Y') // the replayed order
    await expectAlive(p)
  })
})

describe('FIX session: logout', () => {
  it('our Logout, confirmed by the peer, ends the session and closes the connection', async () => {
    const { endpoint, port, ended } = await acceptor()
    const p = await loggedOnPeer(port)
    endpoint.logout('maintenance')
    const logout = await p.nextNonHeartbeat()
    expect([logout.msgType, logout.get(58)]).toEqual(['5', 'maintenance'])
    p.send('5', [[58, 'ok']])
    await p.closed()
    await endpoint.ended()
    expect(ended).toEqual(['our logout confirmed: ok'])
  })

  it('confirms a peer\'s Logout that arrives while our TestRequest is outstanding', async () => {
    const { port, ended } = await acceptor()
    const p = await loggedOnPeer(port, 1)
    expect((await p.nextNonHeartbeat(5000)).msgType).toBe('1')
    p.send('5', [[58, 'going home']])
    const confirm = await p.nextNonHeartbeat()
    expect(confirm.msgType).toBe('5')
    p.close()
    await waitFor(() => ended.length === 1)
    expect(ended[0]).toBe('counterparty logged out: going home')
  })
})

describe('FIX session: acceptor with ResetSeqNumFlag=Y (defect 3)', () => {
  it('sends no ResendRequest to a peer that logs on without reset', async () => {
    const { port, received } = await acceptor({ resetSeqNumOnLogon: true })
    const p = await peer(port)
    p.logon(30)
    const logon = await p.next()
    expect([logon.msgType, logon.seqNum, logon.get(141)]).toEqual(['A', 1, 'Y'])
    p.send('D', ORDER)
    await expectAlive(p)
    expect(p.drain().filter(f => f.msgType === '2')).toEqual([])
    expect(received).toHaveLength(1)
  })

  it('sends no ResendRequest when the peer logs on with a later MsgSeqNum', async () => {
    const { port, received } = await acceptor({ resetSeqNumOnLogon: true })
    const p = await peer(port)
    p.nextSeqNum = 5
    p.logon(30)
    expect((await p.next()).get(141)).toBe('Y')
    p.send('D', ORDER) // 6
    await expectAlive(p)
    expect(received.map(m => m.seqNum)).toEqual([6])
  })
})

describe('FIX session: heartbeats', () => {
  it('as acceptor, heartbeats at the interval the initiator asked for, says so in its Logon, and sends no TestReqID unasked', async () => {
    const { port } = await acceptor({ heartbeatSeconds: 30 })
    const p = await peer(port)
    p.logon(1)
    expect((await p.next()).get(108)).toBe('1')
    // Our Heartbeat is due after 1 s of our silence, a TestRequest only after 1.5 s of the peer's.
    const first = await p.next(5000)
    expect([first.msgType, first.get(112)]).toEqual(['0', undefined])
  })
})

describe('FIX session: a peer that resets', () => {
  it('answers a Logon with ResetSeqNumFlag=Y with 141=Y and MsgSeqNum 1, whatever came before', async () => {
    const { endpoint, port } = await acceptor()
    const first = await loggedOnPeer(port)
    await endpoint.send('D', ORDER_BODY)
    first.send('D', ORDER)
    await first.nextNonHeartbeat()
    first.close()
    await endpoint.ended()
    const p = await peer(port)
    p.logon(30, [[141, 'Y']])
    const logon = await p.next()
    expect([logon.msgType, logon.seqNum, logon.get(141)]).toEqual(['A', 1, 'Y'])
    await expectAlive(p)
    expect(endpoint.sequenceNumbers).toEqual({ nextSenderSeqNum: 3, nextTargetSeqNum: 3 })
  })
})

describe('FIX session: validation (defect 4)', () => {
  it('refuses a Logon from the wrong SenderCompID with a Logout saying why, then disconnects', async () => {
    const { port } = await acceptor()
    const p = await peer(port, { sender: 'INTRUDER', target: 'GW' })
    p.logon(30)
    const logout = await p.next()
    expect(logout.msgType).toBe('5')
    expect(logout.get(58)).toMatch(/SenderCompID INTRUDER, expecting PEER/)
    await p.closed()
  })

  it('refuses a Logon to the wrong TargetCompID', async () => {
    const { port } = await acceptor()
    const p = await peer(port, { sender: 'PEER', target: 'SOMEONE-ELSE' })
    p.logon(30)
    const logout = await p.next()
    expect([logout.msgType, logout.get(58)]).toEqual(['5', expect.stringMatching(/TargetCompID SOMEONE-ELSE, expecting GW/)])
    await p.closed()
  })

  it('logs out and disconnects on a BeginString mismatch', async () => {
    const { port } = await acceptor()
    const p = await peer(port, { sender: 'PEER', target: 'GW', beginString: 'FIX.4.2' })
    p.logon(30)
    const logout = await p.next()
    expect([logout.msgType, logout.get(58)]).toEqual(['5', expect.stringMatching(/BeginString FIX.4.2, expecting FIX.4.4/)])
    await p.closed()
  })

  it('rejects (373=10, no RefTagID as QuickFIX) and logs out on a SendingTime too far off', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port)
    const seq = p.send('D', ORDER, [[52, fixTime(new Date(Date.now() - 10 * 60_000))]])
    const reject = await p.nextNonHeartbeat()
    expect(rejectFields(reject)).toEqual({ msgType: '3', refSeqNum: String(seq), refTagId: undefined, reason: '10', hasText: true })
    expect((await p.nextNonHeartbeat()).msgType).toBe('5')
  })

  it('rejects (373=1, 371=122) a PossDupFlag=Y message without OrigSendingTime and goes on', async () => {
    const { port, received } = await acceptor()
    const p = await loggedOnPeer(port)
    const seq = p.send('D', ORDER, [[43, 'Y']])
    const reject = await p.nextNonHeartbeat()
    expect(rejectFields(reject)).toEqual({ msgType: '3', refSeqNum: String(seq), refTagId: '122', reason: '1', hasText: true })
    await expectAlive(p) // the rejected message used up its MsgSeqNum
    expect(received).toEqual([])
  })

  it('rejects (373=10, no RefTagID as QuickFIX) OrigSendingTime later than SendingTime, then logs out', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port)
    const now = Date.now()
    const seq = p.send('D', ORDER, [[52, fixTime(new Date(now))], [43, 'Y'], [122, fixTime(new Date(now + 30_000))]])
    const reject = await p.nextNonHeartbeat()
    expect(rejectFields(reject)).toEqual({ msgType: '3', refSeqNum: String(seq), refTagId: undefined, reason: '10', hasText: true })
    expect((await p.nextNonHeartbeat()).msgType).toBe('5')
  })

  it('logs out with "MsgSeqNum too low" and disconnects when MsgSeqNum is too low without PossDupFlag', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port) // peer's Logon was 1
    p.send('D', ORDER) // 2
    p.send('D', ORDER, [[34, 2]])
    const logout = await p.nextNonHeartbeat()
    expect(logout.msgType).toBe('5')
    expect(logout.get(58)).toBe('MsgSeqNum too low, expecting 3 but received 2')
    await p.closed()
  })

  it('ignores a too-low MsgSeqNum that is a possible duplicate', async () => {
    const { port, received } = await acceptor()
    const p = await loggedOnPeer(port)
    p.send('D', ORDER) // 2
    p.send('D', ORDER, [[34, 2], [43, 'Y'], [122, fixTime(new Date(Date.now() - 1000))]])
    await expectAlive(p)
    expect(received.map(m => m.seqNum)).toEqual([2])
  })

  it('ignores garbled messages (bad CheckSum, bad BodyLength, noise) without Reject and without using a MsgSeqNum', async () => {
    const { port, received } = await acceptor()
    const p = await loggedOnPeer(port)
    const good = (seq: number): string => p.frame('D', ORDER, [[34, seq]]).raw
    const badChecksum = good(2).replace(/10=\d{3}\x01$/, (m) => `10=${String((Number(m.slice(3, 6)) + 1) % 256).padStart(3, '0')}\x01`)
    const badLength = good(2).replace(/\x019=(\d+)\x01/, (_, n: string) => `\x019=${Number(n) + 3}\x01`)
    p.write(badChecksum)
    p.write('this is no FIX at all\x01')
    p.write(badLength)
    p.nextSeqNum = 2
    await expectAlive(p) // MsgSeqNum 2 is still the one expected
    expect(p.drain().filter(f => f.msgType === '3')).toEqual([])
    expect(received).toEqual([])
  })

  it('rejects a message missing a required tag with RefSeqNum, RefTagID, SessionRejectReason and Text', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port)
    const seq = p.send('D', ORDER.filter(([tag]) => tag !== 11))
    const reject = await p.nextNonHeartbeat()
    expect(rejectFields(reject)).toEqual({ msgType: '3', refSeqNum: String(seq), refTagId: '11', reason: '1', hasText: true })
    expect(reject.get(372)).toBe('D')
    await expectAlive(p)
  })

  it('asks once for a gap (ResendRequest from the expected MsgSeqNum), queues what comes beyond it and processes it once the gap fill arrives (replays of it are duplicates)', async () => {
    const { port, received } = await acceptor()
    const p = await loggedOnPeer(port)
    p.send('D', ORDER, [[34, 4]])
    p.send('D', ORDER, [[34, 5]])
    const resend = await p.nextNonHeartbeat()
    expect([resend.msgType, resend.get(7), resend.get(16)]).toEqual(['2', '2', '0'])
    p.send('4', [[123, 'Y'], [36, 4]], [[34, 2], [43, 'Y'], [122, fixTime()]])
    p.send('D', ORDER, [[34, 4], [43, 'Y'], [122, fixTime()]])
    p.send('D', ORDER, [[34, 5], [43, 'Y'], [122, fixTime()]])
    p.nextSeqNum = 6
    await expectAlive(p)
    expect(p.drain().filter(f => f.msgType === '2')).toEqual([])
    expect(received.map(m => [m.seqNum, m.possDup])).toEqual([[4, false], [5, false]])
  })

  it('rejects (373=5, 371=36) a SequenceReset-GapFill whose NewSeqNo does not move forward', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port)
    const seq = p.send('4', [[123, 'Y'], [36, 2]]) // MsgSeqNum 2, NewSeqNo 2
    const reject = await p.nextNonHeartbeat()
    expect(rejectFields(reject)).toEqual({ msgType: '3', refSeqNum: String(seq), refTagId: '36', reason: '5', hasText: true })
    await expectAlive(p)
  })

  it('SequenceReset in Reset mode sets the expected MsgSeqNum whatever its own MsgSeqNum, and rejects a lower NewSeqNo (373=5)', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port)
    p.send('4', [[36, 20]], [[34, 999]])
    p.nextSeqNum = 20
    await expectAlive(p, 'after-reset')
    const seq = p.send('4', [[123, 'N'], [36, 3]], [[34, 21]])
    const reject = await p.nextNonHeartbeat()
    expect(rejectFields(reject)).toEqual({ msgType: '3', refSeqNum: String(seq), refTagId: undefined, reason: '5', hasText: true })
    p.nextSeqNum = 21 // the rejected reset did not change what is expected
    await expectAlive(p, 'after-reject')
  })
})

function rejectFields (f: Frame): Record<string, unknown> {
  return { msgType: f.msgType, refSeqNum: f.get(45), refTagId: f.get(371), reason: f.get(373), hasText: (f.get(58) ?? '') !== '' }
}

describe('FIX session: more of what a counterparty may do', () => {
  it('rejects an unknown MsgType (373=11, no RefTagID as QuickFIX)', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port)
    const seq = p.send('ZZ', [[58, 'what is this']])
    const reject = await p.nextNonHeartbeat()
    expect(rejectFields(reject)).toEqual({ msgType: '3', refSeqNum: String(seq), refTagId: undefined, reason: '11', hasText: true })
    await expectAlive(p)
  })

  it('closes a connection that sends no Logon, which then no longer blocks the session', async () => {
    const { port } = await acceptor({ logonTimeoutSeconds: 1 })
    const silent = await peer(port)
    await silent.closed()
    await loggedOnPeer(port)
  })

  it('refuses a second connection while a session is running', async () => {
    const { port } = await acceptor()
    const first = await loggedOnPeer(port)
    const second = await peer(port)
    second.logon(30)
    await second.closed()
    await expectAlive(first)
  })
})

describe('FIX session: our initiator against a raw acceptor', () => {
  async function initiatorAgainstRawAcceptor (overrides: Partial<FixSessionConfig> = {}): Promise<{ endpoint: FixSessionEndpoint, acceptorPeer: RawPeer, received: ReceivedMessage[] }> {
    const listening = await RawPeer.listen({ sender: 'PEER', target: 'GW' })
    const received: ReceivedMessage[] = []
    const endpoint = new FixSessionEndpoint({
      role: 'initiator', host: '127.0.0.1', port: listening.port, senderCompId: 'GW', targetCompId: 'PEER',
      heartbeatSeconds: 30, storeDir: mkdtempSync(join(tmpdir(), 'fix-session-')), ...overrides
    }, { onMessage: (m) => received.push(m) })
    running.push(endpoint)
    await endpoint.start()
    const acceptorPeer = await listening.accepted
    listening.close()
    peers.push(acceptorPeer)
    return { endpoint, acceptorPeer, received }
  }

  it('with ResetSeqNumFlag=Y, logs on with 141=Y and MsgSeqNum 1', async () => {
    const { acceptorPeer } = await initiatorAgainstRawAcceptor({ resetSeqNumOnLogon: true })
    const logon = await acceptorPeer.next()
    expect([logon.msgType, logon.seqNum, logon.get(141), logon.get(108)]).toEqual(['A', 1, 'Y', '30'])
  })

  it('asks for the gap when the acceptor\'s Logon MsgSeqNum is too high, and takes the replays', async () => {
    const { endpoint, acceptorPeer, received } = await initiatorAgainstRawAcceptor()
    expect((await acceptorPeer.next()).msgType).toBe('A')
    acceptorPeer.logon(30, [], [[34, 3]])
    const resend = await acceptorPeer.next()
    expect([resend.msgType, resend.get(7), resend.get(16)]).toEqual(['2', '1', '0'])
    acceptorPeer.send('4', [[123, 'Y'], [36, 2]], [[34, 1], [43, 'Y'], [122, fixTime()]])
    acceptorPeer.send('D', ORDER, [[34, 2], [43, 'Y'], [122, fixTime()]])
    acceptorPeer.send('4', [[123, 'Y'], [36, 4]], [[34, 3], [43, 'Y'], [122, fixTime()]])
    acceptorPeer.nextSeqNum = 4
    await expectAlive(acceptorPeer)
    expect(received.map(m => [m.seqNum, m.possDup])).toEqual([[2, true]])
    expect(endpoint.isLoggedOn).toBe(true)
  })
})

describe('FIX session: a bad Logon, and settings a counterparty may need (issue 13)', () => {
  it('refuses a Logon with a SendingTime too far off by disconnecting, without a Reject (a Logout saying why first by default)', async () => {
    const { port } = await acceptor()
    const p = await peer(port)
    p.logon(30, [], [[52, fixTime(new Date(Date.now() - 3_600_000))]])
    const logout = await p.next()
    expect([logout.msgType, logout.get(58)]).toEqual(['5', expect.stringMatching(/Logon refused: SendingTime accuracy problem/)])
    await p.closed()
  })

  it('with logoutBeforeRefusingLogon false, refuses a bad Logon (CompID, BeginString, SendingTime) by disconnecting only, as QuickFIX', async () => {
    const { port, ended } = await acceptor({ logoutBeforeRefusingLogon: false })
    const cases: Array<{ ids: PeerIds, header: Field[] }> = [
      { ids: { sender: 'INTRUDER', target: 'GW' }, header: [] },
      { ids: { sender: 'PEER', target: 'GW', beginString: 'FIX.4.2' }, header: [] },
      { ids: { sender: 'PEER', target: 'GW' }, header: [[52, fixTime(new Date(Date.now() - 3_600_000))]] }
    ]
    for (const [i, c] of cases.entries()) {
      const p = await peer(port, c.ids)
      p.logon(30, [], c.header)
      await p.closed()
      expect(p.drain()).toEqual([])
      await waitFor(() => ended.length === i + 1)
      expect(ended[i]).toMatch(/^Logon refused: /)
    }
  })

  it('closes a connection whose first message is garbled (QuickFIX: no session to ignore it within)', async () => {
    const { port, ended } = await acceptor()
    const p = await peer(port)
    const { raw } = p.frame('A', [[98, 0], [108, 30]])
    p.write(raw.replace(/\x019=(\d+)\x01/, (_, n: string) => `\x019=${Number(n) - 7}\x01`))
    await p.closed()
    await waitFor(() => ended.length === 1)
    expect(ended[0]).toMatch(/garbled message before Logon/)
  })

  it('within a session, answers a wrong BeginString with Logout "Incorrect BeginString" and disconnects', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port)
    p.write(buildFrame([[35, '1'], [49, 'PEER'], [56, 'GW'], [34, p.nextSeqNum++], [52, fixTime()], [112, 'x']], 'FIX.4.1'))
    const logout = await p.nextNonHeartbeat()
    expect([logout.msgType, logout.get(58)]).toEqual(['5', 'Incorrect BeginString'])
    await p.closed()
  })

  it('with sendResetSeqNumFlagN false, logs on without ResetSeqNumFlag=N; with logoutConfirmationText false, confirms a Logout without Text', async () => {
    const { port } = await acceptor({ sendResetSeqNumFlagN: false, logoutConfirmationText: false })
    const p = await peer(port)
    p.logon(30)
    const logon = await p.next()
    expect(logon.msgType).toBe('A')
    expect(logon.get(141)).toBeUndefined()
    p.send('5')
    const confirmation = await p.nextNonHeartbeat()
    expect(confirmation.msgType).toBe('5')
    expect(confirmation.get(58)).toBeUndefined()
  })

  it('by default, logs on with ResetSeqNumFlag=N and confirms a Logout with a Text', async () => {
    const { port } = await acceptor()
    const p = await peer(port)
    p.logon(30)
    expect((await p.next()).get(141)).toBe('N')
    p.send('5')
    expect((await p.nextNonHeartbeat()).get(58)).toBeDefined()
  })
})

describe('FIX session: values checked against the dictionary (issue 13)', () => {
  const order = (overrides: Field[] = [], extra: Field[] = []): Field[] => {
    const base = new Map<number, string | number>([[11, 'v-1'], [21, '1'], [55, 'KWH'], [54, '1'], [60, fixTime()], [38, '002000.00'], [40, '1']])
    for (const [t, v] of overrides) base.set(t, v)
    return [...base.entries(), ...extra]
  }
  const cases: Array<{ name: string, body: Field[], header?: Field[], reason: string, refTagId: string | undefined, text: string }> = [
    { name: 'a wrong enum (21=4)', body: order([[21, '4']]), reason: '5', refTagId: '21', text: 'Value is incorrect (out of range) for this tag' },
    { name: 'a bad data format (38=+200.00)', body: order([[38, '+200.00']]), reason: '6', refTagId: '38', text: 'Incorrect data format for value' },
    { name: 'a repeated tag (40 twice)', body: [...order(), [40, '2']], reason: '13', refTagId: '40', text: 'Tag appears more than once' },
    { name: 'a group count that does not match its entries (386=3, two 336)', body: order([], [[386, '3'], [336, 'PRE-OPEN'], [336, 'AFTER-HOURS']]), reason: '16', refTagId: '386', text: 'Incorrect NumInGroup count for repeating group' },
    { name: 'an empty value (55=)', body: order([[55, '']]), reason: '4', refTagId: '55', text: 'Tag specified without a value' },
    { name: 'a bad UTCTimestamp in OrigSendingTime', body: order(), header: [[43, 'Y'], [122, '20040415']], reason: '6', refTagId: '122', text: 'Incorrect data format for value' },
    { name: 'a tag not defined for the message type (55 on a Heartbeat)', body: [], reason: '2', refTagId: '55', text: 'Tag not defined for this message type' },
    { name: 'a header field after the body (34 last)', body: order(), reason: '14', refTagId: '34', text: 'Tag specified out of required order' }
  ]

  for (const c of cases) {
    it(`rejects ${c.name} with 373=${c.reason}, 371=${c.refTagId ?? '(none)'}, and hands nothing to the application`, async () => {
      const { port, received } = await acceptor()
      const p = await loggedOnPeer(port)
      let seq: number
      if (c.reason === '2') {
        seq = p.send('0', [[55, 'KWH']])
      } else if (c.reason === '14') {
        seq = p.nextSeqNum++
        p.write(buildFrame([[35, 'D'], [49, 'PEER'], [56, 'GW'], [52, fixTime()], ...c.body, [34, seq]]))
      } else {
        seq = p.send('D', c.body, c.header ?? [])
      }
      const reject = await p.nextNonHeartbeat()
      expect({ ...rejectFields(reject), text: reject.get(58) }).toEqual({ msgType: '3', refSeqNum: String(seq), refTagId: c.refTagId, reason: c.reason, hasText: true, text: c.text })
      await expectAlive(p)
      expect(received).toEqual([])
    })
  }

  it('rejects a message missing a required header field (56) with 373=1, 371=56, not as a CompID problem', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port)
    const seq = p.nextSeqNum++
    p.write(buildFrame([[35, '0'], [34, seq], [49, 'PEER'], [52, fixTime()]]))
    const reject = await p.nextNonHeartbeat()
    expect(rejectFields(reject)).toEqual({ msgType: '3', refSeqNum: String(seq), refTagId: '56', reason: '1', hasText: true })
    await expectAlive(p)
  })

  it('passes a valid order on, its fields in order and exactly as received (38=002000.00)', async () => {
    const { port, received } = await acceptor()
    const p = await loggedOnPeer(port)
    p.send('D', order())
    await waitFor(() => received.length === 1)
    const fieldList = received[0]?.fieldList ?? []
    expect(fieldList.find(([t]) => t === 38)).toEqual([38, '002000.00'])
    expect(fieldList.map(([t]) => t).slice(0, 3)).toEqual([8, 9, 35])
  })
})

describe('FIX session: sequence handling and settings, as QuickFIX (issue 13)', () => {
  it('confirms a Logout whatever its MsgSeqNum (too low included)', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port)
    p.send('0')
    p.send('5', [], [[34, 2]])
    const confirmation = await p.nextNonHeartbeat()
    expect(confirmation.msgType).toBe('5')
    expect(confirmation.get(58) ?? '').not.toMatch(/too low/)
    await p.closed()
  })

  it('answers a ResendRequest whose own MsgSeqNum is too low, and goes on', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port)
    p.send('0')
    p.send('2', [[7, 1], [16, 0]], [[34, 2]])
    const fill = await p.nextNonHeartbeat()
    expect([fill.msgType, fill.get(123), fill.get(34)]).toEqual(['4', 'Y', '1'])
    await expectAlive(p)
  })

  it('ignores a message whose first three fields are out of order, and goes on', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port)
    p.write(buildFrame([[34, p.nextSeqNum], [35, '0'], [49, 'PEER'], [56, 'GW'], [52, fixTime()]]))
    await expectAlive(p) // the same MsgSeqNum again: the garbled one did not count
  })

  it('with testRequestId, sends TestRequests with the TestReqID the application chose', async () => {
    const { port } = await acceptor({ testRequestId: () => 'TEST' })
    const p = await loggedOnPeer(port, 1)
    for (;;) {
      const f = await p.next(5000)
      if (f.msgType === '1') {
        expect(f.get(112)).toBe('TEST')
        break
      }
    }
  })

  it('with resetSeqNumOnLogon and announceReset false, starts every Logon at 1 on both sides without saying 141=Y, and asks for a gap above 1', async () => {
    const { port } = await acceptor({ resetSeqNumOnLogon: true, announceReset: false })
    const first = await peer(port)
    first.logon(30)
    const logon = await first.next()
    expect([logon.msgType, logon.get(34), logon.get(141)]).toEqual(['A', '1', 'N'])
    await expectAlive(first)
    first.send('5')
    await first.closed()
    const second = await peer(port)
    second.logon(30, [], [[34, 3]])
    const again = await second.next()
    expect([again.msgType, again.get(34), again.get(141)]).toEqual(['A', '1', 'N'])
    const resend = await second.nextNonHeartbeat()
    expect([resend.msgType, resend.get(7), resend.get(16)]).toEqual(['2', '1', '0'])
  })
})

describe('FIX session: echo exactly (issue 13)', () => {
  it('echo sends back the application header fields and the body exactly as received', async () => {
    const endpoint = new FixSessionEndpoint({
      role: 'acceptor', host: '127.0.0.1', port: 0, senderCompId: 'GW', targetCompId: 'PEER',
      heartbeatSeconds: 30, storeDir: mkdtempSync(join(tmpdir(), 'fix-session-'))
    }, { onMessage: (m, session) => { void session.echo(m) } })
    running.push(endpoint)
    const { port } = await endpoint.start()
    const p = await loggedOnPeer(port)
    p.send('D', [[11, 'e-1'], [21, '1'], [40, '1'], [54, '1'], [38, '002000.00'], [55, 'KWH'], [60, '20260101-00:00:00']], [[97, 'Y']])
    const echo = await p.nextNonHeartbeat()
    expect(echo.msgType).toBe('D')
    // After our own header (8, 9, 35, 49, 56, 34, 52), before the CheckSum.
    const echoed = echo.fields.slice(7, -1).map(([t, v]) => `${t}=${v}`)
    expect(echoed).toEqual(['97=Y', '11=e-1', '21=1', '40=1', '54=1', '38=002000.00', '55=KWH', '60=20260101-00:00:00'])
  })
})

describe('FIX session: more of QuickFIX\'s acceptance cases (issue 13)', () => {
  it('rejects a field whose tag is not a number ("-1=HI") with 373=0, 371=-1', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port)
    const seq = p.send('0', [[-1, 'HI']])
    const reject = await p.nextNonHeartbeat()
    expect(rejectFields(reject)).toEqual({ msgType: '3', refSeqNum: String(seq), refTagId: '-1', reason: '0', hasText: true })
  })

  it('sends no Heartbeat while its TestRequest is unanswered, then disconnects', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port, 1)
    const frames: Frame[] = []
    for (;;) {
      const f = await Promise.race([p.next(10_000), p.closed(10_000).then(() => null)])
      if (f === null) break
      frames.push(f)
    }
    const types = frames.map(f => f.msgType)
    const testRequest = types.indexOf('1')
    expect(testRequest).toBeGreaterThanOrEqual(0)
    expect(types.slice(testRequest + 1).filter(t => t === '0')).toEqual([])
  })

  it('takes a Logon with ResetSeqNumFlag=Y and MsgSeqNum 1 within a session: answers with its own at 1, both sides go on from there', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port)
    await expectAlive(p)
    p.nextSeqNum = 1
    p.logon(30, [[141, 'Y']])
    const logon = await p.nextNonHeartbeat()
    expect([logon.msgType, logon.get(34), logon.get(141)]).toEqual(['A', '1', 'Y'])
    p.send('1', [[112, 'after reset']])
    const answer = await p.nextAnswerOr('after reset')
    expect([answer.msgType, answer.get(34)]).toEqual(['0', '2'])
  })

  it('routes a Reject back: OnBehalfOfCompID/SubID become DeliverToCompID/SubID and the other way round', async () => {
    const { port } = await acceptor()
    const p = await loggedOnPeer(port)
    const bad: Field[] = [[11, 'r-1'], [21, '1'], [55, 'KWH'], [54, '1'], [60, fixTime()], [38, 1], [40, 'w']]
    p.send('D', bad, [[115, 'JCD'], [116, 'CS']])
    const first = await p.nextNonHeartbeat()
    expect([first.msgType, first.get(128), first.get(129), first.get(115)]).toEqual(['3', 'JCD', 'CS', undefined])
    p.send('D', bad, [[128, 'JCD']])
    const second = await p.nextNonHeartbeat()
    expect([second.msgType, second.get(115), second.get(128)]).toEqual(['3', 'JCD', undefined])
  })

  it('FIX 4.2: a SessionRejectReason the version does not know (13) is left out, its Text kept', async () => {
    const { port } = await acceptor({ beginString: 'FIX.4.2', dictionary: 'qf42' })
    const p = await peer(port, { sender: 'PEER', target: 'GW', beginString: 'FIX.4.2' })
    p.logon(30)
    expect((await p.next()).msgType).toBe('A')
    const seq = p.send('D', [[11, 'x'], [21, '1'], [40, '1'], [40, '2'], [54, '1'], [55, 'KWH'], [60, fixTime()]])
    const reject = await p.nextNonHeartbeat()
    expect([reject.msgType, reject.get(45), reject.get(373), reject.get(58)]).toEqual(['3', String(seq), undefined, 'Tag appears more than once'])
  })

  it('FIXT.1.1: a session message carrying an application tag is rejected as an invalid tag number (373=0): the transport layer does not know it', async () => {
    const { port } = await acceptor({ beginString: 'FIXT.1.1', dictionary: 'qf50sp2' })
    const p = await peer(port, { sender: 'PEER', target: 'GW', beginString: 'FIXT.1.1' })
    p.logon(30, [[1137, '9']])
    expect((await p.next()).msgType).toBe('A')
    const seq = p.send('0', [[55, 'KWH']])
    const reject = await p.nextNonHeartbeat()
    expect(rejectFields(reject)).toEqual({ msgType: '3', refSeqNum: String(seq), refTagId: '55', reason: '0', hasText: true })
  })

  it('FIXT.1.1: refuses a Logon without DefaultApplVerID', async () => {
    const { port, ended } = await acceptor({ beginString: 'FIXT.1.1', dictionary: 'qf50sp2', logoutBeforeRefusingLogon: false })
    const p = await peer(port, { sender: 'PEER', target: 'GW', beginString: 'FIXT.1.1' })
    p.logon(30)
    await p.closed()
    await waitFor(() => ended.length === 1)
    expect(ended[0]).toMatch(/DefaultApplVerID/)
  })
})

describe('FIX session: a stopped endpoint (issue 13)', () => {
  it('starts again: listens, takes a Logon and resumes its sequence numbers', async () => {
    const { endpoint, port } = await acceptor()
    const first = await loggedOnPeer(port)
    await expectAlive(first)
    await endpoint.stop(500)
    await first.closed()
    const { port: again } = await endpoint.start()
    const p = await peer(again)
    p.nextSeqNum = first.nextSeqNum
    p.logon(30)
    const logon = await p.next()
    expect(logon.msgType).toBe('A')
    await expectAlive(p, 'restarted')
  })
})
