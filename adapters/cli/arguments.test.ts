/**
 * te-gateway's value parsers, and the real command line: every seconds option takes seconds up
 * to a day (they were capped at 48 by the parser of interval counts), counts of intervals keep
 * their range. Each command is run as a process with a valid seconds value followed by an invalid
 * value, so its error shows that the seconds were accepted and which option was refused.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { InvalidArgumentError } from 'commander'
import { describe, expect, it } from 'vitest'
import { intervalCount, minutes, port, seconds } from './arguments.js'

const bin = fileURLToPath(new URL('../../bin/te-gateway.mjs', import.meta.url))

function teGateway (args: string[]): Promise<{ code: number, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000 }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stderr })
    })
  })
}

describe('command-line values', () => {
  it('seconds from 1 to 86400; interval counts from 1 to 48; ports; minutes', () => {
    expect(seconds('1')).toBe(1)
    expect(seconds('30')).toBe(30)
    expect(seconds('3600')).toBe(3600)
    expect(seconds('86400')).toBe(86_400)
    for (const bad of ['0', '-5', '86401', '1.5', 'ten', '', ' ']) expect(() => seconds(bad), bad).toThrow(InvalidArgumentError)
    expect(() => seconds('0')).toThrow('whole seconds from 1 to 86400')
    expect(intervalCount('48')).toBe(48)
    for (const bad of ['0', '49', '2.5']) expect(() => intervalCount(bad), bad).toThrow(/whole number of intervals from 1 to 48/)
    expect(port('0')).toBe(0)
    expect(port('65535')).toBe(65535)
    expect(() => port('65536')).toThrow(/a port from 0 to 65535/)
    expect(minutes('1440')).toBe(1440)
    expect(() => minutes('1441')).toThrow(/whole minutes from 1 to 1440/)
  })

  it('te-gateway takes seconds above 48 for --heartbeat and --every in every command that has them', async () => {
    const runs = await Promise.all([
      teGateway(['fix-venue', '--heartbeat', '120', '--horizon', '0']),
      teGateway(['ema-fix', '--lma', 'http://127.0.0.1:1', '--heartbeat', '120', '--every', '3600', '--horizon', '0']),
      teGateway(['teua', '--lma', 'http://127.0.0.1:1', '--every', '300', '--horizon', '0']),
      teGateway(['ema-openadr', '--every', '600', '--every', '86401'])
    ])
    const [venue, emaFix, teua, emaOpenadr] = runs
    for (const run of [venue, emaFix, teua]) {
      expect(run!.code).not.toBe(0)
      expect(run!.stderr).toMatch(/option '--horizon <[a-z]+>' argument '0' is invalid\. a whole number of intervals from 1 to 48/)
    }
    expect(emaOpenadr!.code).not.toBe(0)
    expect(emaOpenadr!.stderr).toMatch(/option '--every <seconds>' argument '86401' is invalid\. whole seconds from 1 to 86400/)
  }, 120_000)
})
