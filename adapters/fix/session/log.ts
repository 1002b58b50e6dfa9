/**
 * Structured logging for FIX sessions: one JSON object per line (pino's shape: level, time, msg,
 * plus context fields), to stderr by default. jspurefix's internal logging goes through the same
 * sink at debug level, so a running session is quiet unless asked.
 */
import type { IJsFixLogger, JsFixLogFields } from 'jspurefix'
import { JsFixLoggerFactory } from 'jspurefix'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
const RANK: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: 100 }

export interface SessionLog {
  debug (msg: string, fields?: Record<string, unknown>): void
  info (msg: string, fields?: Record<string, unknown>): void
  warn (msg: string, fields?: Record<string, unknown>): void
  error (msg: string, fields?: Record<string, unknown>): void
  child (fields: Record<string, unknown>): SessionLog
}

export function jsonLog (level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l), base: Record<string, unknown> = {}): SessionLog {
  const at = (lvl: Exclude<LogLevel, 'silent'>) => (msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[lvl] < RANK[level]) return
    write(JSON.stringify({ level: RANK[lvl], time: Date.now(), ...base, ...fields, msg }) + '\n')
  }
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => jsonLog(level, write, { ...base, ...fields })
  }
}

export const silentLog: SessionLog = jsonLog('silent')

/** jspurefix's logger factory over a SessionLog; its chatter is debug, its warnings stay warnings. */
export class JspurefixLogBridge extends JsFixLoggerFactory {
  constructor (private readonly log: SessionLog) {
    super()
  }

  logger (type: string, context?: JsFixLogFields): IJsFixLogger {
    const log = this.log.child({ component: type, ...context })
    return {
      info: (m, f) => log.debug(m, f),
      debug: (m, f) => log.debug(m, f),
      warning: (m, f) => log.warn(m, f),
      error: (e, f) => log.error(e.message, { ...f, stack: e.stack })
    }
  }

  plain (fileName: string): IJsFixLogger {
    return this.logger(fileName)
  }
}
