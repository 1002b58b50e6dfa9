/**
 * The FIX session layer as one reusable piece: a FIX application of ours implements
 * `FixApplication` (onLogon, onMessage, onLogout) and sends through `FixSessionEndpoint.send`;
 * the endpoint is initiator or acceptor over TCP or TLS, keeps its sequence numbers and sent
 * messages in a store folder so a restart resumes the session, and runs GatewaySession on each
 * connection. An acceptor serves one counterparty (SenderCompID/TargetCompID) at a time.
 */
import 'reflect-metadata'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { AsciiSessionMsgFactory, DefinitionFactory, JsFixConfig, SessionContainer } from 'jspurefix'
import type { FixDefinitions, ILooseObject, ISessionDescription, MsgTransport, SessionId } from 'jspurefix'
import { JspurefixLogBridge, silentLog, type SessionLog } from './log.js'
import { ReadOnlyJspurefixStore } from './jspurefix-store-view.js'
import { GatewaySession, type ReceivedMessage } from './session.js'
import type { FieldPair } from './received.js'
import { FileSessionStore, sessionDirectory, type SequenceNumbers, type SessionStore, type StoreSync } from './store.js'
import type { SessionTlsConfig } from './tls.js'
import { GatewayTcpAcceptor, GatewayTcpInitiator, GuardedDuplex } from './transport.js'

export type { ReceivedMessage } from './session.js'
export type { FieldPair } from './received.js'

/** What a FIX application of ours implements. */
export interface FixApplication {
  onLogon? (session: FixSessionHandle): void
  /** An application message that passed the session checks (replays have `possDup`). */
  onMessage (message: ReceivedMessage, session: FixSessionHandle): void
  onLogout? (reason: string): void
}

export interface FixSessionHandle {
  /** Sends an application message (`body` by dictionary field names); resolves with its MsgSeqNum. */
  send (msgType: string, body: ILooseObject): Promise<number>
  /** Sends an application message whose body is these fields, exactly as given and in this order. */
  sendFields (msgType: string, fields: readonly FieldPair[]): Promise<number>
  /** Sends back a received message exactly as received (same type, body and application header fields, same values). */
  echo (message: ReceivedMessage): Promise<number>
  logout (text?: string): void
}

export interface FixSessionConfig {
  role: 'initiator' | 'acceptor'
  /** Initiator: where to connect. Acceptor: the address to bind (port 0: any free port). */
  host: string
  port: number
  senderCompId: string
  targetCompId: string
  heartbeatSeconds: number
  /** 'FIX.4.4' (default) or 'FIXT.1.1'. */
  beginString?: string
  /** jspurefix dictionary name or path: 'qf44' (default) for FIX 4.4, 'repo50sp2' for FIXT.1.1/5.0SP2. */
  dictionary?: string
  /** FIXT.1.1: DefaultApplVerID(1137) on our Logon; default '9' (FIX 5.0 SP2). */
  defaultApplVerId?: string
  /** ResetSeqNumFlag=Y on Logon: every logon starts a new sequence. Default false. */
  resetSeqNumOnLogon?: boolean
  /** Root folder of session stores; this session uses a subfolder named after its identity. */
  storeDir?: string
  /** The file store's fsync setting (FileSessionStoreOptions.sync): 'none' (default), 'every-write' or 'interval'. */
  storeSync?: StoreSync
  /** The file store's cache of sent messages for resends (default 10,000; older ones are read from disk). */
  storeMaxCachedMessages?: number
  /** Or a store of one's own (e.g. PostgreSQL); takes precedence over storeDir. */
  store?: SessionStore
  tls?: SessionTlsConfig
  /** SendingTime further than this from our clock is rejected. Default 120. */
  sendingTimeToleranceSeconds?: number
  /** Close a connection that has not logged on within this long. Default 10. */
  logonTimeoutSeconds?: number
  /** Initiator: connect again this long after a failed attempt or an ended session, until stopped. */
  reconnectSeconds?: number
  /** Initiator: give up connecting after this long. Default 10. */
  connectTimeoutSeconds?: number
  log?: SessionLog
  /** Our Logon carries ResetSeqNumFlag=N when we do not reset. Default true; QuickFIX omits it. */
  sendResetSeqNumFlagN?: boolean
  /** A refused Logon gets a Logout saying why before the disconnect. Default true; QuickFIX only disconnects. */
  logoutBeforeRefusingLogon?: boolean
  /** Our Logout confirming the counterparty's carries a Text. Default true; QuickFIX sends none. */
  logoutConfirmationText?: boolean
  /** With resetSeqNumOnLogon: reset without saying 141=Y on our Logon (QuickFIX's ResetOnLogon). Default true (say it). */
  announceReset?: boolean
  /** TestReqID of the TestRequests we send; default jspurefix's "ping-<date>". */
  testRequestId?: () => string
}

const definitionsByName = new Map<string, Promise<FixDefinitions>>()
let globalsRegistered = false
const SOH = 1

/**
 * Dictionaries take a while to parse; each is parsed once per process. A name jspurefix knows
 * ('qf44', 'repo50sp2', ...) is its own; anything else is a file or folder path, resolved here
 * against the current folder because jspurefix would look for it inside its package.
 */
function definitionsFor (dictionary: string): Promise<FixDefinitions> {
  let definitions = definitionsByName.get(dictionary)
  if (!definitions) {
    const factory = new DefinitionFactory()
    const known = factory.getDictPath(dictionary) as unknown
    definitions = factory.getDefinitions(known === undefined ? resolve(dictionary) : dictionary)
    definitionsByName.set(dictionary, definitions)
    definitions.catch(() => definitionsByName.delete(dictionary)) // a typo is not remembered
  }
  return definitions
}

export class FixSessionEndpoint implements FixSessionHandle {
  readonly store: SessionStore
  private readonly log: SessionLog
  private acceptor: GatewayTcpAcceptor | null = null
  private initiator: GatewayTcpInitiator | null = null
  private session: GatewaySession | null = null
  private sessionEnded: Promise<string> = Promise.resolve('not started')
  private stopping = false
  private address: AddressInfo | null = null
  private retryTimer: NodeJS.Timeout | null = null

  constructor (readonly config: FixSessionConfig, private readonly application: FixApplication) {
    this.log = (config.log ?? silentLog).child({ session: `${config.senderCompId}->${config.targetCompId}`, role: config.role })
    if (config.store) this.store = config.store
    else if (config.storeDir) {
      this.store = new FileSessionStore(sessionDirectory(config.storeDir, this.beginString, config.senderCompId, config.targetCompId), {
        ...(config.storeSync !== undefined && { sync: config.storeSync }),
        ...(config.storeMaxCachedMessages !== undefined && { maxCachedMessages: config.storeMaxCachedMessages })
      })
    }
    else throw new Error('FIX session needs storeDir or store')
  }

  get beginString (): string {
    return this.config.beginString ?? 'FIX.4.4'
  }

  get isLoggedOn (): boolean {
    return this.session?.isLoggedOn ?? false
  }

  /** Acceptor: the address bound by `start`. */
  get listeningAddress (): AddressInfo | null {
    return this.address
  }

  get sequenceNumbers (): SequenceNumbers {
    return this.store.sequenceNumbers
  }

  /**
   * Acceptor: listens and resolves with the bound port. Initiator: connects, sends its Logon and
   * resolves with the port connected to; the logon completes asynchronously (onLogon).
   */
  async start (): Promise<{ port: number }> {
    // A stopped endpoint can be started again (the same store: its session resumes).
    this.stopping = false
    this.retryTimer = null
    await this.store.open()
    const jsfixConfig = await this.makeJsfixConfig()
    const onGarbled = (reason: string, bytes: string): void => this.log.warn('garbled message ignored', { reason, bytes: bytes.replace(/\x01/g, '|') })
    // Errors are also reported to the session while it runs; after it has stopped, only here.
    const onLateError = (e: Error): void => this.log.debug('transport error', { error: e.message })
    const { host, port, tls } = this.config
    if (this.config.role === 'acceptor') {
      const acceptor = new GatewayTcpAcceptor(jsfixConfig, { host, port, tls, onGarbled, onLateError })
      acceptor.on('transport', (t: MsgTransport) => this.onAcceptedTransport(t))
      acceptor.on('client-error', (e: Error) => this.log.warn('TLS client refused', { error: e.message }))
      acceptor.on('error', (e: Error) => this.log.error('acceptor error', { error: e.message }))
      const address = await acceptor.listen()
      this.acceptor = acceptor
      this.address = address
      this.log.info('listening', { host: address.address, port: address.port })
      return { port: address.port }
    }
    this.initiator = new GatewayTcpInitiator(jsfixConfig, { host, port, tls, onGarbled, onLateError })
    if (this.config.reconnectSeconds === undefined) {
      await this.connect(this.initiator)
    } else {
      await this.connect(this.initiator).catch((e: Error) => this.connectFailed(e))
    }
    return { port }
  }

  /** Initiator: connects again after the session ended (same store: the session resumes). */
  async reconnect (): Promise<void> {
    if (this.initiator === null) throw new Error('only a started initiator reconnects')
    if (this.session !== null && !this.session.isStopped) throw new Error('the session is still running')
    await this.connect(this.initiator)
  }

  private connectFailed (e: Error): void {
    this.log.warn('connect failed', { error: e.message, retryInSeconds: this.config.reconnectSeconds })
    this.scheduleReconnect()
  }

  /** With reconnectSeconds, an initiator keeps its session up: every end is followed by a new connection. */
  private scheduleReconnect (): void {
    const seconds = this.config.reconnectSeconds
    const initiator = this.initiator
    if (seconds === undefined || initiator === null || this.stopping || this.retryTimer !== null) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      const running = this.session !== null && !this.session.isStopped
      if (!this.stopping && !running) this.connect(initiator).catch((e: Error) => this.connectFailed(e))
    }, seconds * 1000)
  }

  private async connect (initiator: GatewayTcpInitiator): Promise<void> {
    const transport = await initiator.connect(this.config.connectTimeoutSeconds ?? 10)
    this.log.info('connected', { host: this.config.host, port: this.config.port })
    this.runSession(transport)
  }

  send (msgType: string, body: ILooseObject): Promise<number> {
    if (!this.session) return Promise.reject(new Error(`cannot send ${msgType}: no session`))
    return this.session.sendMessage(msgType, body)
  }

  sendFields (msgType: string, fields: readonly FieldPair[]): Promise<number> {
    if (!this.session) return Promise.reject(new Error(`cannot send ${msgType}: no session`))
    return this.session.sendFields(msgType, fields)
  }

  echo (message: ReceivedMessage): Promise<number> {
    if (!this.session) return Promise.reject(new Error(`cannot send ${message.msgType}: no session`))
    return this.session.sendFields(message.msgType, this.session.echoFieldsOf(message))
  }

  logout (text = 'logout'): void {
    this.session?.logout(text)
  }

  /** Resolves with the reason the current (or last) session ended. */
  ended (): Promise<string> {
    return this.sessionEnded
  }

  /** Logs out (waiting up to `graceMs` for the confirmation), disconnects, stops listening. */
  async stop (graceMs = 3000): Promise<void> {
    this.stopping = true
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    const session = this.session
    if (session?.isLoggedOn) {
      session.logout('session stopping')
      await Promise.race([this.sessionEnded, new Promise(resolve => setTimeout(resolve, graceMs).unref())])
    }
    session?.disconnectNow('endpoint stopped')
    await this.sessionEnded
    await session?.flushStore()
    this.initiator?.end()
    await this.acceptor?.close()
    await this.store.close()
  }

  private onAcceptedTransport (transport: MsgTransport): void {
    if (this.stopping || (this.session !== null && !this.session.isStopped)) {
      this.log.warn('connection refused: a session is already running', { transport: transport.id })
      transport.duplex.destroy()
      return
    }
    this.runSession(transport)
  }

  private runSession (transport: MsgTransport): void {
    const handle: FixSessionHandle = this
    let resolveEnded: (reason: string) => void = () => {}
    this.sessionEnded = new Promise(resolve => { resolveEnded = resolve })
    const session = new GatewaySession(transport.config, {
      store: this.store,
      sendingTimeToleranceMs: (this.config.sendingTimeToleranceSeconds ?? 120) * 1000,
      logonTimeoutMs: (this.config.logonTimeoutSeconds ?? 10) * 1000,
      behaviour: {
        sendResetSeqNumFlagN: this.config.sendResetSeqNumFlagN,
        logoutBeforeRefusingLogon: this.config.logoutBeforeRefusingLogon,
        logoutConfirmationText: this.config.logoutConfirmationText,
        quietResetOnLogon: (this.config.resetSeqNumOnLogon ?? false) && this.config.announceReset === false,
        testRequestId: this.config.testRequestId
      },
      events: {
        onLogon: () => {
          this.log.info('logged on')
          this.application.onLogon?.(handle)
        },
        onMessage: (message) => {
          this.log.info('message', { msgType: message.msgType, seqNum: message.seqNum, possDup: message.possDup, text: message.text })
          this.application.onMessage(message, handle)
        },
        onStopped: (reason, error) => {
          this.log.info('session ended', { reason, error: error?.message })
          this.application.onLogout?.(reason)
          resolveEnded(reason)
          this.scheduleReconnect()
        }
      }
    })
    this.session = session
    if (transport.duplex instanceof GuardedDuplex) transport.duplex.garbledListener = (reason) => session.onGarbled(reason)
    // run() settles when the session ends; how it ended is reported through onStopped.
    session.run(transport).catch(() => {})
  }

  private async makeJsfixConfig (): Promise<JsFixConfig> {
    const bridge = new JspurefixLogBridge(this.log)
    const container = new SessionContainer()
    if (!globalsRegistered) {
      container.registerGlobal(new JspurefixLogBridge(silentLog))
      globalsRegistered = true
    }
    const c = this.config
    const description = {
      Name: `${c.senderCompId}-${c.targetCompId}`,
      application: {
        name: `${c.senderCompId}-${c.targetCompId}`,
        type: c.role,
        protocol: 'ascii',
        dictionary: c.dictionary ?? 'qf44',
        resilient: false,
        reconnectSeconds: 1,
        tcp: { host: c.host, port: c.port }
      },
      SenderCompId: c.senderCompId,
      TargetCompID: c.targetCompId,
      BeginString: this.beginString,
      HeartBtInt: c.heartbeatSeconds,
      ResetSeqNumFlag: (c.resetSeqNumOnLogon ?? false) && c.announceReset !== false,
      // FIXT.1.1 says on Logon which application version the session carries.
      Logon: this.beginString === 'FIXT.1.1' ? { DefaultApplVerID: c.defaultApplVerId ?? '9' } : undefined
    } as unknown as ISessionDescription
    const definitions = await definitionsFor(description.application?.dictionary ?? 'qf44')
    const sessionContainer = container.newChild(description)
    const config = new JsFixConfig(new AsciiSessionMsgFactory(description), definitions, description, SOH, bridge)
    config.sessionStoreFactory = { create: (id: SessionId) => new ReadOnlyJspurefixStore(id, this.store) }
    container.registerSession(config, sessionContainer)
    return config
  }
}
