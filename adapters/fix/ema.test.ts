/**
 * The venue EMA over real FIX: our EMA (initiator) against our venue simulator (our LME behind our
 * FIX acceptor), over TCP on 127.0.0.1, with a real LMA over HTTP beside them. A local bid that
 * local offers cannot meet is bought at the venue (NewOrderSingle) and resold locally. Less need
 * reduces the venue order (quantity-reducing Cancel/Replace), and none cancels it. Every FIX
 * application message is recorded.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HttpLmaClient } from '../rest/lma-client.js'
import { HttpLocalBook } from '../rest/market-data-client.js'
import { VenueEma, type VenueEmaConfig } from '../../market/ema/venue-ema.js'
import { startTestLma, type TestLma } from '../../test/market-service.js'
import { testMarket } from '../../test/market.js'
import { until } from '../../test/until.js'
import { checkUnits, FixEma, type FixMessageLog } from './ema.js'
import type { VenueUnits } from './instrument.js'
import { FixSessionEndpoint } from './session/endpoint.js'
import { FixVenueSimulator } from './venue.js'
import { PgFixMessageLog } from '../postgres/fix-message-log.js'

const market = testMarket({ granularity: 'PT15M', duration: 'PT15M' })
/** The venue trades USD/MWh in whole dollars and MWh to 0.0001 (0.1 kWh). */
const units: VenueUnits = { priceShift: 3, priceScale: 0, quantityShift: -3, quantityScale: 4 }
const config: VenueEmaConfig = { partyID: 'ema-fix', lmaPartyID: 'lma', market, markup: '0.010', importLimit: '50', exportLimit: '50' }
const H12 = '2026-06-20T12:00:00.000Z'

let service: TestLma
let venue: FixVenueSimulator
let fixEma: FixEma
let ema: VenueEma
let book: HttpLocalBook
let emaClient: HttpLmaClient
const recorded: Array<{ direction: string, msgType: string }> = []
const endpoints: FixSessionEndpoint[] = []


async function bid (partyID: string, tenderID: string, price: string, quantity: string, registered?: HttpLmaClient): Promise<HttpLmaClient> {
  const client = registered ?? (await HttpLmaClient.register(service.url, { partyID })).client
  const answer = await client.call('eiCreateTender', 'eiCreatedTender', {
    requestID: tenderID, partyID, counterPartyID: 'lma',
    eiTender: [{ tenderID, product: { dtStart: H12, duration: 'PT15M', temixPower: { price, quantity }, uid: tenderID, transactiveState: 'tender', marketContext: market.marketContext, side: 'buy' } }]
  })
  expect(answer.status).toBe(200)
  return client
}

/** The LMA, the venue simulator (acceptor), and our EMA (initiator) logged on to it. */
async function setUp (session: { beginString?: string, dictionary?: string } = {}): Promise<void> {
  recorded.length = 0
  service = await startTestLma(market, '2026-06-20T10:00:00Z')
  venue = new FixVenueSimulator({ priceScale: 0, quantityScale: 4 })
  const acceptor = new FixSessionEndpoint({ role: 'acceptor', host: '127.0.0.1', port: 0, senderCompId: 'VENUE', targetCompId: 'EMA', heartbeatSeconds: 30, storeDir: mkdtempSync(join(tmpdir(), 'venue-')), ...session }, venue)
  endpoints.push(acceptor)
  const { port } = await acceptor.start()
  // Recorded in the ledger; the test reads it back from there.
  const ledger = new PgFixMessageLog(service.db)
  const log: FixMessageLog = { record: async (e) => { await ledger.record(e); recorded.push({ direction: e.direction, msgType: e.msgType }) } }
  fixEma = new FixEma({ name: 'venue', market, units, log })
  const initiator = new FixSessionEndpoint({ role: 'initiator', host: '127.0.0.1', port, senderCompId: 'EMA', targetCompId: 'VENUE', heartbeatSeconds: 30, storeDir: mkdtempSync(join(tmpdir(), 'ema-')), ...session }, fixEma)
  endpoints.push(initiator)
  await initiator.start()
  await until(() => fixEma.loggedOn)
  const { client } = await HttpLmaClient.register(service.url, { partyID: 'ema-fix', partyRole: 'ema' })
  emaClient = client
  ema = new VenueEma(config, fixEma, client, 'ema')
  fixEma.attach(ema)
  book = new HttpLocalBook(service.url, market.marketContext)
}

async function tearDown (): Promise<void> {
  for (const e of endpoints.splice(0)) await e.stop(500)
  await service.close()
}

/** The venue offers 10 kWh at 150 USD/MWh; a house bids 0.200 for 8.0 kWh locally; the EMA buys it outside and resells it. */
async function buyShortfallAndResell (): Promise<void> {
  venue.seed(H12, 'PT15M', 'sell', '150', '0.0100')
  await bid('house-1', 'h1', '0.200', '8.0')
  // Need: 8.0 kWh, at most 0.200 - 0.010 = 0.190 USD/kWh, i.e. 190 USD/MWh at the venue.
  expect(await ema.step(book, H12, 'PT15M')).toEqual({ buy: { quantity: '8.0', limit: '0.190' } })
  await until(() => service.lma.tendersOf('house-1')[0]?.status === 'filled')
  await fixEma.settled()
  // Bought outside at 150 USD/MWh = 0.150; resold at 0.160 to the house's 0.200 bid.
  expect(service.lma.tendersOf('ema-fix').map((t) => [t.side, t.price, t.status])).toEqual([['sell', '0.160', 'filled']])
}

describe('venue EMA over FIX against our venue simulator', () => {
  beforeEach(() => setUp(), 60_000)
  afterEach(tearDown)

  it('buys at the venue what local bids lack and resells it locally; every FIX message recorded', async () => {
    await buyShortfallAndResell()
    expect([...ema.orders.values()]).toMatchObject([{ side: 'buy', quantity: '8.0', limit: '0.190', cumQty: '8.0', state: 'done' }])
    // Nothing more is needed.
    expect(await ema.step(book, H12, 'PT15M')).toEqual({})
    expect(recorded.map((r) => `${r.direction} ${r.msgType}`)).toEqual(['out D', 'in 8', 'in 8'])
    const rows = await new PgFixMessageLog(service.db).messages('venue')
    expect(rows.map((r) => `${r.direction} ${r.msgType} ${r.seqNum}`)).toEqual(['out D 2', 'in 8 2', 'in 8 3'])
    expect(rows[2]!.message).toMatch(/\|150=F\|/)

    // A restarted EMA rebuilds its venue orders from the ledger and applies the executions again:
    // the fill was traded back already, so the LMA records nothing new.
    const restartedFix = new FixEma({ name: 'venue', market, units })
    const restarted = new VenueEma(config, restartedFix, emaClient, 'ema2')
    restartedFix.attach(restarted)
    expect(await restartedFix.recover(rows)).toBe(2)
    expect([...restarted.orders.values()]).toMatchObject([{ side: 'buy', quantity: '8.0', cumQty: '8.0', state: 'done' }])
    expect(service.lma.tendersOf('ema-fix')).toHaveLength(1)
  })

  it('a partial fill, then less need (a quantity-reducing replace), then none (a cancel)', async () => {
    venue.seed(H12, 'PT15M', 'sell', '150', '0.0030')
    const house = await bid('house-1', 'h1', '0.200', '8.0')
    await ema.step(book, H12, 'PT15M')
    await until(() => [...ema.orders.values()][0]?.cumQty === '3.0')
    await fixEma.settled()
    await until(() => service.lma.tendersOf('ema-fix')[0]?.status === 'filled')
    // 3.0 bought and resold; 5.0 still wanted and working at the venue.
    expect(await ema.step(book, H12, 'PT15M')).toEqual({ buy: { quantity: '5.0', limit: '0.190' } })
    expect(recorded.filter((r) => r.direction === 'out').map((r) => r.msgType)).toEqual(['D'])
    // The house wants less: its 5.0 left becomes 2.0.
    await house.call('eiCancelTender', 'eiCanceledTender', { requestID: 'c1', partyID: 'house-1', counterPartyID: 'lma', tenderID: ['h1'] })
    await bid('house-1', 'h2', '0.200', '2.0', house)
    await ema.step(book, H12, 'PT15M')
    await until(() => [...ema.orders.values()][0]?.quantity === '5.0' && [...ema.orders.values()][0]?.clOrdID === 'ema-5')
    expect([...ema.orders.values()]).toMatchObject([{ clOrdID: 'ema-5', quantity: '5.0', cumQty: '3.0', state: 'working' }])
    // Not wanted at all any more: canceled at the venue.
    await house.call('eiCancelTender', 'eiCanceledTender', { requestID: 'c2', partyID: 'house-1', counterPartyID: 'lma', tenderID: ['h2'] })
    await ema.step(book, H12, 'PT15M')
    await until(() => [...ema.orders.values()][0]?.state === 'done')
    expect(recorded.filter((r) => r.direction === 'out').map((r) => r.msgType)).toEqual(['D', 'G', 'F'])
  })
})

describe('venue EMA over FIXT.1.1 / FIX 5.0 SP2', () => {
  beforeEach(() => setUp({ beginString: 'FIXT.1.1', dictionary: 'repo50sp2' }), 60_000)
  afterEach(tearDown)

  it('buys the shortfall at the venue and resells it locally, as over FIX 4.4', async () => {
    await buyShortfallAndResell()
    const rows = await new PgFixMessageLog(service.db).messages('venue')
    expect(rows.find((r) => r.direction === 'in')?.message).toMatch(/^8=FIXT\.1\.1\|/)
  })
})

describe('venue units', () => {
  it('refuses venue units a market cannot hold exactly', () => {
    expect(() => checkUnits({ ...units, priceScale: 1 }, market)).toThrow(/price ticks/)
    expect(() => checkUnits({ ...units, quantityScale: 5 }, market)).toThrow(/quantity ticks/)
  })
})
