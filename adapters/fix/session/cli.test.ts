/**
 * The fix-session command in this process: its options, and an acceptor run from the command
 * line that a raw peer logs on to, with the JSON log lines it writes.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fixSessionCommand } from './cli.js'
import type { FixSessionEndpoint } from './endpoint.js'
import { RawPeer } from './test-peer.js'

describe('fix-session command', () => {
  it('documents its options in --help', () => {
    const help = fixSessionCommand().helpInformation()
    for (const option of ['--role', '--host', '--port', '--sender-comp-id', '--target-comp-id', '--heartbeat', '--dictionary', '--store-dir', '--reset', '--tls-ca']) {
      expect(help).toContain(option)
    }
  })

  it('refuses a role other than initiator or acceptor', async () => {
    const command = fixSessionCommand().exitOverride().configureOutput({ writeErr: () => {} })
    await expect(command.parseAsync(['--role', 'broker', '--port', '1', '--sender-comp-id', 'A', '--target-comp-id', 'B'], { from: 'user' })).rejects.toThrow(/Allowed choices are initiator, acceptor/)
  })

  it('refuses a store sync setting other than none, every-write or interval', async () => {
    const command = fixSessionCommand().exitOverride().configureOutput({ writeErr: () => {} })
    await expect(command.parseAsync(['--role', 'acceptor', '--port', '0', '--sender-comp-id', 'A', '--target-comp-id', 'B', '--store-sync', 'always'], { from: 'user' })).rejects.toThrow(/Allowed choices are none, every-write, interval/)
  })

  it('runs an acceptor that logs logons and messages as JSON lines', async () => {
    const lines: Array<Record<string, unknown>> = []
    let running: { endpoint: FixSessionEndpoint, stop: () => Promise<void> } | undefined
    const command = fixSessionCommand({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>), started: (r) => { running = r } })
    await command.parseAsync(['--role', 'acceptor', '--port', '0', '--sender-comp-id', 'GW', '--target-comp-id', 'PEER',
      '--store-dir', mkdtempSync(join(tmpdir(), 'fix-cli-')), '--store-sync', 'every-write'], { from: 'user' })
    expect(running?.endpoint.config.storeSync).toBe('every-write')
    const port = running?.endpoint.listeningAddress?.port ?? 0
    const peer = await RawPeer.connect(port, { sender: 'PEER', target: 'GW' })
    try {
      peer.logon(30)
      expect((await peer.next()).msgType).toBe('A')
      peer.send('D', [[11, 'cli-1'], [55, 'KWH'], [54, '1'], [60, '20260101-00:00:00'], [38, 1], [40, '1']])
      peer.send('1', [[112, 'ping']])
      expect((await peer.nextAnswerOr('ping')).get(112)).toBe('ping')
    } finally {
      peer.close()
      await running?.stop()
    }
    const msgs = lines.map(l => l['msg'])
    expect(msgs).toContain('listening')
    expect(msgs).toContain('logged on')
    expect(lines.find(l => l['msg'] === 'message')).toMatchObject({ msgType: 'D', seqNum: 2, session: 'GW->PEER' })
    expect(msgs).toContain('session ended')
  })
})
