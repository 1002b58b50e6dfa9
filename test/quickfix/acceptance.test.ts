/**
 * QuickFIX's server acceptance scripts (Debian's source package quickfix 1.15.1,
 * test/definitions/server/{fix42,fix44,fix50sp2}) played by our runner (acceptance.ts) against an
 * echo acceptor built on our session API (echo-acceptor.ts), each script on a fresh acceptor and
 * store. Reported per version: passed under QuickFIX's exact comparison, with the same fields in
 * any order, with the expected fields present.
 * Skips only when the source package cannot be had.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { COMPARISONS, readPatterns, runScript, type ScriptResult } from './acceptance.js'
import { startEchoAcceptor, type EchoVersion } from './echo-acceptor.js'
import { ensureAcceptanceSources } from './harness.js'

const sources = await ensureAcceptanceSources()
const skip = 'skip' in sources ? sources.skip : null

const VERSIONS: ReadonlyArray<{ folder: string, version: EchoVersion }> = [
  { folder: 'fix42', version: 'FIX.4.2' },
  { folder: 'fix44', version: 'FIX.4.4' },
  { folder: 'fix50sp2', version: 'FIXT.1.1' }
]

/** Scripts passed with the same fields, at least (raised as the session layer is fixed). */
const FLOOR: Readonly<Record<string, number>> = { fix42: 50, fix44: 52, fix50sp2: 51 }

/** Scripts run at once: each has its own acceptor; most of a script's time is waiting. */
const CONCURRENCY = 6

async function runAll (folder: string, version: EchoVersion): Promise<ScriptResult[]> {
  if ('skip' in sources) return []
  const dir = join(sources.definitions, 'server', folder)
  const patterns = readPatterns(join(sources.definitions, 'fields.fmt'))
  const scripts = readdirSync(dir).filter(n => n.endsWith('.def')).sort()
  const results: ScriptResult[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < scripts.length; i = next++) {
      const name = scripts[i] as string
      const acceptor = await startEchoAcceptor(version, sources.spec)
      try {
        results.push(await runScript(name, readFileSync(join(dir, name), 'latin1'), { port: acceptor.port, patterns }))
      } finally {
        await acceptor.stop()
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return results.sort((a, b) => a.script.localeCompare(b.script))
}

describe.skipIf(skip !== null)(`QuickFIX acceptance scripts${skip === null ? '' : ` (skipped: ${skip})`}`, () => {
  for (const { folder, version } of VERSIONS) {
    it(`${folder}: scripts passed with the same fields do not fall below the floor`, async () => {
      const results = await runAll(folder, version)
      const count = (c: (typeof COMPARISONS)[number]): number => results.filter(r => r.passed[c]).length
      console.info(`QuickFIX acceptance ${folder}: ${results.length} scripts; exact ${count('exact')}, same fields ${count('sameFields')}, fields present ${count('fieldsPresent')}`)
      const failing = results.filter(r => !r.passed.sameFields)
      for (const r of failing) console.info(`  ${folder}/${r.script}: ${r.reason ?? ''}`)
      expect(results.length).toBeGreaterThan(50)
      expect(count('sameFields')).toBeGreaterThanOrEqual(FLOOR[folder] ?? results.length)
    }, 300_000)
  }
})
