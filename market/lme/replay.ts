/**
 * Deterministic replay: the commands a mechanism was given, in order, rebuild its books and give
 * the same events. The ledger stores commands per book; on restart the LMA replays them.
 */
import type { MarketMechanism } from './mechanism.js'
import type { Instrument, MechanismEvent, OrderCommand } from './types.js'

export type Command =
  | { type: 'submit', order: OrderCommand }
  | { type: 'cancel', orderId: string }
  | { type: 'reduce', orderId: string, quantity: number }
  | { type: 'close', instrument: Instrument }

export function apply (mechanism: MarketMechanism, command: Command): MechanismEvent[] {
  switch (command.type) {
    case 'submit': return mechanism.submit(command.order)
    case 'cancel': return mechanism.cancel(command.orderId)
    case 'reduce': return mechanism.reduce(command.orderId, command.quantity)
    case 'close': return mechanism.closeInterval(command.instrument)
  }
}

/** Feeds commands to a (fresh) mechanism; returns every event they caused, in order. */
export function replay (mechanism: MarketMechanism, commands: Iterable<Command>): MechanismEvent[] {
  const events: MechanismEvent[] = []
  for (const command of commands) events.push(...apply(mechanism, command))
  return events
}
