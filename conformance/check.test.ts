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
  it('passes every example payload as our JSON, CTS XML and official JSON, through every layer that applies', async () => {
    const docs = positiveDocuments()
    expect(docs).toHaveLength(3 * Object.keys(PAYLOADS).length)
    for (const d of docs) {
      const r = await checkDocument(d.text, d.file, { schemasDir })
      expect(r.findings, d.file).toEqual([])
      expect(r.ran, d.file).toEqual(expect.arrayContaining(['zod', 'xsd']))
      if (!PAYLOADS[r.payload!].extension) expect(r.ran, d.file).toContain('json-schema')
    }
  }, 60_000)

  it('flags every schema negative, at the path named', async () => {
    const docs = negativeDocuments()
    expect(docs.length).toBeGreaterThanOrEqual(40)
    for (const d of docs) {
      const r = await checkDocument(d.text, d.file, { schemasDir })
      expect(r.findings.map((f) => f.path), d.file).toContain(d.path)
    }
  }, 60_000)

  it('tells the payload of our JSON by --payload, a wrapper, the file name, or the one schema that fits', async () => {
    const cancel = positiveDocuments().find((d) => d.file === 'eiCancelTender.json')!.text
    expect((await checkDocument(cancel, 'x.json', { payload: 'eiCancelTender' })).payload).toBe('eiCancelTender')
    expect((await checkDocument(`{"eiCancelTender": ${cancel}}`, 'x.json')).payload).toBe('eiCancelTender')
    expect((await checkDocument(cancel, 'dir/eiCancelTender.mine.json')).payload).toBe('eiCancelTender')
    expect((await checkDocument('{"requestID": "r"}', 'x.json')).payload).toBe('eiRequestMarketRules')
    expect((await checkDocument('{"nothing": 1}', 'x.json')).findings[0]).toMatchObject({ layer: 'parse', message: expect.stringMatching(/which CTS payload/) })
  })

  it('reports as JUnit XML and JSON', async () => {
    const results = [await checkDocument('{}', 'eiCreateTender.json'), await checkDocument(positiveDocuments()[0]!.text, positiveDocuments()[0]!.file)]
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

  it('checks with xmllint-wasm where there is no native xmllint, with the same verdicts', async () => {
    const good = positiveDocuments().find((d) => d.file === 'eiCreatePartyRegistration.xml')!
    const bad = negativeDocuments().find((d) => d.file === 'eiCreateTender.side-BUY.xml')!
    const native = [await checkDocument(good.text, good.file, { schemasDir }), await checkDocument(bad.text, bad.file, { schemasDir })]
    process.env.TE_GATEWAY_XMLLINT = 'wasm'
    try {
      const wasm = [await checkDocument(good.text, good.file, { schemasDir }), await checkDocument(bad.text, bad.file, { schemasDir })]
      expect(wasm).toEqual(native)
      expect(wasm[1]!.findings.find((f) => f.layer === 'xsd')).toMatchObject({ path: 'line 30', message: expect.stringMatching(/'BUY' is not an element of the set/) })
    } finally {
      delete process.env.TE_GATEWAY_XMLLINT
    }
  }, 60_000)
})
