/**
 * The Local Market Engine: a mechanism per market (createMechanism), driven by the LMA through a
 * MarketEngine, in this process or as a service of its own.
 */
export { createMechanism } from './create.js'
export * from './types.js'
export type { MarketMechanism, MechanismConfig, MechanismKind, SnapshotView } from './mechanism.js'
export { apply, replay, type Command } from './replay.js'
export { OrderBook, OrderStore, type OrderBookListener } from './order-book.js'
export { clearingPrice, type Clearing } from './call-auction.js'
export { LocalEngine, type MarketEngine } from './engine.js'
export { BookReplica } from './replica.js'
