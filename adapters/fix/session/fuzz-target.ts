/**
 * The endpoints the fuzz test attacks, in a process of their own so that a crash is seen as the
 * process dying, not as an error the test runner catches. Started as
 *   node --import tsx fuzz-target.ts <initiator-target-port>
 * it runs an acceptor (GW <- FUZZ), a bystander acceptor (GW <- CALM) whose session the test keeps
 * up throughout, and an initiator (GW -> FUZZ) that connects again whenever its session ends.
 * It writes one JSON line per event to stdout: the session log lines, and first
 * {"ready": {acceptor, bystander}} with the ports bound. It installs no 'uncaughtException'
 * handler on purpose.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FixSessionEndpoint, type FixSessionConfig } from './endpoint.js'
import { jsonLog } from './log.js'

const initiatorPort = Number(process.argv[2])
const log = jsonLog(process.env.FUZZ_LOG_LEVEL === 'debug' ? 'debug' : 'info', (line) => process.stdout.write(line))
const storeRoot = mkdtempSync(join(tmpdir(), 'fix-fuzz-'))
const common = { host: '127.0.0.1', heartbeatSeconds: 30, storeDir: storeRoot, log, logonTimeoutSeconds: 2 } as const

function echoing (config: FixSessionConfig): FixSessionEndpoint {
  // The application echoes nothing: an application that answers would only add our own traffic.
  return new FixSessionEndpoint(config, { onMessage: () => {} })
}

const acceptor = echoing({ ...common, role: 'acceptor', port: 0, senderCompId: 'GW', targetCompId: 'FUZZ' })
const bystander = echoing({ ...common, role: 'acceptor', port: 0, senderCompId: 'GW', targetCompId: 'CALM' })
const initiator = echoing({
  ...common, role: 'initiator', port: initiatorPort, senderCompId: 'GW', targetCompId: 'FUZZ', reconnectSeconds: 0.01, resetSeqNumOnLogon: true
})

const ports = { acceptor: (await acceptor.start()).port, bystander: (await bystander.start()).port }
await initiator.start()
process.stdout.write(JSON.stringify({ ready: ports }) + '\n')

process.on('SIGTERM', () => {
  void Promise.all([acceptor.stop(100), bystander.stop(100), initiator.stop(100)]).finally(() => process.exit(0))
})
