/**
 * We promise Node >= 20.19 (package.json engines): every package the lockfile installs must run
 * on it, or `npm ci` warns EBADENGINE (and the package may use what 20.19 lacks). Where a
 * dependency's newest version asks for more, package.json `overrides` pins one that does not.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

type Version = [number, number, number]

/** "20", "20.19", "20.x", "10.*": the parts given, wildcards and missing parts as undefined. */
function parts (text: string): Array<number | undefined> {
  return text.replace(/^v/, '').split('.').slice(0, 3).map((p) => /^\d+$/.test(p) ? Number(p) : undefined)
}

function compare (a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return 0
}

/** Whether `v` satisfies one comparator of a semver range, in the forms package engines use. */
function satisfiesComparator (v: Version, comparator: string): boolean {
  const m = /^(>=|<=|>|<|=|\^|~)?(.*)$/.exec(comparator)!
  const op = m[1] ?? ''
  const p = parts(m[2]!)
  if (p.length === 0 || m[2] === '*' || m[2] === 'x') return true
  const floor: Version = [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0]
  const given = p.findIndex((x) => x === undefined) < 0 ? p.length : p.findIndex((x) => x === undefined)
  switch (op) {
    case '>=': return compare(v, floor) >= 0
    case '>': return compare(v, floor) > 0
    case '<': return compare(v, floor) < 0
    case '<=': return compare(v, floor) <= 0
    case '^': return compare(v, floor) >= 0 && v[0] === floor[0]
    case '~': return compare(v, floor) >= 0 && v[0] === floor[0] && (given < 2 || v[1] === floor[1])
    default: return p.slice(0, given).every((x, i) => v[i] === x)
  }
}

export function satisfies (version: string, range: string): boolean {
  const [major, minor, patch] = parts(version)
  const v: Version = [major ?? 0, minor ?? 0, patch ?? 0]
  return range.split('||').some((alternative) =>
    alternative.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/).filter((c) => c !== '').every((c) => satisfiesComparator(v, c)))
}

describe('engines', () => {
  it('reads ranges as npm does', () => {
    expect(satisfies('20.19.0', '>=20.19')).toBe(true)
    expect(satisfies('20.19.0', '>=22')).toBe(false)
    expect(satisfies('20.19.0', '>=20.20.2')).toBe(false)
    expect(satisfies('20.19.0', '^20.19.0 || >=22.12.0')).toBe(true)
    expect(satisfies('20.19.0', '^20.0.0 || ^22.0.0 || >=24.0.0')).toBe(true)
    expect(satisfies('20.19.0', '18 || 20 || >=22')).toBe(true)
    expect(satisfies('20.19.0', '10.* || >= 12.*')).toBe(true)
    expect(satisfies('20.19.0', '^8.16.0 || ^10.6.0')).toBe(false)
    expect(satisfies('20.19.0', '>=16 || 14 >=14.17')).toBe(true)
    expect(satisfies('20.19', '^20.19.0 || >=22.12.0')).toBe(true)
  })

  it('every package the lockfile installs runs on the Node we promise', () => {
    const ours = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }
    const minimum = /^>=\s*(\d+\.\d+(\.\d+)?)$/.exec(ours.engines.node)![1]!
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { version?: string, engines?: { node?: string } | string[] }> }
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && !Array.isArray(p.engines) && p.engines?.node !== undefined && !satisfies(minimum, p.engines.node))
      .map(([path, p]) => `${path}@${p.version}: node ${(p.engines as { node: string }).node}`)
    expect(refusing).toEqual([])
  })
})
