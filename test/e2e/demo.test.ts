/**
 * The demo microgrid (npm start) trades for real: over HTTP, with every transaction told to both
 * sides, positions that net to zero per interval, and TEUA records equal to the LMA's.
 */
import { describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runDemo } from '../../adapters/cli/demo.js'

describe('demo microgrid', () => {
  it('trades two intervals and reports them', async () => {
    const lines: string[] = []
    const demo = await runDemo({
      port: 0, host: '127.0.0.1', intervals: 2, config: 'market/sc/demo-microgrid.json', logLevel: 'warn',
      dataDir: join(mkdtempSync(join(tmpdir(), 'te-demo-')), 'pglite'), out: (line) => lines.push(line),
      ...(process.env.DATABASE_URL !== undefined && { databaseUrl: process.env.DATABASE_URL })
    })
    try {
      const reports = lines.filter((l) => / trade\(s\), /.test(l))
      expect(reports).toHaveLength(2)
      const { lma } = demo.market
      const positions = (await demo.market.db.pool.query('SELECT dt_start, sum(net_quantity)::text AS net, count(*)::int AS parties FROM positions GROUP BY dt_start ORDER BY dt_start')).rows
      expect(positions.length).toBeGreaterThan(0)
      for (const p of positions) expect(Number(p.net)).toBe(0)
      expect(lma.unacknowledged()).toEqual([])
      const unacked = (await demo.market.db.pool.query('SELECT count(*)::int AS n FROM transactions WHERE acknowledged_at IS NULL')).rows[0].n
      expect(unacked).toBe(0)
      expect(lines.join('\n')).toMatch(/OpenAPI docs: http:\/\/127\.0\.0\.1:\d+\/docs/)
    } finally {
      await demo.close()
    }
  }, 120_000)

  it('with one FIX venue attached: the EMA buys the shortfall there and resells it here; every FIX message in the ledger', async () => {
    const lines: string[] = []
    const demo = await runDemo({
      port: 0, host: '127.0.0.1', intervals: 1, config: 'market/sc/demo-microgrid.json', logLevel: 'warn', fixVenue: true,
      dataDir: join(mkdtempSync(join(tmpdir(), 'te-demo-')), 'pglite'), out: (line) => lines.push(line),
      ...(process.env.DATABASE_URL !== undefined && { databaseUrl: process.env.DATABASE_URL })
    })
    try {
      expect(lines.join('\n')).toMatch(/FIX venue simulator on 127\.0\.0\.1:\d+; ema-fix logged on/)
      const ema = demo.market.lma.transactionsOf('ema-fix')
      expect(ema.length).toBeGreaterThan(0)
      expect(ema.every((t) => t.side === 'sell')).toBe(true)
      const positions = (await demo.market.db.pool.query('SELECT sum(net_quantity)::text AS net FROM positions GROUP BY dt_start')).rows
      for (const p of positions) expect(Number(p.net)).toBe(0)
      const fix = (await demo.market.db.pool.query("SELECT direction, msg_type FROM fix_messages ORDER BY id")).rows.map((r) => `${r.direction} ${r.msg_type}`)
      expect(fix[0]).toBe('out D')
      expect(fix).toContain('in 8')
    } finally {
      await demo.close()
    }
  }, 120_000)
})
