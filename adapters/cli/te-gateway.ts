/**
 * te-gateway: the command line.
 *   te-gateway demo     a demo microgrid trading over HTTP, then staying up (npm start)
 *   te-gateway lma      the Local Market Agent (with its engine) alone
 *   te-gateway ledger   check the LMA's ledger replays; show or quarantine a book that does not
 * Options also come from the environment: PORT, HOST, DATABASE_URL, DATA_DIR, LOG_LEVEL, and each
 * limit of `lma` (limits-options.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command, InvalidArgumentError, Option } from 'commander'
import { z } from 'zod'
import { runDemo } from './demo.js'
import { startMarketService } from './market-service.js'
import { securityOptions, securitySettings } from './lma-security.js'
import { enrolmentSecret } from '../../market/lma/enrolment.js'
import Fastify from 'fastify'
import { lmeRoutes } from '../rest/lme.js'
import { DEFAULT_LIMITS, serverOptions } from '../rest/limits.js'
import { limitsFromOptions, withLimitOptions } from './limits-options.js'
import { EmlCtsConfig } from '../rest/eml-cts/routes.js'
import { OpenadrEmaConfig, readEmaFile, startOpenadrEma } from './ema-openadr.js'
import { every } from './every.js'
import { intervalCount, minutes, port, seconds } from './arguments.js'
import { FixEmaConfig, LiquiditySpec, readFixEmaFile, ReportingSpec, startFixEma, startFixVenue, type ReportingSession } from './fix.js'
import { fixSessionCommand } from '../fix/session/cli.js'
import { ledgerCommand } from './ledger.js'
import { readMarketsFile, SelfTrade } from './markets-file.js'
import { jsonLog } from '../fix/session/log.js'
import { openDatabase } from '../postgres/database.js'
import { startParticipants } from './participants.js'
import { loadControllers } from '../../market/sc/controllers.js'
import { marketRulesAt } from '../rest/lma-client.js'
import { createMechanism } from '../../market/lme/index.js'
import { isPayloadName, PAYLOAD_NAMES, type PayloadName } from '../../schemas/registry.js'
import { checkDocument } from '../../conformance/check.js'
import { checkReport, passed, runLine, runReport } from '../../conformance/report.js'
import { runConformance } from '../../conformance/run.js'
import { runEmlConformance } from '../../conformance/run-eml-cts.js'
import { negativeDocuments, positiveDocuments } from '../../conformance/examples.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const env = process.env

/** A commander argument checked by a zod schema; its message is the error. */
function zodArgument<T> (schema: z.ZodType<T>, value: string): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? 'invalid')
  return parsed.data
}

function onSignals (close: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => { void close().then(() => process.exit(0), () => process.exit(1)) })
  }
}

const program = new Command()
  .name('te-gateway')
  .description('Transactive energy gateway: a CTS local market (LMA, LME, TEUAs) over REST, with a PostgreSQL ledger')
  .showHelpAfterError()

program.command('demo', { isDefault: true })
  .description('run a demo microgrid (loads, PV, a battery) trading over HTTP for a few intervals, then stay up with the API docs at /docs')
  .option('-p, --port <port>', 'LMA port; the TEUAs listen on the next one', port, Number(env.PORT ?? 3000))
  .option('--host <host>', 'interface to listen on', env.HOST ?? '127.0.0.1')
  .option('-n, --intervals <count>', 'delivery intervals to trade', intervalCount, 4)
  .option('-c, --config <file>', 'supervisory controllers (JSON)', `${root}market/sc/demo-microgrid.json`)
  .option('--data-dir <dir>', 'embedded PostgreSQL directory, when DATABASE_URL is unset (the demo starts it afresh)', env.DATA_DIR ?? './data/demo')
  .option('--fix-venue', 'attach an external FIX venue (our simulator) and an EMA trading the microgrid\'s shortfall and surplus there')
  .option('--log-level <level>', 'pino log level', env.LOG_LEVEL ?? 'warn')
  .action(async (o: { port: number, host: string, intervals: number, config: string, dataDir: string, logLevel: string, fixVenue?: boolean }) => {
    console.log(`te-gateway demo: ${o.intervals} delivery interval(s), ledger ${env.DATABASE_URL ? 'PostgreSQL (schema te_demo)' : `embedded PostgreSQL in ${o.dataDir}`}`)
    const demo = await runDemo({ ...o, ...(env.DATABASE_URL !== undefined && { databaseUrl: env.DATABASE_URL }), out: (line) => console.log(line) })
    onSignals(demo.close)
  })

withLimitOptions(securityOptions(program.command('lma')
  .description('run the Local Market Agent (with its matching engine) and its REST API')))
  .option('--trust-proxy <addresses>', 'take the client address from X-Forwarded-For when the request comes from these proxies (comma-separated addresses or CIDRs): per-address limits then see clients, not the proxy', env.TRUST_PROXY)
  .option('-p, --port <port>', 'port', port, Number(env.PORT ?? 3000))
  .option('--host <host>', 'interface to listen on', env.HOST ?? '127.0.0.1')
  .option('-m, --markets <file>', 'JSON array of market rules (tex:marketRules fields, + optional selfTrade); default: the demo market')
  .option('--data-dir <dir>', 'embedded PostgreSQL directory, when DATABASE_URL is unset', env.DATA_DIR ?? './data/lma')
  .option('--schema <name>', 'PostgreSQL schema of the ledger, with DATABASE_URL', env.DATABASE_SCHEMA ?? 'public')
  .option('--openadr-vtn [vtnID]', 'also be an OpenADR 2.0b VTN for downstream VENs (/OpenADR2/Simple/2.0b/...): each interval\'s last trade price, published as ELECTRICITY_PRICE events')
  .option('--eml-cts <file>', 'also serve the eml-cts binding (its URIs and JSON dialect) to the eml-cts TEUAs listed in this JSON file: {"parties": [{"partyId": 1, "teuaURI": "http://host:8080/teua/0"}], "marketContext"?: "..."}')
  .option('--lme-url <url>', 'run the (single) market\'s matching engine in an LME service (te-gateway lme) instead of in this process; several markets: lmeUrl per market in --markets', env.LME_URL)
  .option('--fix-reporting <session...>', 'FIX reporting sessions (acceptors, SenderCompID TE-GATEWAY): COMPID@PORT[:party=ID][:drop], e.g. REGULATOR@9880 HOUSE1@9881:party=house-1:drop', (v: string, all: ReportingSession[] = []) => [...all, zodArgument(ReportingSpec, v)])
  .option('--log-level <level>', 'pino log level', env.LOG_LEVEL ?? 'info')
  .action(async (o: { port: number, host: string, markets?: string, dataDir: string, schema: string, lmeUrl?: string, emlCts?: string, openadrVtn?: string | true, fixReporting?: ReportingSession[], logLevel: string, trustProxy?: string } & Parameters<typeof securitySettings>[0] & Record<string, unknown>) => {
    const security = securitySettings(o)
    let markets = readMarketsFile(o.markets)
    if (o.lmeUrl !== undefined) {
      if (markets.length !== 1) throw new Error('--lme-url drives one market; with several, give each its lmeUrl in --markets')
      markets = [{ ...markets[0]!, lmeUrl: z.url().parse(o.lmeUrl) }]
    }
    const emlCts = o.emlCts === undefined ? undefined : EmlCtsConfig.parse(JSON.parse(readFileSync(o.emlCts, 'utf8')))
    const service = await startMarketService({ markets, port: o.port, host: o.host, dataDir: o.dataDir, schema: o.schema, logLevel: o.logLevel, security, ...(env.DATABASE_URL !== undefined && { databaseUrl: env.DATABASE_URL }), ...(emlCts !== undefined && { emlCts }), ...(o.openadrVtn !== undefined && { openadrVtn: o.openadrVtn === true ? 'TE-GATEWAY-VTN' : o.openadrVtn }), ...(o.fixReporting !== undefined && { fixReporting: o.fixReporting }), limits: limitsFromOptions(o), ...(o.trustProxy !== undefined && { trustProxy: o.trustProxy }) })
    service.app.log.info(`LMA up at ${service.url}; OpenAPI docs at ${service.url}/docs; markets: ${markets.map((m) => `${m.marketContext} (engine ${m.lmeUrl ?? 'in process'})`).join(', ')}`)
    onSignals(service.close)
  })

program.command('enrolment-secret')
  .description('make an enrolment secret for a party (te-gateway lma --enrolment secret): prints the secret, for the party, and the line for the operator\'s --enrolment-secrets file')
  .argument('<partyID>', 'the party it enrols')
  .action((partyID: string) => {
    const { secret, sha256 } = enrolmentSecret()
    console.log(`secret for ${partyID} (send it once, in the enrolment-secret header of eiCreatePartyRegistration): ${secret}`)
    console.log(`enrolment file entry: ${JSON.stringify({ [partyID]: sha256 })}`)
  })

program.command('teua')
  .description('run TEUAs, one per supervisory controller, against an LMA: they register, serve their REST face, and re-plan the next intervals periodically')
  .requiredOption('--lma <url>', 'the LMA, e.g. http://127.0.0.1:3000')
  .option('-p, --port <port>', 'port of the TEUAs', port, Number(env.PORT ?? 3001))
  .option('--host <host>', 'interface to listen on', env.HOST ?? '127.0.0.1')
  .option('-c, --config <file>', 'supervisory controllers (JSON)', `${root}market/sc/demo-microgrid.json`)
  .option('--market <context>', 'market context to trade in (default: the LMA\'s first)')
  .option('--every <seconds>', 'seconds between planning passes', seconds, 10)
  .option('--horizon <intervals>', 'how many coming intervals to plan', intervalCount, 3)
  .option('--log-level <level>', 'pino log level', env.LOG_LEVEL ?? 'info')
  .action(async (o: { lma: string, port: number, host: string, config: string, market?: string, every: number, horizon: number, logLevel: string }) => {
    const market = await marketRulesAt(o.lma, o.market)
    const controllers = loadControllers(JSON.parse(readFileSync(o.config, 'utf8')), market)
    const participants = await startParticipants({ lmaUrl: o.lma, controllers, market, port: o.port, host: o.host, logLevel: o.logLevel, horizon: o.horizon })
    const stop = every(o.every, () => participants.plan(new Date()), (error) => participants.app.log.error({ err: error }, 'planning failed'), { now: true })
    onSignals(async () => { stop(); await participants.close() })
  })

program.command('ema-openadr')
  .description('run EMAs as VENs of utilities\' OpenADR 2.0b VTNs: their price events become tenders in the local market (sell imports at price + markup, buy exports at price - markdown); one from the options, or several from --config')
  .requiredOption('--lma <url>', 'the LMA, e.g. http://127.0.0.1:3000')
  .option('--config <file>', 'a JSON file {"emas": [...]} of EMAs, one per utility (fields as the options below, camelCase; see README)')
  .option('--vtn <url>', 'the VTN\'s simple-HTTP base, e.g. https://vtn.example/OpenADR2/Simple/2.0b')
  .option('--party-id <id>', 'the EMA\'s party at the LMA', 'ema-openadr')
  .option('--ven-name <name>', 'the VEN name it registers with', 'te-gateway-ema')
  .option('--market <context>', 'market context to trade in (default: the LMA\'s first)')
  .option('--markup <decimal>', 'added to the utility price for what it sells (imports)', '0')
  .option('--markdown <decimal>', 'taken off the utility price for what it buys (exports)', '0')
  .option('--import-limit <quantity>', 'what the connection imports per market interval', '0')
  .option('--export-limit <quantity>', 'what the connection exports per market interval', '0')
  .option('--every <seconds>', 'seconds between polls (default: what the VTN asks for, oadrRequestedOadrPollFreq, else 10)', seconds)
  .option('--state-dir <dir>', 'where the EMA keeps its state (its LMA token)', './data/ema-openadr')
  .option('--reported <file>', 'report cleared trades to the VTN (oadrUpdateReport), remembering what was reported in this file', env.EMA_REPORTED_FILE)
  .option('--cert <pem>', 'mutual TLS: our client certificate (with --key and --ca)')
  .option('--key <pem>', 'mutual TLS: its private key')
  .option('--ca <pem>', 'mutual TLS: the CA the VTN\'s certificate must chain to')
  .option('--push-url <url>', 'push: register for push, giving the VTN this URL of our endpoints')
  .option('--push-port <port>', 'push: serve our endpoints on this port', port)
  .action(async (o: { lma: string, config?: string, vtn?: string, partyId: string, venName: string, market?: string, markup: string, markdown: string, importLimit: string, exportLimit: string, every?: number, stateDir: string, reported?: string, cert?: string, key?: string, ca?: string, pushUrl?: string, pushPort?: number }) => {
    const log = (message: string, detail?: Record<string, unknown>) => console.error(JSON.stringify({ time: new Date().toISOString(), msg: message, ...detail }))
    let emas
    if (o.config !== undefined) {
      emas = readEmaFile(o.config)
    } else {
      if (o.vtn === undefined) throw new InvalidArgumentError('give --vtn <url>, or --config <file>')
      const tlsGiven = [o.cert, o.key, o.ca].filter((x) => x !== undefined).length
      if (tlsGiven !== 0 && tlsGiven !== 3) throw new InvalidArgumentError('mutual TLS needs all of --cert, --key and --ca')
      if ((o.pushUrl === undefined) !== (o.pushPort === undefined)) throw new InvalidArgumentError('push needs both --push-url and --push-port')
      emas = [OpenadrEmaConfig.parse({
        partyID: o.partyId, vtnUrl: o.vtn, venName: o.venName, markup: o.markup, markdown: o.markdown, importLimit: o.importLimit, exportLimit: o.exportLimit, stateDir: o.stateDir,
        ...(o.every !== undefined && { pollSeconds: o.every }), ...(o.market !== undefined && { marketContext: o.market }), ...(o.reported !== undefined && { reportedFile: o.reported }),
        ...(tlsGiven === 3 && { tls: { cert: o.cert, key: o.key, ca: o.ca } }),
        ...(o.pushUrl !== undefined && { push: { url: o.pushUrl, port: o.pushPort } })
      })]
    }
    if (emas.length === 0) log('no EMA configured: nothing to run')
    const stops: Array<() => Promise<void>> = []
    for (const ema of emas) {
      stops.push(await startOpenadrEma(o.lma, ema, log))
      log('EMA started', { ema: ema.partyID, vtn: ema.vtnUrl })
    }
    onSignals(async () => { for (const stop of stops) await stop() })
  })

program.addCommand(fixSessionCommand())
program.addCommand(ledgerCommand())

program.command('fix-venue')
  .description('run a FIX venue simulator (our LME behind our FIX acceptor) with house liquidity in every coming interval: an external market for ema-fix')
  .option('-p, --port <port>', 'port', port, 9878)
  .option('--host <host>', 'interface to listen on', env.HOST ?? '127.0.0.1')
  .option('--sender-comp-id <id>', 'our SenderCompID', 'VENUE')
  .option('--target-comp-id <id>', 'the EMA\'s CompID', 'TE-EMA')
  .option('--heartbeat <seconds>', 'HeartBtInt', seconds, 30)
  .option('--price-scale <n>', 'decimal places of venue prices', Number, 0)
  .option('--quantity-scale <n>', 'decimal places of venue quantities', Number, 4)
  .option('--duration <iso>', 'the venue\'s delivery intervals', 'PT1H')
  .option('--horizon <n>', 'coming intervals kept liquid', intervalCount, 24)
  .option('--liquidity <order...>', 'house orders per interval, side:price:quantity in venue units', (v: string, all: string[] = []) => [...all, v], ['sell:150:0.0200', 'buy:60:0.0200'])
  .option('--store-dir <dir>', 'FIX session store', './data/fix-venue')
  .option('--log-level <level>', 'session log level', env.LOG_LEVEL ?? 'info')
  .action(async (o: { port: number, host: string, senderCompId: string, targetCompId: string, heartbeat: number, priceScale: number, quantityScale: number, duration: string, horizon: number, liquidity: string[], storeDir: string, logLevel: string }) => {
    const { port: bound, stop } = await startFixVenue({
      host: o.host, port: o.port, senderCompId: o.senderCompId, targetCompId: o.targetCompId, heartbeatSeconds: o.heartbeat, storeDir: o.storeDir,
      scales: { priceScale: o.priceScale, quantityScale: o.quantityScale }, duration: o.duration, horizon: o.horizon,
      liquidity: o.liquidity.map((l) => zodArgument(LiquiditySpec, l)), sessionLog: jsonLog(o.logLevel as 'info')
    })
    console.error(JSON.stringify({ time: new Date().toISOString(), msg: 'FIX venue simulator listening', host: o.host, port: bound, senderCompId: o.senderCompId, targetCompId: o.targetCompId }))
    onSignals(stop)
  })

program.command('ema-fix')
  .description('run an EMA at an external FIX venue: it buys the microgrid\'s shortfall and sells its surplus there (NewOrderSingle, Cancel/Replace, Cancel) and trades the fills back in the local market')
  .requiredOption('--lma <url>', 'the LMA, e.g. http://127.0.0.1:3000')
  .option('--config <file>', 'several EMAs, one per venue: {"emas": [{"partyID", "venue": "host:port", "senderCompId", "targetCompId", "markup"?, "importLimit"?, "exportLimit"?, "units"?, "storeDir"?}]}')
  .option('--venue <host:port>', 'the venue\'s FIX acceptor', '127.0.0.1:9878')
  .option('--sender-comp-id <id>', 'our SenderCompID', 'TE-EMA')
  .option('--target-comp-id <id>', 'the venue\'s CompID', 'VENUE')
  .option('--heartbeat <seconds>', 'HeartBtInt', seconds, 30)
  .option('--party-id <id>', 'the EMA\'s party at the LMA', 'ema-fix')
  .option('--market <context>', 'market context to trade in (default: the LMA\'s first)')
  .option('--markup <decimal>', 'margin per unit on what it trades back locally', '0.005')
  .option('--import-limit <quantity>', 'what the connection imports per interval', '50')
  .option('--export-limit <quantity>', 'what the connection exports per interval', '50')
  .option('--price-shift <n>', 'venue price = local price x 10^n (3: USD/kWh locally, USD/MWh at the venue)', Number, 3)
  .option('--price-scale <n>', 'decimal places of venue prices', Number, 0)
  .option('--quantity-shift <n>', 'venue quantity = local quantity x 10^n (-3: kWh locally, MWh at the venue)', Number, -3)
  .option('--quantity-scale <n>', 'decimal places of venue quantities', Number, 4)
  .option('--every <seconds>', 'seconds between rounds', seconds, 10)
  .option('--horizon <intervals>', 'how many coming intervals to trade', intervalCount, 3)
  .option('--store-dir <dir>', 'FIX session store', './data/ema-fix')
  .addOption(new Option('--session-store <kind>', 'where FIX sessions keep their sequence numbers and sent messages').choices(['file', 'postgres']).default('file'))
  .option('--data-dir <dir>', 'embedded PostgreSQL for the FIX message ledger, when DATABASE_URL is unset', './data/ema-fix/ledger')
  .option('--log-level <level>', 'session log level', env.LOG_LEVEL ?? 'info')
  .action(async (o: { lma: string, config?: string, venue: string, senderCompId: string, targetCompId: string, heartbeat: number, partyId: string, market?: string, markup: string, importLimit: string, exportLimit: string, priceShift: number, priceScale: number, quantityShift: number, quantityScale: number, every: number, horizon: number, storeDir: string, sessionStore: 'file' | 'postgres', dataDir: string, logLevel: string }) => {
    const emas: FixEmaConfig[] = o.config !== undefined
      ? readFixEmaFile(readFileSync(o.config, 'utf8'), o.config)
      : [FixEmaConfig.parse({
          partyID: o.partyId, venue: o.venue, senderCompId: o.senderCompId, targetCompId: o.targetCompId, heartbeatSeconds: o.heartbeat,
          markup: o.markup, importLimit: o.importLimit, exportLimit: o.exportLimit, storeDir: o.storeDir,
          units: { priceShift: o.priceShift, priceScale: o.priceScale, quantityShift: o.quantityShift, quantityScale: o.quantityScale }
        })]
    const log = (message: string, detail?: Record<string, unknown>) => console.error(JSON.stringify({ time: new Date().toISOString(), msg: message, ...detail }))
    if (emas.length === 0) log('no EMA configured: nothing to run')
    const market = await marketRulesAt(o.lma, o.market)
    const db = await openDatabase(env.DATABASE_URL !== undefined ? { url: env.DATABASE_URL } : { dataDir: o.dataDir })
    const running: Array<Awaited<ReturnType<typeof startFixEma>>> = []
    for (const c of emas) {
      const [, host, venuePort] = /^(.+):(\d+)$/.exec(c.venue)!
      running.push(await startFixEma({
        lmaUrl: o.lma, partyID: c.partyID, market, markup: c.markup, importLimit: c.importLimit, exportLimit: c.exportLimit, units: c.units,
        venue: { host: host!, port: port(venuePort!), senderCompId: c.senderCompId, targetCompId: c.targetCompId, heartbeatSeconds: c.heartbeatSeconds, storeDir: c.storeDir ?? join(o.storeDir, c.partyID) },
        db, log: (message, detail) => log(message, { ema: c.partyID, ...detail }), sessionLog: jsonLog(o.logLevel as 'info'), sessionStore: o.sessionStore
      }))
      log('EMA at the FIX venue', { ema: c.partyID, venue: c.venue, market: market.marketContext })
    }
    const stops = running.map((fix, k) => every(o.every, () => fix.tick(new Date(), o.horizon), (error) => log('round failed', { ema: emas[k]!.partyID, error: String(error) })))
    onSignals(async () => { for (const stop of stops) stop(); for (const fix of running) await fix.stop(); await db.close() })
  })

program.command('lme')
  .description('run a matching engine alone, over REST (/lme/...); an LMA drives it with --lme-url')
  .option('-p, --port <port>', 'port', port, Number(env.PORT ?? 3002))
  .option('--host <host>', 'interface to listen on', env.HOST ?? '127.0.0.1')
  .option('--mechanism <kind>', 'continuous or callAuction', 'continuous')
  .option('--self-trade <policy>', 'cancelResting, cancelIncoming or allow', 'cancelResting')
  .option('--log-level <level>', 'pino log level', env.LOG_LEVEL ?? 'info')
  .action(async (o: { port: number, host: string, mechanism: string, selfTrade: string, logLevel: string }) => {
    const kind = z.enum(['continuous', 'callAuction']).parse(o.mechanism)
    const selfTrade = SelfTrade.parse(o.selfTrade)
    const app = Fastify({ logger: { level: o.logLevel }, ...serverOptions(DEFAULT_LIMITS) })
    await app.register(lmeRoutes, { create: () => createMechanism({ kind, selfTrade }), limits: DEFAULT_LIMITS })
    app.get('/health', async () => ({ status: 'ok' }))
    await app.listen({ port: o.port, host: o.host })
    onSignals(() => app.close())
  })

const conformance = program.command('conformance')
  .description('the CTS conformance suite: check message documents against the CTS schemas, and run black-box scenarios against any LMA')

conformance.command('check')
  .description('check CTS message documents (CTS XML, official CTS JSON, or our JSON binding) with our schemas and, with --schemas, the official XSDs and JSON Schemas; every violation with its path')
  .argument('<files...>', 'documents to check')
  .option('--schemas <dir>', 'the official CTS schema set (a folder laid out like cts-schemas: xsd/, json/)')
  .option('--payload <name>', 'the payload of JSON documents in our binding (otherwise: a {"<payload>": {...}} wrapper, the file name, or the one schema that fits)')
  .option('--format <format>', 'text, json or junit', 'text')
  .action(async (files: string[], o: { schemas?: string, payload?: string, format: string }) => {
    const format = z.enum(['text', 'json', 'junit']).parse(o.format)
    if (o.payload !== undefined && !isPayloadName(o.payload)) throw new InvalidArgumentError(`--payload: ${o.payload} is not a CTS payload (${PAYLOAD_NAMES.join(', ')})`)
    if (o.schemas !== undefined && !existsSync(join(o.schemas, 'xsd/cts-validation-entry.xsd'))) throw new Error(`--schemas: ${o.schemas} has no xsd/cts-validation-entry.xsd`)
    const results = []
    for (const [i, file] of files.entries()) {
      if (format === 'text' && files.length > 1) process.stderr.write(`\r${i + 1}/${files.length} ${file}`.slice(0, 100).padEnd(100))
      let text: string
      try {
        text = readFileSync(file, 'utf8')
      } catch (error) {
        results.push({ file, findings: [{ layer: 'parse' as const, path: '/', message: `cannot read: ${(error as Error).message}` }], ran: [], skipped: [] })
        continue
      }
      results.push(await checkDocument(text, file, { ...(o.schemas !== undefined && { schemasDir: resolve(o.schemas) }), ...(o.payload !== undefined && { payload: o.payload as PayloadName }) }))
    }
    if (format === 'text' && files.length > 1) process.stderr.write('\r'.padEnd(101) + '\r')
    process.stdout.write(checkReport(results, format))
    process.exitCode = results.every(passed) ? 0 : 1
  })

conformance.command('run')
  .description('run the black-box scenarios against a running LMA over HTTP (registration, trading, cancels, bad input, idempotency, identity), checking every answer and callback against the CTS schemas; cleans up after itself')
  .requiredOption('--target <url>', 'the LMA, e.g. http://127.0.0.1:3000')
  .option('--schemas <dir>', 'the official CTS schema set: also check answers with the XSDs and JSON Schemas')
  .option('--market-context <uri>', 'the market to trade in (default: the first the LMA\'s eiRequestMarketRules lists)')
  .option('--callback-host <host>', 'interface for the suite\'s own TEUA endpoints (the LMA must reach it)', '127.0.0.1')
  .option('--format <format>', 'text, json or junit (progress goes to stderr)', 'text')
  .option('--binding <binding>', 'cts (this gateway\'s REST binding of the CTS payloads) or eml-cts (eml-cts\'s URIs and JSON dialect)', 'cts')
  .option('--eml-parties <a,b>', 'eml-cts: the two party numbers the target knows for the suite', '1,2')
  .option('--callback-port <port>', 'eml-cts: the port of the suite\'s TEUAs (/teua/0 and /teua/1), as the target is configured to reach them', port, 0)
  .option('--interval-minutes <minutes>', 'eml-cts: the length of the market\'s intervals', minutes, 60)
  .action(async (o: { target: string, schemas?: string, marketContext?: string, callbackHost: string, format: string, binding: string, emlParties: string, callbackPort: number, intervalMinutes: number }) => {
    const format = z.enum(['text', 'json', 'junit']).parse(o.format)
    const binding = z.enum(['cts', 'eml-cts']).parse(o.binding)
    if (o.schemas !== undefined && !existsSync(join(o.schemas, 'xsd/cts-validation-entry.xsd'))) throw new Error(`--schemas: ${o.schemas} has no xsd/cts-validation-entry.xsd`)
    process.stderr.write(`conformance run (${binding} binding) against ${o.target}\n`)
    const progress = (check: { id: string, rule: string, passed: boolean, detail: string }) => { if (format !== 'text') process.stderr.write(runLine(check) + '\n'); else process.stdout.write(runLine(check) + '\n') }
    const target = z.url().parse(o.target)
    const checks = binding === 'eml-cts'
      ? await runEmlConformance({ target, callbackHost: o.callbackHost, callbackPort: o.callbackPort, intervalMinutes: o.intervalMinutes, parties: z.tuple([z.coerce.number().int(), z.coerce.number().int()]).parse(o.emlParties.split(',')), progress })
      : await runConformance({
        target, callbackHost: o.callbackHost, progress,
        ...(o.schemas !== undefined && { schemasDir: resolve(o.schemas) }), ...(o.marketContext !== undefined && { marketContext: o.marketContext })
      })
    const failed = checks.filter((c) => !c.passed).length
    if (format === 'text') process.stdout.write(`\n${checks.length - failed} passed, ${failed} failed\n`)
    else process.stdout.write(runReport(checks, format, o.target))
    process.exitCode = failed === 0 ? 0 : 1
  })

conformance.command('examples')
  .description('write example documents to check: every CTS payload in its three forms (must pass) and the schema negatives (must fail)')
  .argument('<dir>', 'folder to write into (pass/ and fail/ are made in it)')
  .action((dir: string) => {
    for (const [sub, docs] of [['pass', positiveDocuments()], ['fail', negativeDocuments()]] as const) {
      mkdirSync(join(dir, sub), { recursive: true })
      for (const d of docs) writeFileSync(join(dir, sub, d.file), d.text)
      console.log(`${docs.length} documents in ${join(dir, sub)}`)
    }
  })

program.parseAsync().catch((error: unknown) => {
  console.error(`te-gateway: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
