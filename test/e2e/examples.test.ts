/**
 * The README's examples are the files in examples/, and they work against the demo (npm start):
 * each file is a code block of the README, character for character, and the scripts run against
 * a demo as the README tells a newcomer to run them, every answer a valid 200.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runDemo, DEMO_MARKET, type Demo } from '../../adapters/cli/demo.js'
import { validJsonAnswer } from '../cts-answers.js'
import { validateXml } from '../../schemas/xsd-validation.js'
import type { PayloadName } from '../../schemas/registry.js'

const run = promisify(execFile)
const EXAMPLES = 'examples'

/** Every fenced code block of the README, as written between its fences. */
function readmeBlocks (): string[] {
  const readme = readFileSync('README.md', 'utf8')
  return [...readme.matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)].map((m) => m[1]!)
}

describe('README examples', () => {
  it('every file in examples/ is a code block of the README, unchanged', () => {
    const blocks = readmeBlocks()
    const files = readdirSync(EXAMPLES)
    expect(files.length).toBeGreaterThan(0)
    for (const file of files) expect(blocks, `examples/${file} is not in the README as it is`).toContain(readFileSync(join(EXAMPLES, file), 'utf8'))
  })

  describe('against the demo', () => {
    let demo: Demo
    let lma: string
    beforeAll(async () => {
      // As npm start runs it: the embedded PostgreSQL (and no schema shared with demo.test.ts).
      demo = await runDemo({
        port: 0, host: '127.0.0.1', intervals: 1, config: 'market/sc/demo-microgrid.json', logLevel: 'warn',
        dataDir: join(mkdtempSync(join(tmpdir(), 'te-examples-')), 'pglite'), out: () => {}
      })
      lma = demo.market.url
    }, 120_000)
    afterAll(async () => { await demo?.close() })

    it('try-the-demo.sh: registers, tenders in the next open interval, reads tender and position, cancels; every answer 200', async () => {
      const { stdout } = await run('bash', [join(EXAMPLES, 'try-the-demo.sh')], { env: { ...process.env, LMA: lma }, timeout: 60_000 })
      const answers = new Map(stdout.split('\n').flatMap((line) => {
        const m = /^(ei\w+): (\{.*\})$/.exec(line)
        return m === null ? [] : [[m[1]!, JSON.parse(m[2]!) as Record<string, any>]]
      }))
      const names: Record<string, PayloadName> = {
        eiRequestMarketRules: 'eiReplyMarketRules', eiCreateTender: 'eiCreatedTender', eiRequestTender: 'eiReplyTender',
        eiRequestPosition: 'eiReplyPosition', eiCancelTender: 'eiCanceledTender'
      }
      expect([...answers.keys()]).toEqual(Object.keys(names))
      for (const [request, answer] of answers) {
        expect(answer.eiResponse.responseCode, `${request}: ${JSON.stringify(answer.eiResponse)}`).toBe('200')
        validJsonAnswer(names[request]!, answer)
      }
      expect(stdout).toMatch(/^registered, token \S+$/m)
      // The interval tendered in is the first still open on the LMA's (simulated) clock.
      const dtStart = /^next open interval: (\S+)$/m.exec(stdout)![1]!
      const now = Date.parse(answers.get('eiCreateTender')!.eiResponse.createdDateTime)
      expect(Date.parse(dtStart) - now).toBeGreaterThan(5 * 60_000)
      expect(Date.parse(dtStart) - now).toBeLessThanOrEqual(65 * 60_000)
      expect(answers.get('eiRequestTender')!.eiTender.map((t: any) => [t.tenderID, t.product.dtStart, t.product.marketContext]))
        .toEqual([['newcomer-1-t1', dtStart, DEMO_MARKET.marketContext]])
      expect(answers.get('eiRequestPosition')!.position.intervals).toEqual([{ uid: '0', netQuantity: '0.0' }])
      expect(demo.market.lma.snapshot({ marketContext: DEMO_MARKET.marketContext, dtStart, duration: 'PT1H' })?.orders ?? []).toEqual([])
    }, 90_000)

    it('cts-convert.sh: a JSON payload comes back as CTS XML', async () => {
      const { stdout } = await run('bash', [join(EXAMPLES, 'cts-convert.sh')], { env: { ...process.env, LMA: lma }, timeout: 30_000 })
      expect(stdout).toMatch(/^<\?xml[^>]*>\s*<pyld:eiCancelTender /)
      expect(validateXml(stdout).errors).toEqual([])
    }, 60_000)
  })
})
