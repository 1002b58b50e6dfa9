/**
 * TCP and TLS for FIX sessions, on jspurefix's transport abstractions (FixAcceptor, FixInitiator,
 * FixDuplex, MsgTransport). jspurefix's TcpAcceptor and TcpInitiator cannot be fixed by
 * subclassing: their server, socket handling and TLS file reading are private, the acceptor
 * listens on every interface whatever `tcp.host` says, reads TLS files relative to the jspurefix
 * package folder and drops every TLS client that has no certificate. These classes do the same
 * job: bind the configured host, take TLS options from tls.ts, and put a FrameGuard in front of
 * jspurefix's parser.
 */
import 'reflect-metadata'
import { createServer as createTcpServer, connect as connectTcp, type AddressInfo, type Server, type Socket } from 'node:net'
import { connect as connectTls, createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { FixAcceptor, FixDuplex, FixInitiator, MsgTransport } from 'jspurefix'
import type { IJsFixConfig } from 'jspurefix'
import { makeSessionScope } from 'jspurefix/dist/runtime/session-scope.js'
import { FrameGuard, type GarbledReason } from './frame-guard.js'
import { clientTlsOptions, serverTlsOptions, type SessionTlsConfig } from './tls.js'

export type OnGarbled = (reason: GarbledReason, bytes: string) => void

/**
 * A transport whose parser and transmitter always have an 'error' listener. The session listens
 * only while it runs and unsubscribes when it stops, but the socket can still fail afterwards (a
 * peer that resets the connection right after our Logout): an 'error' event with no listener
 * would be thrown by Node and end the process. Such a late error is only reported to `onLateError`.
 */
export function guardedTransport (id: number, config: IJsFixConfig, duplex: GuardedDuplex, onLateError: (e: Error) => void): MsgTransport {
  const transport = new MsgTransport(id, makeSessionScope(config), duplex)
  transport.receiver.on('error', onLateError)
  transport.transmitter.on('error', onLateError)
  return transport
}

/** A socket whose incoming bytes reach the parser only as whole, intact FIX frames. */
export class GuardedDuplex extends FixDuplex {
  /** Told of each garbled message as well, by the session running on this connection. */
  garbledListener: ((reason: GarbledReason) => void) | null = null

  constructor (readonly socket: Socket, onGarbled: OnGarbled) {
    super()
    const guard = new FrameGuard((reason, bytes) => {
      onGarbled(reason, bytes)
      this.garbledListener?.(reason)
    })
    // pipe() does not forward errors; the parser learns of a reset connection through the guard.
    socket.on('error', (e) => guard.destroy(e))
    socket.on('close', () => { if (!guard.writableEnded && !guard.destroyed) guard.end() })
    this.readable = socket.pipe(guard)
    this.writable = socket
  }

  end (): void {
    this.socket.end()
  }

  override destroy (): void {
    // Writes held for the end of the turn (GatewaySession) go out first.
    if (this.socket.writableCorked > 0 && !this.socket.destroyed) this.socket.uncork()
    if (!this.socket.destroyed) this.socket.destroy()
  }
}

export interface ListenOptions {
  host: string
  port: number
  tls?: SessionTlsConfig
  onGarbled: OnGarbled
  /** A transport error with no session listening any more (see guardedTransport). */
  onLateError: (e: Error) => void
}

/** Listens on `host:port` (port 0: any free port) and emits 'transport' for each connection. */
export class GatewayTcpAcceptor extends FixAcceptor {
  private readonly server: Server
  private nextId = 0
  private readonly sockets = new Set<Socket>()

  constructor (readonly config: IJsFixConfig, private readonly options: ListenOptions) {
    super(config.description.application ?? null)
    this.server = options.tls
      ? createTlsServer(serverTlsOptions(options.tls), (socket: TLSSocket) => this.onSocket(socket))
      : createTcpServer((socket) => this.onSocket(socket))
    this.server.on('tlsClientError', (e: Error) => this.emit('client-error', e))
  }

  /** Resolves with the address actually bound. */
  listen (): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.removeListener('error', reject)
        this.server.on('error', (e) => this.emit('error', e))
        resolve(this.server.address() as AddressInfo)
      })
    })
  }

  close (): Promise<void> {
    return new Promise((resolve) => {
      for (const socket of this.sockets) socket.destroy()
      this.server.close(() => resolve())
    })
  }

  private onSocket (socket: Socket): void {
    socket.setNoDelay(true)
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
    const id = ++this.nextId
    // Each connection gets its own DI scope: parse and transmit buffers are per connection.
    const transport = guardedTransport(id, this.config, new GuardedDuplex(socket, this.options.onGarbled), this.options.onLateError)
    this.transports[id] = transport
    socket.on('close', () => { delete this.transports[id] })
    this.emit('transport', transport)
  }
}

export interface ConnectOptions {
  host: string
  port: number
  tls?: SessionTlsConfig
  onGarbled: OnGarbled
  /** A transport error with no session listening any more (see guardedTransport). */
  onLateError: (e: Error) => void
}

/** Connects once to `host:port`; `connect` rejects if the connection (or TLS handshake) fails. */
export class GatewayTcpInitiator extends FixInitiator {
  private socket: Socket | null = null
  private nextId = 0

  constructor (readonly config: IJsFixConfig, private readonly options: ConnectOptions) {
    super(config.description.application ?? null)
  }

  connect (timeoutSeconds: number): Promise<MsgTransport> {
    return new Promise((resolve, reject) => {
      const { host, port, tls } = this.options
      const onConnected = (): void => {
        clearTimeout(timer)
        socket.removeListener('error', onError)
        socket.setNoDelay(true)
        const transport = guardedTransport(++this.nextId, this.config, new GuardedDuplex(socket, this.options.onGarbled), this.options.onLateError)
        resolve(transport)
      }
      const socket: Socket = tls
        ? connectTls(clientTlsOptions(tls, host, port), onConnected)
        : connectTcp({ host, port }, onConnected)
      this.socket = socket
      const onError = (e: Error): void => { clearTimeout(timer); socket.destroy(); reject(e) }
      const timer = setTimeout(() => onError(new Error(`no connection to ${host}:${port} within ${timeoutSeconds} s`)), timeoutSeconds * 1000)
      socket.once('error', onError)
    })
  }

  end (): void {
    this.socket?.end()
  }
}
