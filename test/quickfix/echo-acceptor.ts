/**
 * QuickFIX's acceptance-test acceptor (`at`, src/at_application.h of QuickFIX's sources) on our
 * session API: SenderCompID ISLD, TargetCompID TW, a fresh store per start, every Logon a new
 * sequence (at.cfg: ResetOnLogon=Y), TestReqID "TEST".
 * It echoes NewOrderSingle, SecurityDefinition and Email as received; a resent order (PossResend=Y)
 * whose ClOrdID it has seen is dropped; any other application message is answered with a
 * BusinessMessageReject "Unsupported Message Type" (BusinessRejectReason 3), as QuickFIX answers
 * the UnsupportedMessageType its message cracker throws.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FixSessionEndpoint, type FixApplication, type FixSessionConfig, type FixSessionHandle, type ReceivedMessage } from '../../adapters/fix/session/index.js'

export type EchoVersion = 'FIX.4.2' | 'FIX.4.4' | 'FIXT.1.1'

const ECHOED = new Set(['D', 'd', 'C'])

export class EchoApplication implements FixApplication {
  private readonly orderIds = new Set<string>()

  onMessage (message: ReceivedMessage, session: FixSessionHandle): void {
    if (!ECHOED.has(message.msgType)) {
      void session.send('j', { RefSeqNum: message.seqNum, RefMsgType: message.msgType, BusinessRejectReason: 3, Text: 'Unsupported Message Type' }).catch(() => {})
      return
    }
    if (message.msgType === 'D') {
      const clOrdId = message.fieldList.find(([tag]) => tag === 11)?.[1] ?? ''
      const possResend = message.fieldList.some(([tag, value]) => tag === 97 && value === 'Y')
      if (possResend && this.orderIds.has(clOrdId)) return
      this.orderIds.add(clOrdId)
    }
    void session.echo(message).catch(() => {})
  }

  onLogout (): void {
    this.orderIds.clear()
  }
}

export interface RunningEcho { port: number, stop: () => Promise<void> }

/** Dictionaries: QuickFIX's own (spec/ of its source package) for 4.2 and 4.4; jspurefix's QuickFIX-format FIX 5.0 SP2 with FIXT.1.1 for 5.0SP2. */
function dictionaryFor (version: EchoVersion, specDir: string): string {
  if (version === 'FIX.4.2') return join(specDir, 'FIX42.xml')
  if (version === 'FIX.4.4') return join(specDir, 'FIX44.xml')
  return 'qf50sp2'
}

export async function startEchoAcceptor (version: EchoVersion, specDir: string, extra: Partial<FixSessionConfig> = {}): Promise<RunningEcho> {
  const storeDir = mkdtempSync(join(tmpdir(), 'fix-at-'))
  const endpoint = new FixSessionEndpoint({
    role: 'acceptor',
    host: '127.0.0.1',
    port: 0,
    senderCompId: 'ISLD',
    targetCompId: 'TW',
    heartbeatSeconds: 30,
    beginString: version,
    dictionary: dictionaryFor(version, specDir),
    storeDir,
    // QuickFIX's choices where counterparties differ.
    sendResetSeqNumFlagN: false,
    logoutBeforeRefusingLogon: false,
    logoutConfirmationText: false,
    // at.cfg: ResetOnLogon=Y, which QuickFIX does without saying 141=Y.
    resetSeqNumOnLogon: true,
    announceReset: false,
    testRequestId: () => 'TEST',
    ...extra
  }, new EchoApplication())
  const { port } = await endpoint.start()
  return {
    port,
    stop: async () => {
      await endpoint.stop(200)
      rmSync(storeDir, { recursive: true, force: true })
    }
  }
}
