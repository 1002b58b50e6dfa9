/**
 * The conformance checker: it passes every example payload in each of its three forms through all
 * its layers, flags every schema negative at the path named, and as a CLI exits 0 only when every
 * document passes.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkDocument } from './check.js'
import { negativeDocuments, positiveDocuments } from './examples.js'
import { checkReport } from './report.js'
import { PAYLOADS } from '../schemas/registry.js'
import { defaultCtsSchemaDir } from '../schemas/xsd-validation.js'

const schemasDir = defaultCtsSchemaDir()
const root = fileURLToPath(new URL('..', import.meta.url))

describe('conformance check', () => {
  it('passes every example payload as our JSON, CTS XML and official JSON, through every layer that applies', () => {
    const docs = positiveDocuments()
    expect(docs).toHaveLength(3 * Object.keys(PAYLOADS).length)
    for (const d of docs) {
      const r = checkDocument(d.text, d.file, { schemasDir })
      expect(r.findings, d.file).toEqual([])
      expect(r.ran, d.file).toEqual(expect.arrayContaining(['zod', 'xsd']))
      if (!PAYLOADS[r.payload!].extension) expect(r.ran, d.file).toContain('json-schema')
    }
  }, 60_000)

  it('flags every schema negative, at the path named', () => {
    const docs = negativeDocuments()
    expect(docs.length).toBeGreaterThanOrEqual(40)
    for (const d of docs) {
      const r = checkDocument(d.text, d.file, { schemasDir })
      expect(r.findings.map((f) => f.path), d.file).toContain(d.path)
    }
  }, 60_000)

  it('tells the payload of our JSON by --payload, a wrapper, the file name, or the one schema that fits', () => {
    const cancel = positiveDocuments().find((d) => d.file === 'eiCancelTender.json')!.text
    expect(checkDocument(cancel, 'x.json', { payload: 'eiCancelTender' }).payload).toBe('eiCancelTender')
    expect(checkDocument(`{"eiCancelTender": ${cancel}}`, 'x.json').payload).toBe('eiCancelTender')
    expect(checkDocument(cancel, 'dir/eiCancelTender.mine.json').payload).toBe('eiCancelTender')
    expect(checkDocument('{"requestID": "r"}', 'x.json').payload).toBe('eiRequestMarketRules')
    expect(checkDocument('{"nothing": 1}', 'x.json').findings[0]).toMatchObject({ layer: 'parse', message: expect.stringMatching(/which CTS payload/) })
  })

  it('reports as JUnit XML and JSON', () => {
    const results = [checkDocument('{}', 'eiCreateTender.json'), checkDocument(positiveDocuments()[0]!.text, positiveDocuments()[0]!.file)]
    const junit = checkReport(results, 'junit')
    expect(junit).toMatch(/<testsuites tests="2" failures="1">/)
    expect(junit).toMatch(/<failure message="\d+ violation\(s\)">zod requestID: /)
    expect(JSON.parse(checkReport(results, 'json'))).toMatchObject({ passed: 1, failed: 1 })
  })

  it('as a command: exit 0 only when every document passes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'te-check-'))
    const good = positiveDocuments().find((d) => d.file === 'eiCreateTender.xml')!
    const bad = negativeDocuments().find((d) => d.file === 'eiCreateTender.side-BUY.json')!
    writeFileSync(join(dir, good.file), good.text)
    writeFileSync(join(dir, bad.file), bad.text)
    const run = (...files: string[]) => spawnSync(process.execPath, [join(root, 'bin/te-gateway.mjs'), 'conformance', 'check', '--schemas', schemasDir, ...files], { encoding: 'utf8' })
    const pass = run(join(dir, good.file))
    expect(pass.status).toBe(0)
    expect(pass.stdout).toMatch(/PASS .*eiCreateTender\.xml/)
    const fail = run(join(dir, good.file), join(dir, bad.file))
    expect(fail.status).toBe(1)
    expect(fail.stdout).toMatch(/zod +eiTender\[0\]\.product\.side: /)
    expect(fail.stdout).toMatch(/1 passed, 1 failed/)
  }, 60_000)
})
