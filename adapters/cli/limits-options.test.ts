/** The limit options: parsed into the typed limits, from the command line or the environment, and all in the README's table. */
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { Command } from 'commander'
import { defaultShown, LIMIT_OPTIONS, limitsFromOptions, withLimitOptions } from './limits-options.js'

function parse (args: string[]): ReturnType<typeof limitsFromOptions> {
  const command = withLimitOptions(new Command('lma')).exitOverride().configureOutput({ writeErr: () => {} })
  command.parse(args, { from: 'user' })
  return limitsFromOptions(command.opts())
}

afterEach(() => { delete process.env.XML_DEPTH })

describe('limit options', () => {
  it('become the typed limits: counts, bytes, seconds as milliseconds, ISO durations; the environment too, the option first', () => {
    process.env.XML_DEPTH = '10'
    expect(parse(['--body-limit', '2048', '--rate-window', '0.5', '--delivery-horizon', 'PT48H', '--max-parties', '3'])).toEqual({
      bodyBytes: 2048, rateWindowMs: 500, deliveryHorizon: 'PT48H', activeParties: 3, xmlDepth: 10
    })
    expect(parse(['--xml-depth', '20'])).toEqual({ xmlDepth: 20 })
    expect(parse([])).toEqual({ xmlDepth: 10 })
  })

  it('refuse what is not a limit', () => {
    expect(() => parse(['--delivery-horizon', 'P1M'])).toThrow(/fixed length/)
    expect(() => parse(['--party-rate', '0'])).toThrow(/1 or more/)
    expect(() => parse(['--request-timeout', '-1'])).toThrow(/seconds/)
  })

  it('are each in the README\'s Limits and security table, with their default', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const table = readme.slice(readme.indexOf('### Limits and security'), readme.indexOf('### Repairing the ledger'))
    for (const o of LIMIT_OPTIONS) {
      const row = table.split('\n').find((line) => line.includes(`\`${o.flag} `))
      expect(row, o.flag).toBeDefined()
      expect(row, o.flag).toContain(o.env)
      const shown = defaultShown(o)
      const inTable = o.key === 'bodyBytes' ? '1 MiB' : o.unit === 'seconds' ? `${shown} s` : Number(shown) >= 10_000 ? Number(shown).toLocaleString('en') : shown
      // The default cell: the value, with its unit word if any ("64 elements").
      expect(row, o.flag).toMatch(new RegExp(`\\| ${inTable.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( \\w+)? \\|`))
    }
  })
})
