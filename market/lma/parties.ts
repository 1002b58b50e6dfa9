/**
 * The parties registered with the LMA (TEUAs and EMAs), and their bearer tokens. A token is shown
 * once, at registration; the ledger keeps only its SHA-256.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { PartyRecord } from './ledger.js'

export function newToken (): string {
  return randomBytes(32).toString('base64url')
}

export function sha256 (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export class PartyRegistry {
  private readonly byID = new Map<string, PartyRecord>()
  private readonly byTokenHash = new Map<string, PartyRecord>()
  /** Tokens already checked once: a hash per request is measurable at thousands of requests/s. */
  private readonly byToken = new Map<string, PartyRecord>()

  load (parties: Iterable<PartyRecord>): void {
    for (const p of parties) this.put(p)
  }

  put (party: PartyRecord): void {
    const old = this.byID.get(party.partyID)
    if (old !== undefined) {
      this.byTokenHash.delete(old.tokenSha256)
      for (const [token, p] of this.byToken) if (p.partyID === party.partyID) this.byToken.delete(token)
    }
    this.byID.set(party.partyID, party)
    if (party.canceledAt === undefined) this.byTokenHash.set(party.tokenSha256, party)
  }

  /** Forgets a party (a registration the ledger could not record). */
  remove (partyID: string): void {
    const old = this.byID.get(partyID)
    if (old === undefined) return
    this.byTokenHash.delete(old.tokenSha256)
    for (const [token, p] of this.byToken) if (p.partyID === partyID) this.byToken.delete(token)
    this.byID.delete(partyID)
  }

  get (partyID: string): PartyRecord | undefined {
    return this.byID.get(partyID)
  }

  /** The active party a bearer token belongs to, or undefined. */
  authenticate (token: string): PartyRecord | undefined {
    const known = this.byToken.get(token)
    if (known !== undefined) return known
    const hash = sha256(token)
    const party = this.byTokenHash.get(hash)
    if (party === undefined) return undefined
    // The map lookup found it; compare in constant time anyway, as a matter of habit.
    if (!timingSafeEqual(Buffer.from(party.tokenSha256, 'hex'), Buffer.from(hash, 'hex'))) return undefined
    this.byToken.set(token, party)
    return party
  }

  /** How many parties are registered and not canceled. */
  get activeCount (): number {
    return this.byTokenHash.size
  }

  all (): PartyRecord[] {
    return [...this.byID.values()]
  }
}
