/**
 * What the scenario runners share: checks recorded as they finish, each failing on the problems
 * its step noted; waiting for callbacks; the suite's own HTTP server for TEUA endpoints.
 */
import type { IncomingMessage, Server } from 'node:http'

export interface Check {
  id: string
  /** The CTS rule the check tests. */
  rule: string
  passed: boolean
  /** What failed (empty when passed). */
  detail: string
}

export abstract class ScenarioRun {
  protected readonly checks: Check[] = []
  /** The problems of the step that runs now. */
  protected problems: string[] = []
  protected server: Server | undefined

  constructor (private readonly checkRules: ReadonlyArray<{ id: string, rule: string }>, private readonly progress?: (check: Check) => void,
    protected readonly callbackTimeoutMs = 5000) {}

  /** Runs a step: it fails on what it noted with expect(), or on what it threw. */
  protected async step (id: string, run: () => Promise<void>): Promise<boolean> {
    this.problems = []
    try {
      await run()
    } catch (error) {
      this.problems.push(error instanceof Error ? error.message : String(error))
    }
    this.record(id, this.problems)
    return this.problems.length === 0
  }

  protected record (id: string, problems: readonly string[], note = ''): void {
    const rule = this.checkRules.find((c) => c.id === id)!.rule
    const detail = problems.length === 0 ? note : problems.slice(0, 10).join('; ') + (problems.length > 10 ? `; and ${problems.length - 10} more` : '')
    const check = { id, rule, passed: problems.length === 0, detail }
    this.checks.push(check)
    this.progress?.(check)
  }

  protected expect (ok: boolean, what: string): boolean {
    if (!ok) this.problems.push(what)
    return ok
  }

  protected async waitFor (done: () => boolean, ms = this.callbackTimeoutMs): Promise<boolean> {
    const until = Date.now() + ms
    while (!done() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25))
    return done()
  }

  async close (): Promise<void> {
    await new Promise<void>((resolve) => this.server === undefined ? resolve() : this.server.close(() => resolve()))
  }
}

export async function readBody (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Runs every step of a runner, and closes its server whatever happens. */
export async function runToEnd (run: ScenarioRun & { all: () => Promise<Check[]> }): Promise<Check[]> {
  try {
    return await run.all()
  } finally {
    await run.close()
  }
}
