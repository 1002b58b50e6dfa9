/**
 * `fix-session`: one FIX session as its own process, initiator or acceptor, logging logons,
 * messages and logouts as JSON lines on stderr. An initiator connects again after a failed
 * connection or an ended session; SIGINT/SIGTERM log out and stop. The lead wires
 * `fixSessionCommand()` into te-gateway.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { FixSessionEndpoint, type FixSessionConfig } from './endpoint.js'
import { jsonLog, type LogLevel, type SessionLog } from './log.js'
import { STORE_SYNCS, type StoreSync } from './store.js'

export interface FixSessionCliHooks {
  /** Where log lines go (default: stderr). */
  write?: (line: string) => void
  /** Called once the session runs, with a function that stops it (tests; signals do the same). */
  started?: (running: { endpoint: FixSessionEndpoint, stop: () => Promise<void> }) => void
}

interface CliOptions {
  role: 'initiator' | 'acceptor'
  host: string
  port: number
  senderCompId: string
  targetCompId: string
  heartbeat: number
  dictionary: string
  beginString: string
  storeDir: string
  storeSync: StoreSync
  reset: boolean
  reconnect: number
  tlsCert?: string
  tlsKey?: string
  tlsCa?: string[]
  tlsRequestCert: boolean
  logLevel: LogLevel
}

function wholeNumber (min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`a whole number from ${min} to ${max}`)
    return n
  }
}

export function fixSessionCommand (hooks: FixSessionCliHooks = {}): Command {
  return new Command('fix-session')
    .description('run one FIX session (FIX 4.4, or FIXT.1.1) as initiator or acceptor, logging logons and messages as JSON lines on stderr')
    .addOption(new Option('--role <role>', 'initiator connects, acceptor listens').choices(['initiator', 'acceptor']).makeOptionMandatory())
    .option('--host <host>', 'initiator: host to connect to; acceptor: interface to listen on', '127.0.0.1')
    .requiredOption('--port <port>', 'TCP port (acceptor: 0 for any free port)', wholeNumber(0, 65535))
    .requiredOption('--sender-comp-id <id>', 'our SenderCompID(49)')
    .requiredOption('--target-comp-id <id>', 'the counterparty\'s CompID, our TargetCompID(56)')
    .option('--heartbeat <seconds>', 'HeartBtInt(108)', wholeNumber(1, 3600), 30)
    .option('--dictionary <name>', 'jspurefix dictionary: qf44 (FIX 4.4), repo50sp2 (FIXT.1.1/5.0SP2) or a path', 'qf44')
    .option('--begin-string <value>', 'BeginString(8)', 'FIX.4.4')
    .option('--store-dir <dir>', 'folder for sequence numbers and sent messages (survives restarts)', './data/fix')
    .addOption(new Option('--store-sync <when>', 'fsync of the store: none (the OS writes back; a power cut may lose the last writes), every-write, interval (each second)').choices([...STORE_SYNCS]).default('none'))
    .option('--reset', 'ResetSeqNumFlag=Y on logon: every logon starts a new sequence', false)
    .option('--reconnect <seconds>', 'initiator: wait before connecting again after the session ended', wholeNumber(1, 3600), 5)
    .option('--tls-cert <file>', 'our certificate (PEM); with --tls-key, an acceptor serves TLS')
    .option('--tls-key <file>', 'our private key (PEM)')
    .option('--tls-ca <file...>', 'CA certificate(s) (PEM) trusted for the counterparty; an initiator with it connects over TLS')
    .option('--tls-request-cert', 'acceptor: require a client certificate from --tls-ca (mutual TLS)', false)
    .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error', 'silent']).default('info'))
    .action(async (options: CliOptions) => {
      await runFixSession(options, hooks)
    })
}

function tlsOf (o: CliOptions): FixSessionConfig['tls'] {
  const wanted = o.tlsCert !== undefined || o.tlsKey !== undefined || o.tlsCa !== undefined
  if (!wanted) return undefined
  return { cert: o.tlsCert, key: o.tlsKey, ca: o.tlsCa, requestCert: o.tlsRequestCert, rejectUnauthorized: true }
}

async function runFixSession (o: CliOptions, hooks: FixSessionCliHooks): Promise<void> {
  const log: SessionLog = jsonLog(o.logLevel, hooks.write)
  const endpoint = new FixSessionEndpoint({
    role: o.role,
    host: o.host,
    port: o.port,
    senderCompId: o.senderCompId,
    targetCompId: o.targetCompId,
    heartbeatSeconds: o.heartbeat,
    dictionary: o.dictionary,
    beginString: o.beginString,
    storeDir: o.storeDir,
    storeSync: o.storeSync,
    resetSeqNumOnLogon: o.reset,
    // An initiator keeps its session up: it connects again after a failure or a logout.
    reconnectSeconds: o.role === 'initiator' ? o.reconnect : undefined,
    tls: tlsOf(o),
    log
  }, {
    // The endpoint logs each message; a standalone session has no application behind it.
    onMessage: () => {}
  })
  let stopping = false
  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.removeListener(signal, onSignal)
    await endpoint.stop()
    log.info('fix-session stopped')
  }
  const onSignal = (): void => { void stop() }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, onSignal)
  await endpoint.start()
  hooks.started?.({ endpoint, stop })
}
