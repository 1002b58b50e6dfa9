/**
 * EMAs as VENs of utilities' OpenADR 2.0b VTNs, run from the CLI (te-gateway ema-openadr). There is
 * one per utility, and a configuration may hold several, or none. Each EMA is its own party of
 * the LMA. It registers with its VTN, pulls (or takes pushed) price events, turns them into
 * tenders, and reports its cleared trades.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { z } from 'zod'
import { readEmaList } from './ema-list.js'
import { every } from './every.js'
import { PriceEma } from '../../market/ema/price-ema.js'
import { HttpLmaClient, marketRulesAt } from '../rest/lma-client.js'
import { FileReportedStore, OadrVen } from '../openadr/ven.js'
import { durationMs } from '../../market/lma/time.js'
import { venRoutes } from '../openadr/ven-routes.js'

const decimal = z.string().regex(/^\d+(\.\d+)?$/, 'a decimal such as 0.005')

/** One EMA: its party at the LMA and its utility's VTN. */
export const OpenadrEmaConfig = z.object({
  partyID: z.string().min(1).default('ema-openadr'),
  vtnUrl: z.url(),
  venName: z.string().min(1).default('te-gateway-ema'),
  /** The market to trade in (default: the LMA's first). */
  marketContext: z.string().optional(),
  markup: decimal.default('0'),
  markdown: decimal.default('0'),
  importLimit: decimal.default('0'),
  exportLimit: decimal.default('0'),
  /** Seconds between polls; when absent, what the VTN asks for (oadrRequestedOadrPollFreq), else 10. */
  pollSeconds: z.number().int().min(1).max(86_400).optional(),
  /** Where the EMA keeps its state: its LMA token ({partyID}.lma-token) unless tokenFile says otherwise. */
  stateDir: z.string().min(1).default('./data/ema-openadr'),
  /** Where the EMA keeps its LMA token, so a restart acts as the same party (default {stateDir}/{partyID}.lma-token). */
  tokenFile: z.string().optional(),
  /** Report cleared trades (oadrUpdateReport), remembering what was reported in this file. */
  reportedFile: z.string().optional(),
  /** Mutual TLS: PEM files of our certificate, its key, and the CA the VTN's certificate chains to. */
  tls: z.object({ cert: z.string(), key: z.string(), ca: z.string() }).strict().optional(),
  /** Push: serve this VEN's endpoints here, and give the VTN `url` (what reaches them from the VTN). */
  push: z.object({ url: z.url(), port: z.number().int().min(0).max(65535), host: z.string().default('0.0.0.0') }).strict().optional()
}).strict()
export type OpenadrEmaConfig = z.infer<typeof OpenadrEmaConfig>

/** A file of EMAs, `{ "emas": [...] }`; an empty list runs none. */
export function readEmaFile (file: string): OpenadrEmaConfig[] {
  return readEmaList(OpenadrEmaConfig, readFileSync(file, 'utf8'), file)
}

type Log = (message: string, detail?: Record<string, unknown>) => void

const isZero = (decimal: string): boolean => /^0+(\.0+)?$/.test(decimal)

/** The poll period: the operator's, else the VTN's requested one (whole seconds, 1 s to a day), else 10 s. */
export function pollSecondsOf (configured: number | undefined, requestedPollFreq: string | undefined): { seconds: number, from: 'configuration' | 'VTN' | 'default' } {
  if (configured !== undefined) return { seconds: configured, from: 'configuration' }
  if (requestedPollFreq !== undefined) {
    let ms = Number.NaN
    try { ms = durationMs(requestedPollFreq) } catch { /* not a duration we read: the default */ }
    if (Number.isFinite(ms) && ms > 0) return { seconds: Math.min(Math.max(Math.round(ms / 1000), 1), 86_400), from: 'VTN' }
  }
  return { seconds: 10, from: 'default' }
}

/** Starts one EMA; returns its stop function. */
export async function startOpenadrEma (lmaUrl: string, c: OpenadrEmaConfig, log: Log): Promise<() => Promise<void>> {
  const elog: Log = (message, detail) => log(message, { ema: c.partyID, ...detail })
  const market = await marketRulesAt(lmaUrl, c.marketContext)
  if (isZero(c.importLimit) && isZero(c.exportLimit)) {
    elog('WARNING: import and export limits are both 0: the EMA opts in to price events but places no tenders; give --import-limit and/or --export-limit (importLimit, exportLimit)')
  }
  const { client, lmaPartyID } = await HttpLmaClient.registerOnce(lmaUrl, { partyID: c.partyID, partyRole: 'ema', marketContext: [market.marketContext] }, c.tokenFile ?? join(c.stateDir, `${c.partyID}.lma-token`))
  const ema = new PriceEma({ partyID: c.partyID, lmaPartyID, market, markup: c.markup, markdown: c.markdown, importLimit: c.importLimit, exportLimit: c.exportLimit, log: elog }, client)
  const tls = c.tls === undefined ? undefined : { cert: readFileSync(c.tls.cert), key: readFileSync(c.tls.key), ca: readFileSync(c.tls.ca) }
  const ven = new OadrVen({
    vtnUrl: c.vtnUrl, venName: c.venName, ema, log: elog,
    ...(tls !== undefined && { tls }),
    ...(c.reportedFile !== undefined && { reports: { market, reported: new FileReportedStore(c.reportedFile) } })
  })
  let pushApp: FastifyInstance | undefined
  if (c.push !== undefined) {
    pushApp = Fastify({ logger: false, ...(tls !== undefined && { https: { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true } }) })
    await pushApp.register(venRoutes, { ven })
    await pushApp.listen({ port: c.push.port, host: c.push.host })
    ven.pushUrl = c.push.url
  }
  await ven.register()
  if (c.reportedFile !== undefined) {
    // A VTN that takes no reports (or none of ours) leaves the EMA trading, unreported.
    try {
      const request = await ven.registerReports()
      if (request === undefined) elog('WARNING: the VTN did not ask for the trades report (a VTN may take only TELEMETRY_USAGE): cleared trades are not reported to it')
      else if (ven.reportsUsageOnly) elog('WARNING: the VTN asks only for TELEMETRY_USAGE: cleared trades go up as usage, their energy without their prices', { request })
      else elog('report request', { request })
    } catch (error) {
      elog('WARNING: report registration failed: cleared trades are not reported until the VTN asks for them', { error: String(error) })
    }
  }
  elog('events', { handled: await ven.requestEvents() })
  // In push mode the poll still runs: it fetches what a failed push did not deliver.
  const poll = pollSecondsOf(c.pollSeconds, ven.requestedPollFreq)
  elog('polling', { every: poll.seconds, from: poll.from, ...(ven.requestedPollFreq !== undefined && { requestedPollFreq: ven.requestedPollFreq }) })
  const stop = every(poll.seconds, async () => {
    // A report the VTN refuses backs off and is logged as a report failure; it does not fail the poll.
    const p = await ven.pollAndReport()
    if (p.handled.length > 0) elog('events', { handled: p.handled })
    if (p.reported > 0) elog('trades reported', { transactions: p.reported })
  }, (error) => elog('poll failed', { error: String(error) }))
  return async () => {
    stop()
    await pushApp?.close()
  }
}
