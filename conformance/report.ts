/**
 * Conformance results for people (text), programs (json) and CI systems (JUnit XML).
 */
import type { CheckResult } from './check.js'

export type ReportFormat = 'text' | 'json' | 'junit'

export function passed (result: CheckResult): boolean {
  return result.findings.length === 0
}

export function checkReport (results: readonly CheckResult[], format: ReportFormat): string {
  switch (format) {
    case 'json': return JSON.stringify({ passed: results.filter(passed).length, failed: results.filter((r) => !passed(r)).length, results }, null, 2) + '\n'
    case 'junit': return junit(results)
    case 'text': return text(results)
  }
}

function text (results: readonly CheckResult[]): string {
  const lines: string[] = []
  for (const r of results) {
    const what = [r.payload, r.format].filter((x) => x !== undefined).join(', ')
    lines.push(`${passed(r) ? 'PASS' : 'FAIL'}  ${r.file}${what === '' ? '' : `  (${what}; checked: ${r.ran.join(', ') || 'nothing'})`}`)
    for (const f of r.findings) lines.push(`      ${f.layer.padEnd(11)} ${f.path}: ${f.message}`)
    for (const s of r.skipped) if (!passed(r) || s.why !== 'no --schemas folder') lines.push(`      skipped ${s.layer}: ${s.why}`)
  }
  const failed = results.filter((r) => !passed(r)).length
  lines.push('', `${results.length - failed} passed, ${failed} failed`)
  return lines.join('\n') + '\n'
}

const escape = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)

function junit (results: readonly CheckResult[]): string {
  const failed = results.filter((r) => !passed(r)).length
  const cases = results.map((r) => {
    const name = escape(r.file)
    const classname = escape(`cts.check.${r.payload ?? 'unknown'}`)
    if (passed(r)) return `    <testcase classname="${classname}" name="${name}"/>`
    const body = r.findings.map((f) => `${f.layer} ${f.path}: ${f.message}`).join('\n')
    return `    <testcase classname="${classname}" name="${name}">\n      <failure message="${escape(`${r.findings.length} violation(s)`)}">${escape(body)}</failure>\n    </testcase>`
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${results.length}" failures="${failed}">`,
    `  <testsuite name="te-gateway conformance check" tests="${results.length}" failures="${failed}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    ''
  ].join('\n')
}

/** A run's checks: a line each (text), a document (json), or JUnit XML with the rule as each case's name. */
export function runReport (checks: readonly RunCheck[], format: ReportFormat, target: string): string {
  const failed = checks.filter((c) => !c.passed).length
  switch (format) {
    case 'json': return JSON.stringify({ target, passed: checks.length - failed, failed, checks }, null, 2) + '\n'
    case 'junit': return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites tests="${checks.length}" failures="${failed}">`,
      `  <testsuite name="${escape(`te-gateway conformance run ${target}`)}" tests="${checks.length}" failures="${failed}">`,
      ...checks.map((c) => c.passed
        ? `    <testcase classname="cts.run" name="${escape(`${c.id}: ${c.rule}`)}"/>`
        : `    <testcase classname="cts.run" name="${escape(`${c.id}: ${c.rule}`)}">\n      <failure message="${escape(c.detail.slice(0, 200))}">${escape(c.detail)}</failure>\n    </testcase>`),
      '  </testsuite>',
      '</testsuites>',
      ''
    ].join('\n')
    case 'text': return [...checks.map(runLine), '', `${checks.length - failed} passed, ${failed} failed`, ''].join('\n')
  }
}

/** One check as a line of text (also the progress the CLI prints while it runs). */
export function runLine (c: RunCheck): string {
  return `${c.passed ? 'PASS' : 'FAIL'}  ${c.id.padEnd(22)} ${c.rule}${c.detail === '' ? '' : `\n      ${c.passed ? '' : '-> '}${c.detail}`}`
}

interface RunCheck { id: string, rule: string, passed: boolean, detail: string }
