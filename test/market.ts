/**
 * A test market: one continuous 1-hour market in USD, prices in 0.001, quantities in 0.1 kWh,
 * gate closure 5 minutes before each interval, on a clock that starts at 2026-06-20T10:00Z.
 */
import type { MarketDefinition } from '../market/lma/markets.js'

export const MARKET = 'https://microgrid.example.org/markets/mg1'
export const START = '2026-06-20T10:00:00.000Z'
export const H12 = '2026-06-20T12:00:00.000Z'
export const H13 = '2026-06-20T13:00:00.000Z'
export const H14 = '2026-06-20T14:00:00.000Z'

export function testMarket (overrides: Partial<MarketDefinition> = {}): MarketDefinition {
  return {
    marketContext: MARKET, marketName: 'Test microgrid', currency: 'USD', priceScale: 3, quantityScale: 1,
    energyReal: { itemDescription: 'RealEnergy', itemUnits: 'Wh', siScaleCode: 'k' },
    granularity: 'PT1H', duration: 'PT1H', gateClosure: 'PT5M', mechanism: 'continuous', ...overrides
  }
}

export function tender (tenderID: string, side: 'buy' | 'sell', price: string, quantity: string, dtStart = H12, extra: Record<string, unknown> = {}) {
  return {
    tenderID,
    product: {
      dtStart, duration: 'PT1H',
      temixPower: { price, energyReal: { itemDescription: 'RealEnergy' as const, itemUnits: 'Wh' as const, siScaleCode: 'k' as const }, quantity },
      uid: `${tenderID}-product`, transactiveState: 'tender' as const, currency: 'USD' as const, marketContext: MARKET, side, ...extra
    }
  }
}
