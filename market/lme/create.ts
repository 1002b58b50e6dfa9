/**
 * Pick a mechanism per market; nothing outside market/lme depends on which one it is. `selfTrade`
 * applies to the continuous mechanism; the call auction does not prevent self-trades (see
 * call-auction.ts).
 */
import { CallAuctionMechanism } from './call-auction.js'
import { ContinuousMechanism } from './continuous.js'
import type { MarketMechanism, MechanismConfig } from './mechanism.js'

export function createMechanism (config: MechanismConfig): MarketMechanism {
  switch (config.kind) {
    case 'continuous': return new ContinuousMechanism(config.selfTrade)
    case 'callAuction': return new CallAuctionMechanism()
  }
}
