/**
 * The FIX session layer: what a FIX application of ours imports.
 *   FixSessionEndpoint  one session, initiator or acceptor, TCP or TLS, resumable from its store
 *   FixApplication      what the application implements (onLogon, onMessage, onLogout)
 *   SessionStore        where sequence numbers and sent messages live (FileSessionStore: a folder)
 *   fixSessionCommand   the `fix-session` command (one session as its own process)
 */
export { FixSessionEndpoint, type FixApplication, type FixSessionConfig, type FixSessionHandle, type ReceivedMessage, type FieldPair } from './endpoint.js'
export { FileSessionStore, sessionDirectory, type SentMessage, type SequenceNumbers, type SessionStore } from './store.js'
export type { SessionTlsConfig, PemSource } from './tls.js'
export { jsonLog, silentLog, type LogLevel, type SessionLog } from './log.js'
export { fixSessionCommand, type FixSessionCliHooks } from './cli.js'
