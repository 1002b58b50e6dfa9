/**
 * Where the OpenADR VTN keeps its records: PostgreSQL (or PGlite), so that a restarted VTN still
 * knows every VEN, the reports it asked them for and which reports arrived already, and the opt
 * responses, opt schedules and reports are on record.
 */
import type { Database } from './database.js'
import type { OptRecord, OptResponse, ReceivedReport, ReportRequestRecord, VenRegistration, VtnRecords, VtnStore } from '../openadr/vtn.js'
import type { OadrEvent } from '../openadr/events.js'

const iso = (d: Date) => d.toISOString()

export class PgVtnStore implements VtnStore {
  constructor (private readonly db: Database) {}

  async load (): Promise<VtnRecords> {
    const q = async (sql: string) => (await this.db.pool.query(sql)).rows
    const vens = await q('SELECT * FROM openadr_vens WHERE canceled_at IS NULL ORDER BY registered_at')
    const requests = await q('SELECT r.* FROM openadr_report_requests r JOIN openadr_vens v USING (ven_id) WHERE v.canceled_at IS NULL ORDER BY requested_at')
    const reports = await q('SELECT ven_id, ei_report_id FROM openadr_reports')
    const opts = await q('SELECT * FROM openadr_opts ORDER BY created_at')
    const events = await q('SELECT event FROM openadr_events ORDER BY updated_at')
    return {
      vens: vens.map((r) => ({
        venID: r.ven_id, registrationID: r.registration_id, venName: r.ven_name, registeredAt: iso(r.registered_at),
        ...(r.fingerprint !== null && { fingerprint: r.fingerprint }), ...(r.transport_address !== null && { transportAddress: r.transport_address })
      })),
      reportRequests: requests.map((r) => ({
        reportRequestID: r.report_request_id, venID: r.ven_id, reportSpecifierID: r.report_specifier_id, rIDs: r.r_ids, at: iso(r.requested_at),
        ...(r.report_name !== null && { reportName: r.report_name })
      })),
      reportKeys: reports.map((r) => `${r.ven_id} ${r.ei_report_id}`),
      opts: opts.map((r) => ({ optID: r.opt_id, venID: r.ven_id, opt: r.opt, at: iso(r.created_at), ...(r.canceled_at !== null && { canceledAt: iso(r.canceled_at) }) })),
      events: events.map((r) => r.event)
    }
  }

  async registered (ven: VenRegistration): Promise<void> {
    await this.db.pool.query(
      `INSERT INTO openadr_vens (ven_id, registration_id, ven_name, fingerprint, registered_at, transport_address) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (ven_id) DO UPDATE SET ven_name = EXCLUDED.ven_name, transport_address = EXCLUDED.transport_address, canceled_at = NULL`,
      [ven.venID, ven.registrationID, ven.venName, ven.fingerprint ?? null, ven.registeredAt, ven.transportAddress ?? null])
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

  async reportRequests (requests: readonly ReportRequestRecord[]): Promise<void> {
    for (const r of requests) {
      await this.db.pool.query(
        `INSERT INTO openadr_report_requests (report_request_id, ven_id, report_specifier_id, report_name, r_ids, requested_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (report_request_id) DO UPDATE SET report_name = EXCLUDED.report_name, r_ids = EXCLUDED.r_ids, requested_at = EXCLUDED.requested_at`,
        [r.reportRequestID, r.venID, r.reportSpecifierID, r.reportName ?? null, r.rIDs, r.at])
    }
  }

  async report (r: ReceivedReport): Promise<void> {
    // A repeat is not an error: the VTN answers it again and records it once.
    await this.db.pool.query(
      `INSERT INTO openadr_reports (ven_id, ei_report_id, report_request_id, report, received_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (ven_id, ei_report_id) DO NOTHING`,
      [r.venID, r.eiReportID, r.reportRequestID, JSON.stringify(r.report), r.at])
  }

  async opt (o: OptRecord): Promise<void> {
    await this.db.pool.query(
      `INSERT INTO openadr_opts (opt_id, ven_id, opt, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (opt_id) DO UPDATE SET opt = EXCLUDED.opt, created_at = EXCLUDED.created_at, canceled_at = NULL`,
      [o.optID, o.venID, JSON.stringify(o.opt), o.at])
  }

  async event (e: OadrEvent): Promise<void> {
    // Only ever forward: a late write of an older modification changes nothing.
    await this.db.pool.query(
      `INSERT INTO openadr_events (event_id, modification_number, event, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (event_id) DO UPDATE SET modification_number = EXCLUDED.modification_number, event = EXCLUDED.event, updated_at = now()
       WHERE openadr_events.modification_number < EXCLUDED.modification_number`,
      [e.eventID, e.modificationNumber, JSON.stringify(e)])
  }

  async optCanceled (optID: string, at: string): Promise<void> {
    await this.db.pool.query('UPDATE openadr_opts SET canceled_at = $2 WHERE opt_id = $1', [optID, at])
  }
}
