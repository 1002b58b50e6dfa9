/**
 * Several venue EMAs at once, each at its own FIX venue and its own party of the LMA: one imports
 * (it buys the shortfall at its venue), the other exports (it sells the surplus at its venue).
 * And the configuration file: none runs none, a wrong one is refused naming the field.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { HttpLmaClient } from '../rest/lma-client.js'
import { startTestLma, type TestLma } from '../../test/market-service.js'
import { testMarket } from '../../test/market.js'
import { until } from '../../test/until.js'
import { readFixEmaFile, startFixEma, startFixVenue } from './fix.js'

const market = testMarket({ granularity: 'PT15M', duration: 'PT15M', gateClosure: 'PT5M' })
const units = { priceShift: 3, priceScale: 0, quantityShift: -3, quantityScale: 4 }
const stops: Array<() => Promise<void>> = []
let service: TestLma | undefined

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
  await service?.close()
  service = undefined
})

describe('ema-fix with several venues', () => {
  it('each EMA trades at its own venue as its own party', async () => {
    service = await startTestLma(market, '2026-06-20T10:00:00Z')
    const now = () => new Date('2026-06-20T10:00:00Z')
    const dir = mkdtempSync(join(tmpdir(), 'emas-'))
    const venues = []
    for (const [name, liquidity] of [['VENUE-A', { side: 'sell' as const, price: '80', quantity: '0.0200' }], ['VENUE-B', { side: 'buy' as const, price: '260', quantity: '0.0200' }]] as const) {
      const v = await startFixVenue({ host: '127.0.0.1', port: 0, senderCompId: name, targetCompId: `EMA-${name}`, heartbeatSeconds: 30, storeDir: join(dir, name), scales: { priceScale: 0, quantityScale: 4 }, duration: 'PT15M', horizon: 4, liquidity: [liquidity], now })
      stops.push(v.stop)
      venues.push(v)
    }
    const emas = []
    for (const [k, party, limits] of [[0, 'ema-a', { importLimit: '10', exportLimit: '0' }], [1, 'ema-b', { importLimit: '0', exportLimit: '10' }]] as const) {
      const name = k === 0 ? 'VENUE-A' : 'VENUE-B'
      const ema = await startFixEma({
        lmaUrl: service.url, partyID: party, market, markup: '0.005', ...limits, units, db: service.db, log: () => {},
        // One keeps its FIX session in files, the other in the ledger database.
        sessionStore: k === 0 ? 'file' : 'postgres',
        venue: { host: '127.0.0.1', port: venues[k]!.port, senderCompId: `EMA-${name}`, targetCompId: name, heartbeatSeconds: 30, storeDir: join(dir, party) }
      })
      stops.push(ema.stop)
      emas.push(ema)
    }
    // A load bids 0.200 for 4.0 and a PV offers 3.0 at 0.250 at 10:30: neither meets the other locally.
    const tender = async (partyID: string, side: 'buy' | 'sell', price: string, quantity: string) => {
      const { client } = await HttpLmaClient.register(service!.url, { partyID })
      await client.call('eiCreateTender', 'eiCreatedTender', {
        requestID: `${partyID}-1`, partyID, counterPartyID: 'lma',
        eiTender: [{ tenderID: `${partyID}-1`, product: { dtStart: '2026-06-20T10:30:00Z', duration: 'PT15M', temixPower: { price, quantity }, uid: `${partyID}-1`, transactiveState: 'tender', marketContext: market.marketContext, side } }]
      })
    }
    await tender('load', 'buy', '0.200', '4.0')
    await tender('pv', 'sell', '0.250', '3.0')
    for (const ema of emas) await ema.tick(now(), 2)
    const lma = service.lma
    await until(() => lma.transactionsOf('load').length > 0 && lma.transactionsOf('pv').length > 0)
    // A bought 4.0 at venue A (80 USD/MWh) and sold it to the load at its 0.200; B sold 3.0 at venue B (260) and bought the PV's 0.250.
    expect(lma.transactionsOf('ema-a').map((t) => [t.side, t.quantityTicks])).toEqual([['sell', 40]])
    expect(lma.transactionsOf('ema-b').map((t) => [t.side, t.quantityTicks])).toEqual([['buy', 30]])
    const sessions = (await service.db.pool.query('SELECT DISTINCT session FROM fix_messages ORDER BY session')).rows.map((r) => r.session)
    expect(sessions).toEqual(['EMA-VENUE-A->VENUE-A', 'EMA-VENUE-B->VENUE-B'])
    const stored = (await service.db.pool.query('SELECT session, next_sender > 1 AS sent FROM fix_sessions')).rows
    expect(stored).toEqual([{ session: 'FIX.4.4-EMA-VENUE-B-VENUE-B', sent: true }])
  })
})

describe('the ema-fix configuration file', () => {
  it('runs none from an empty list; refuses a wrong one naming the field, and a party twice', () => {
    expect(readFixEmaFile('{"emas": []}', 'none.json')).toEqual([])
    expect(readFixEmaFile('{"emas": [{"partyID": "a", "venue": "h:1", "senderCompId": "A", "targetCompId": "V"}]}', 'one.json')).toMatchObject([{ markup: '0.005', units: { priceShift: 3 } }])
    expect(() => readFixEmaFile('{"emas": [{"partyID": "a", "venue": "nowhere", "senderCompId": "A", "targetCompId": "V"}]}', 'bad.json')).toThrow(/venue/)
    expect(() => readFixEmaFile('{"emas": [{"partyID": "a", "venue": "h:1", "senderCompId": "A", "targetCompId": "V"}, {"partyID": "a", "venue": "h:2", "senderCompId": "B", "targetCompId": "W"}]}', 'twice.json')).toThrow(/party a appears twice/)
  })
})
