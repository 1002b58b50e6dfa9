/**
 * How the LMA drives a market's mechanism. In this process (the default) a command's events come
 * back at once; a mechanism in another process (the LME service, adapters/rest/lme-client.ts)
 * answers later, so `execute` may return a promise. Reads (orders, snapshots) are always
 * immediate: a remote engine answers them from a replica of its books built from its events.
 */
import { createMechanism } from './create.js'
import type { MarketMechanism, MechanismConfig, SnapshotView } from './mechanism.js'
import { apply, type Command } from './replay.js'
import type { BookSnapshot, Instrument, MechanismEvent, OrderSnapshot } from './types.js'

export interface MarketEngine {
  /** Where the mechanism runs, for logs: "in process" or the LME's URL. */
  readonly where: string
  /** Runs one command and answers the events it caused. */
  execute: (command: Command) => MechanismEvent[] | Promise<MechanismEvent[]>
  /** Starts over from these commands (the ledger's, each book's in order); answers each command's events. */
  rebuild: (commands: readonly Command[]) => Promise<MechanismEvent[][]>
  order: (orderId: string) => (OrderSnapshot & { book: string }) | undefined
  snapshot: (instrument: Instrument, view?: SnapshotView) => BookSnapshot | undefined
}

/** The mechanism in this process. */
export class LocalEngine implements MarketEngine {
  readonly where = 'in process'
  private mechanism: MarketMechanism

  constructor (private readonly config: MechanismConfig) {
    this.mechanism = createMechanism(config)
  }

  execute (command: Command): MechanismEvent[] {
    return apply(this.mechanism, command)
  }

  async rebuild (commands: readonly Command[]): Promise<MechanismEvent[][]> {
    this.mechanism = createMechanism(this.config)
    return commands.map((c) => apply(this.mechanism, c))
  }

  order (orderId: string) { return this.mechanism.order(orderId) }
  snapshot (instrument: Instrument, view?: SnapshotView) { return this.mechanism.snapshot(instrument, view) }
}
