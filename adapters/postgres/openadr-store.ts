/**
 * Where the OpenADR VTN keeps its VENs and their opt responses: PostgreSQL (or PGlite), so that a
 * restarted VTN still knows every VEN, and the opt responses are on record.
 */
import type { Database } from './database.js'
import type { OptResponse, VenRegistration, VtnStore } from '../openadr/vtn.js'

export class PgVtnStore implements VtnStore {
  constructor (private readonly db: Database) {}

  async load (): Promise<VenRegistration[]> {
    const { rows } = await this.db.pool.query('SELECT * FROM openadr_vens WHERE canceled_at IS NULL ORDER BY registered_at')
    return rows.map((r) => ({
      venID: r.ven_id, registrationID: r.registration_id, venName: r.ven_name, registeredAt: (r.registered_at as Date).toISOString(),
      ...(r.fingerprint !== null && { fingerprint: r.fingerprint })
    }))
  }

  async registered (ven: VenRegistration): Promise<void> {
    await this.db.pool.query(
      `INSERT INTO openadr_vens (ven_id, registration_id, ven_name, fingerprint, registered_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (ven_id) DO UPDATE SET ven_name = EXCLUDED.ven_name, canceled_at = NULL`,
      [ven.venID, ven.registrationID, ven.venName, ven.fingerprint ?? null, ven.registeredAt])
  }

  async canceled (venID: string, at: string): Promise<void> {
    await this.db.pool.query('UPDATE openadr_vens SET canceled_at = $2 WHERE ven_id = $1', [venID, at])
  }

  async optResponses (responses: readonly OptResponse[]): Promise<void> {
    if (responses.length === 0) return
    await this.db.pool.query(
      `INSERT INTO openadr_opt_responses (ven_id, event_id, modification_number, opt_type, response_code, received_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::timestamptz[])`,
      [responses.map((r) => r.venID), responses.map((r) => r.eventID), responses.map((r) => r.modificationNumber),
        responses.map((r) => r.optType), responses.map((r) => r.responseCode), responses.map((r) => r.at)])
  }
}
