/**
 * The markets an LMA runs, from a JSON file of market rules (tex:marketRules fields, + optional
 * selfTrade, lmeUrl and deliveryHorizon); no file: the demo market.
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { MarketRules } from '../../schemas/extensions.js'
import type { MarketDefinition } from '../../market/lma/markets.js'
import { DEMO_MARKET } from './demo.js'

/** A market's self-trade policy (market/lme SelfTradePolicy), as the CLI and markets files name it. */
export const SelfTrade = z.enum(['cancelResting', 'cancelIncoming', 'allow'])

const Markets = z.array(MarketRules.extend({ selfTrade: SelfTrade.optional(), lmeUrl: z.url().optional(), deliveryHorizon: z.string().optional() })).min(1)

export function readMarketsFile (file: string | undefined): MarketDefinition[] {
  return file === undefined ? [DEMO_MARKET] : Markets.parse(JSON.parse(readFileSync(file, 'utf8')))
}
