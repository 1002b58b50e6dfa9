/**
 * Who may register with the LMA (eiCreatePartyRegistration), as the operator chooses:
 *   - open: anyone, under any partyID not taken, retired or reserved (the demo's default);
 *   - secret: only the parties the operator enrolled, each proving it with its pre-shared
 *     enrolment secret. The operator keeps only each secret's SHA-256 (like bearer tokens), so the
 *     enrolment file reveals no secret. Secrets are random (enrolmentSecret()), so one hash is enough.
 * A partyID once registered is never registered again (see LocalMarketAgent.registerParty): an
 * enrolment secret is good for one registration.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { sha256 } from './parties.js'
import { MarketRefusal } from './responses.js'

export type EnrolmentPolicy =
  | { kind: 'open' }
  | { kind: 'secret', /** partyID -> SHA-256 (hex) of its enrolment secret. */ secrets: ReadonlyMap<string, string> }

export const OPEN_ENROLMENT: EnrolmentPolicy = { kind: 'open' }

/** The enrolment file: {"partyID": "<hex SHA-256 of its secret>", ...}. */
export const EnrolmentSecrets = z.record(z.string().min(1), z.string().regex(/^[0-9a-f]{64}$/, 'the hex SHA-256 of the secret (64 lowercase hex digits)'))

export function secretEnrolment (file: unknown): EnrolmentPolicy {
  return { kind: 'secret', secrets: new Map(Object.entries(EnrolmentSecrets.parse(file))) }
}

/** A new enrolment secret for the operator to hand to a party, and what the enrolment file keeps of it. */
export function enrolmentSecret (): { secret: string, sha256: string } {
  const secret = randomBytes(32).toString('base64url')
  return { secret, sha256: sha256(secret) }
}

/** Compared against when the partyID is not enrolled, so that the answer takes as long either way. */
const NOBODY = sha256('')

/**
 * Refuses a registration the policy does not allow. Every failed proof gets the same answer, so a
 * caller cannot tell an unknown partyID from a wrong secret.
 */
export function checkEnrolment (policy: EnrolmentPolicy, partyID: string | undefined, secret: string | undefined): void {
  if (policy.kind === 'open') return
  if (partyID === undefined) throw new MarketRefusal('invalid', 'registreePartyID: enrolment is by secret here; name the partyID you were enrolled as')
  const expected = Buffer.from(policy.secrets.get(partyID) ?? NOBODY, 'hex')
  const given = Buffer.from(sha256(secret ?? ''), 'hex')
  const match = timingSafeEqual(expected, given) && policy.secrets.has(partyID) && secret !== undefined
  if (!match) throw new MarketRefusal('unauthorized', `registreePartyID: registering ${partyID} needs its enrolment secret (missing or wrong)`)
}
