/**
 * Our session layer reaches inside jspurefix (README "FIX", overrides table): it overrides
 * protected methods of AsciiSession, patches the transmitter's encodeMessage, reads and writes
 * session state fields, and relies on jspurefix calling these at the points we expect. jspurefix
 * is pinned exactly; these tests fail if an update removes, reshapes or stops calling an internal
 * we depend on, so an update cannot silently undo a fix.
 */
import 'reflect-metadata'
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { AsciiSession, MsgView } from 'jspurefix'
import { FixSession } from 'jspurefix/dist/transport/session/fix-session.js'
import { AsciiMsgTransmitter } from 'jspurefix/dist/transport/ascii/ascii-msg-transmitter.js'
import { AsciiView } from 'jspurefix/dist/buffer/ascii/ascii-view.js'
import { AsciiEncoder } from 'jspurefix/dist/buffer/ascii/ascii-encoder.js'
import { MsgEncoder } from 'jspurefix/dist/buffer/msg-encoder.js'
import { ElasticBuffer } from 'jspurefix'
import { makeSessionScope } from 'jspurefix/dist/runtime/session-scope.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FixSessionEndpoint, type ReceivedMessage } from './endpoint.js'
import { GatewaySession } from './session.js'
import { sessionDirectory } from './store.js'
import { RawPeer } from './test-peer.js'

const require = createRequire(import.meta.url)
const running: FixSessionEndpoint[] = []
const peers: RawPeer[] = []

afterEach(async () => {
  vi.restoreAllMocks()
  for (const p of peers.splice(0)) p.close()
  await Promise.all(running.splice(0).map(e => e.stop(200)))
})

type Methods = Record<string, (...args: unknown[]) => unknown>
const proto = (c: { prototype: object }): Methods => c.prototype as Methods

async function acceptorWithPeer (storeDir = mkdtempSync(join(tmpdir(), 'fix-overrides-'))): Promise<{ endpoint: FixSessionEndpoint, peer: RawPeer, received: ReceivedMessage[] }> {
  const received: ReceivedMessage[] = []
  const endpoint = new FixSessionEndpoint({ role: 'acceptor', host: '127.0.0.1', port: 0, senderCompId: 'GW', targetCompId: 'PEER', heartbeatSeconds: 30, storeDir }, { onMessage: (m) => received.push(m) })
  running.push(endpoint)
  const { port } = await endpoint.start()
  const peer = await RawPeer.connect(port, { sender: 'PEER', target: 'GW' })
  peers.push(peer)
  return { endpoint, peer, received }
}

const sessionOf = (endpoint: FixSessionEndpoint): GatewaySession => (endpoint as unknown as { session: GatewaySession }).session

describe('jspurefix internals we override', () => {
  it('jspurefix is pinned to the exact version these overrides were written against', () => {
    const ours = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }
    expect(ours.dependencies['jspurefix']).toBe('5.11.4')
    expect((require('jspurefix/package.json') as { version: string }).version).toBe('5.11.4')
  })

  it('each method we override or call exists where we expect it, with the parameters we pass', () => {
    // [class that defines it, method, declared parameters (Function.length)]
    const expected: Array<[{ prototype: object }, string, number]> = [
      [AsciiSession, 'onMsg', 2], // overridden: every received message
      [AsciiSession, 'onResendRequest', 1], // overridden: replays from our store
      [FixSession, 'validStateApplicationMsg', 0], // overridden: messages while awaiting
      [FixSession, 'send', 2], // overridden (callback has a default): stores what is sent
      [AsciiSession, 'onPreLogon', 0], // overridden: reset of our store
      [FixSession, 'rxOnError', 1], // overridden: the reason a session ended
      [AsciiSession, 'run', 1], // overridden: logon timer, encode guard
      [FixSession, 'rxOnMsg', 2], // calls onMsg
      [FixSession, 'rxOnDecoded', 3], // calls onDecoded with the text
      [AsciiSession, 'checkForwardMsg', 2], // called: calls validStateApplicationMsg, onApplicationMsg
      [AsciiSession, 'onSessionMsg', 2], // called: Logon, Logout, Heartbeat, TestRequest handling
      [AsciiSession, 'okForLogon', 0],
      [FixSession, 'sendLogout', 1],
      [FixSession, 'setState', 1],
      [FixSession, 'assignState', 1],
      [FixSession, 'getState', 0],
      [FixSession, 'stop', 0],
      [AsciiMsgTransmitter, 'encodeMessage', 2], // wrapped by EncodeGuard
      [AsciiEncoder, 'reset', 0], // EncodeGuard empties a half-written message
      [MsgEncoder, 'encode', 2], // wrapped per encoder by raw-body.ts
      [AsciiEncoder, 'WriteTagEquals', 1], // raw-body.ts writes fields as given
      [AsciiEncoder, 'writeDelimiter', 2],
      [ElasticBuffer, 'writeBuffer', 1],
      [ElasticBuffer, 'getPos', 0],
      [AsciiView, 'clone', 0], // received.ts keeps a copy of the view
      [MsgView, 'toObject', 0],
      [MsgView, 'missing', 0] // remembered per shape by missing-tags.ts
    ]
    for (const [owner, method, parameters] of expected) {
      const f = proto(owner)[method]
      expect(typeof f, method).toBe('function')
      expect(Object.prototype.hasOwnProperty.call(owner.prototype, method), `${method} defined on ${(owner as { name?: string }).name}`).toBe(true)
      expect(f!.length, `${method} parameters`).toBe(parameters)
    }
    // Imported from jspurefix's dist paths, not its index (transport.ts, replay.ts).
    expect(typeof makeSessionScope).toBe('function')
    // Our overrides are in place on GatewaySession.
    for (const method of ['onMsg', 'onResendRequest', 'validStateApplicationMsg', 'send', 'onPreLogon', 'rxOnError', 'run']) {
      expect(Object.prototype.hasOwnProperty.call(GatewaySession.prototype, method), method).toBe(true)
      expect(proto(GatewaySession)[method], method).not.toBe(proto(AsciiSession)[method])
    }
  })

  it('jspurefix calls our overrides: received messages reach onMsg, its own sends go through our send, application messages pass validStateApplicationMsg, state fields have the shape we write', async () => {
    const onMsg = vi.spyOn(GatewaySession.prototype as unknown as Methods, 'onMsg')
    const send = vi.spyOn(GatewaySession.prototype as unknown as Methods, 'send')
    const validState = vi.spyOn(GatewaySession.prototype as unknown as Methods, 'validStateApplicationMsg')
    const onResendRequest = vi.spyOn(GatewaySession.prototype as unknown as Methods, 'onResendRequest')
    const { endpoint, peer, received } = await acceptorWithPeer()
    peer.logon(30)
    const answer = await peer.next()
    expect(answer.msgType).toBe('A')
    // rxOnMsg → our onMsg; AsciiSession's logon answer → our send (which stored it).
    expect(onMsg.mock.calls.map(c => c[0])).toContain('A')
    expect(send.mock.calls.map(c => c[0])).toContain('A')
    await sessionOf(endpoint).flushStore()
    expect((await endpoint.store.sentBetween(1, 1)).map(m => m.msgType)).toEqual(['A'])

    // The session state fields we read and write exist with these types.
    const state = (sessionOf(endpoint) as unknown as { sessionState: Record<string, unknown> }).sessionState
    expect(state['lastPeerMsgSeqNum']).toBe(1)
    expect(typeof state['heartBeat']).toBe('number')
    expect('logoutSentAt' in state && 'lastTestRequestAt' in state).toBe(true)
    const transmitter = (sessionOf(endpoint) as unknown as { transport: { transmitter: Record<string, unknown> } }).transport.transmitter
    expect(transmitter['msgSeqNum']).toBe(2)
    // EncodeGuard's wrapper is the one the transmitter's stream calls.
    expect(Object.prototype.hasOwnProperty.call(transmitter, 'encodeMessage')).toBe(true)

    // checkForwardMsg → our validStateApplicationMsg → onApplicationMsg, with the text from onDecoded.
    peer.send('D', [[11, 'o-1'], [55, 'KWH'], [54, '1'], [60, '20260101-00:00:00.000'], [38, '002000.00'], [40, '1']])
    await vi.waitFor(() => expect(received).toHaveLength(1))
    expect(validState).toHaveBeenCalled()
    expect(received[0]!.text).toContain('|38=002000.00|')
    expect(received[0]!.fields['ClOrdID']).toBe('o-1')

    // AsciiSession hands a ResendRequest to onResendRequest, ours, which replays from our store.
    await endpoint.send('8', { OrderID: 'x', ExecID: 'e', ExecType: '0', OrdStatus: '0', Side: '1', Instrument: { Symbol: 'KWH' }, LeavesQty: 1, CumQty: 0, AvgPx: 0 })
    await peer.next()
    peer.send('2', [[7, 2], [16, 0]])
    const replay = await peer.next()
    expect(onResendRequest).toHaveBeenCalled()
    expect([replay.msgType, replay.get(43), replay.get(122) !== undefined]).toEqual(['8', 'Y', true])
  })

  it('jspurefix starts its numbering from our store (through the read-only view), and AsciiSession keeps our flag and interval changes for its Logon answer', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fix-overrides-'))
    const dir = sessionDirectory(root, 'FIX.4.4', 'GW', 'PEER')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'journal.jsonl'), '{"nextSenderSeqNum":7,"nextTargetSeqNum":1}\n')
    const { peer } = await acceptorWithPeer(root)
    peer.logon(45)
    const answer = await peer.next()
    expect(answer.msgType).toBe('A')
    expect(answer.seqNum).toBe(7)
    expect(answer.get(108)).toBe('45')
  })

  it('a body the dictionary cannot encode is refused inside the transmitter: no bytes, no sequence number, the stream goes on', async () => {
    const { endpoint, peer } = await acceptorWithPeer()
    peer.logon(30)
    await peer.next()
    const transmitter = (sessionOf(endpoint) as unknown as { transport: { transmitter: { msgSeqNum: number, encodeStream: { destroyed: boolean } } } }).transport.transmitter
    const next = transmitter.msgSeqNum
    await expect(endpoint.send('8', { Parties: { NoPartyIDs: { PartyID: 'x' } } })).rejects.toThrow(/cannot send 8: .*NoPartyIDs/)
    expect(transmitter.msgSeqNum).toBe(next)
    expect(transmitter.encodeStream.destroyed).toBe(false)
    expect(await endpoint.send('8', { OrderID: 'x', ExecID: 'e', ExecType: '0', OrdStatus: '0', Side: '1', Instrument: { Symbol: 'KWH' }, LeavesQty: 1, CumQty: 0, AvgPx: 0 })).toBe(next)
    const report = await peer.next()
    expect([report.msgType, report.seqNum]).toEqual(['8', next])
  })
})
