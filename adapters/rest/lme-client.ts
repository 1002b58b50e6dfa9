/**
 * The LMA's side of an LME in another process (`te-gateway lme`, adapters/rest/lme.ts): commands
 * go over HTTP, one at a time (the LMA serializes its changes when its engine is remote); reads are
 * answered from a replica of the books built from the events that came back.
 *
 * The LME answers every command with its instance id. Another id than the one this engine rebuilt
 * means the LME restarted or was reset, and its books are not the ledger's: the command fails, and
 * the LMA reloads, which rebuilds the LME from the ledger.
 */
import { BookReplica, type Command, type Instrument, type MarketEngine, type MechanismEvent, type SnapshotView } from '../../market/lme/index.js'

export class RemoteEngine implements MarketEngine {
  private replica = new BookReplica()
  private instance: string | undefined

  /** `url`: the LME's base URL, e.g. http://127.0.0.1:3002 (one LME per market: a rebuild resets it). */
  constructor (readonly where: string, private readonly timeoutMs = 10_000) {}

  async execute (command: Command): Promise<MechanismEvent[]> {
    const [events] = await this.run([command])
    return events!
  }

  async rebuild (commands: readonly Command[]): Promise<MechanismEvent[][]> {
    this.instance = undefined
    this.replica = new BookReplica()
    const { instance } = await this.post('/lme/reset', {}) as { instance: string }
    this.instance = instance
    const events: MechanismEvent[][] = []
    // In slices, so that no request body grows with the ledger.
    for (let i = 0; i < commands.length; i += 5000) events.push(...await this.run(commands.slice(i, i + 5000)))
    return events
  }

  order (orderId: string) { return this.replica.order(orderId) }
  snapshot (instrument: Instrument, view?: SnapshotView) { return this.replica.snapshot(instrument, view) }

  private async run (commands: readonly Command[]): Promise<MechanismEvent[][]> {
    if (this.instance === undefined) throw new Error(`the LME at ${this.where} was not rebuilt`)
    const answer = await this.post('/lme/commands', { commands }) as { instance: string, events: MechanismEvent[][] }
    if (answer.instance !== this.instance) {
      const expected = this.instance
      this.instance = undefined
      throw new Error(`the LME at ${this.where} restarted or was reset (instance ${answer.instance}, expected ${expected})`)
    }
    if (!Array.isArray(answer.events) || answer.events.length !== commands.length) throw new Error(`the LME at ${this.where} answered ${String(answer.events?.length)} event lists for ${commands.length} commands`)
    commands.forEach((c, i) => this.replica.apply(answer.events[i]!, c.type === 'submit' ? c.order.instrument : c.type === 'close' ? c.instrument : undefined))
    return answer.events
  }

  private async post (path: string, body: unknown): Promise<unknown> {
    const response = await fetch(new URL(path, this.where), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(this.timeoutMs)
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`the LME at ${this.where} answered ${response.status} to ${path}: ${text.slice(0, 200)}`)
    return JSON.parse(text)
  }
}
