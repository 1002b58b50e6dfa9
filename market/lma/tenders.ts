/**
 * The LMA's tenders, found two ways. CTS tenderIDs are each party's own: two parties may use the
 * same one, and a party names only its own. The engine needs ids unique in its books, so each
 * tender also has an order id the LMA makes (o1, o2, ...): what book events and market data
 * name, and what tells nothing of the party or its tenderID. (Tenders written before order ids
 * existed have their tenderID as order id: those were unique then.)
 */
import type { TenderRecord } from './ledger.js'

export class TenderIndex {
  private readonly byOrder = new Map<string, TenderRecord>()
  /** partyID -> tenderID -> tender. */
  private readonly byParty = new Map<string, Map<string, TenderRecord>>()
  /** partyID -> stream tenderID -> its interval tenders. */
  private readonly streams = new Map<string, Map<string, TenderRecord[]>>()
  private lastOrder = 0

  add (t: TenderRecord): void {
    this.byOrder.set(t.orderID, t)
    mapOf(this.byParty, t.partyID).set(t.tenderID, t)
    if (t.parentTenderID !== undefined) {
      const streams = mapOf(this.streams, t.partyID)
      const children = streams.get(t.parentTenderID) ?? []
      children.push(t)
      streams.set(t.parentTenderID, children)
    }
    const n = /^o(\d+)$/.exec(t.orderID)?.[1]
    if (n !== undefined) this.lastOrder = Math.max(this.lastOrder, Number(n))
  }

  /** A new order id, never used before (nor by a tenderID that served as an order id). */
  newOrderID (): string {
    let id: string
    do id = `o${++this.lastOrder}`; while (this.byOrder.has(id))
    return id
  }

  byOrderID (orderID: string): TenderRecord | undefined {
    return this.byOrder.get(orderID)
  }

  /** A party's tender by its tenderID. */
  get (partyID: string, tenderID: string): TenderRecord | undefined {
    return this.byParty.get(partyID)?.get(tenderID)
  }

  /** What a party's tenderID names: its tender, or a stream tender's interval tenders; undefined if the party has no such tenderID. */
  resolve (partyID: string, tenderID: string): TenderRecord[] | undefined {
    const children = this.streams.get(partyID)?.get(tenderID)
    if (children !== undefined) return children
    const tender = this.get(partyID, tenderID)
    return tender === undefined ? undefined : [tender]
  }

  /** Whether a party already used a tenderID (for a tender or a stream tender). */
  taken (partyID: string, tenderID: string): boolean {
    return this.resolve(partyID, tenderID) !== undefined
  }

  /** A party's tenders, in the order they were created. */
  ofParty (partyID: string): TenderRecord[] {
    return [...(this.byParty.get(partyID)?.values() ?? [])]
  }

  values (): IterableIterator<TenderRecord> {
    return this.byOrder.values()
  }
}

function mapOf<V> (maps: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let map = maps.get(key)
  if (map === undefined) { map = new Map(); maps.set(key, map) }
  return map
}
