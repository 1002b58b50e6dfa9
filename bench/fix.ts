/**
 * FIX benchmark: NewOrderSingle -> ExecutionReport round trips per second through our FIX session
 * layer (FixSessionEndpoint: GatewaySession, file store, our TCP transport), against jspurefix as
 * shipped (its stock AsciiSession, TcpAcceptor and TcpInitiator, in-memory store), in the same run.
 *   npm run bench:fix [-- --orders 2000 --window 64 --warmup 500 --only venue,echo,stock --dir /dev/shm --runs 5 --modes one,pipelined --cpu-prof DIR]
 *
 * What is measured. An initiator in this process sends limit NewOrderSingles over TCP on 127.0.0.1
 * to an acceptor in a child process; a round trip ends when the first ExecutionReport for that
 * ClOrdID is back (ExecType 0, "new": for every order the first report). Two modes:
 *   - one at a time (window 1): the next order leaves when the previous one is acknowledged; its
 *     p50/p99 are the latency of one round trip, its rate is 1 / latency;
 *   - pipelined (window 64 by default): up to 64 orders in flight, the next one sent as soon as one
 *     is acknowledged; its rate is the throughput, its latencies include the queueing.
 * Orders cycle through four kinds: buy 101 and sell 99 trade against resting house orders (a fill,
 * ExecType F, follows the acknowledgement), buy 98 and sell 102 rest (ExecType 0 only). Both kinds
 * of report are counted. Each implementation runs in a fresh session: a warm-up (pipelined, not
 * recorded), then the measured one-at-a-time and pipelined runs, each of `--orders` orders.
 *
 * The three implementations, both ends of the session each time:
 *   - venue: our initiator and our venue simulator (FixVenueSimulator: our LME behind our acceptor),
 *     i.e. what the demo and the venue EMA run;
 *   - echo: our initiator and our acceptor with a minimal application that answers each order
 *     without a matching engine: a "new" report, then a fill for an order at a crossing price;
 *   - stock: jspurefix's own AsciiSession subclass (no overrides of its session logic, its default
 *     in-memory store, its TcpAcceptor/TcpInitiator) with the same minimal application.
 * echo against stock is the cost of our session layer (every message sent and every sequence number
 * received stored, in one append per turn of the event loop, to a folder under --dir, the OS temp
 * folder by default; dictionary validation of every received message; the frame guard; typed
 * `fields` for the application when it reads them); venue against echo is the cost of the matching
 * engine and its bookkeeping. Both minimal applications read the order's fields the cheap way their
 * session offers (our raw text, jspurefix's MsgView) and send the same ExecutionReport shape as the
 * venue simulator. jspurefix's logging goes to a silent logger on both sides (its default, Winston
 * at info on the console, would measure the console). Our stores use their defaults (no fsync).
 *
 * The summary gives echo/stock's ratio of round trips per second in each mode and says whether it
 * meets issue 13's 0.8x; with --runs N the comparison is repeated and the median and range of the
 * ratios are given (on a shared machine single runs vary widely). --cpu-prof DIR writes a V8 CPU
 * profile of each acceptor process (run the benchmark under node --cpu-prof for the initiator).
 *
 * Why a child process for the acceptor: a counterparty is another process, and the two sides of a
 * round trip then run in parallel on the two cores as they would in production, rather than
 * taking turns on one event loop. The CPU each side used per round trip is reported separately,
 * from process.cpuUsage() in each process around each run (the acceptor's reading taken over IPC,
 * after the run's last fill has arrived); it includes everything both processes did for the run's
 * orders: encode, decode, session checks, store, application, and the kernel's share of TCP.
 */
import 'reflect-metadata'
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { AsciiSession, AsciiSessionMsgFactory, DefinitionFactory, JsFixConfig, SessionContainer } from 'jspurefix'
import type { FixDefinitions, IJsFixConfig, ILooseObject, ISessionDescription, MsgTransport, MsgView } from 'jspurefix'
// Not re-exported by jspurefix's index; what its own TcpAcceptorListener and TcpInitiatorConnector use.
import { TcpAcceptor, TcpInitiator } from 'jspurefix/dist/transport/tcp/index.js'
import { FixSessionEndpoint, type FixApplication, type FixSessionHandle, type ReceivedMessage } from '../adapters/fix/session/endpoint.js'
import { JspurefixLogBridge, silentLog } from '../adapters/fix/session/log.js'
import { FixVenueSimulator } from '../adapters/fix/venue.js'
import { instrumentOf } from '../adapters/fix/instrument.js'
import { rawFields, SIDE } from '../adapters/fix/fields.js'

const IMPLEMENTATIONS = ['venue', 'echo', 'stock'] as const
type Implementation = typeof IMPLEMENTATIONS[number]
const LABEL: Record<Implementation, string> = {
  venue: 'te-gateway session + venue simulator (LME)',
  echo: 'te-gateway session + minimal app',
  stock: 'jspurefix stock AsciiSession + minimal app'
}

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '2000' },
    window: { type: 'string', default: '64' },
    warmup: { type: 'string', default: '500' },
    only: { type: 'string', default: IMPLEMENTATIONS.join(',') },
    /** Repeat the whole comparison this many times; the summary gives each ratio's median and range. */
    runs: { type: 'string', default: '1' },
    /** Which runs: 'one' (one at a time), 'pipelined', or both (default). */
    modes: { type: 'string', default: 'one,pipelined' },
    /** Where our session stores go (default: the OS temp folder); /dev/shm takes the disk out. */
    dir: { type: 'string', default: tmpdir() },
    /** Write a V8 CPU profile of each acceptor process to this folder (run the benchmark itself under node --cpu-prof for the initiator). */
    'cpu-prof': { type: 'string' },
    /** Internal: run as the acceptor process of this implementation, with this store folder. */
    acceptor: { type: 'string' },
    store: { type: 'string' }
  }
})

// ---- the orders and the answers of the minimal application ----

const DT_START = '2026-06-20T12:00:00.000Z'
const DURATION = 'PT15M'
const INSTRUMENT = instrumentOf(DT_START, DURATION)
/** The venue's scales: prices in cents, quantities to 0.001. */
const SCALES = { priceScale: 2, quantityScale: 3 }
/** House liquidity: a sell at 101 and a buy at 99, more than any run takes. */
const HOUSE = { sell: '101.00', buy: '99.00', quantity: '1000000.000' }
/** Order i is of kind i % 4: two trade against the house, two rest (and never meet each other). */
const KINDS = [
  { side: 'buy', price: '101.00', trades: true },
  { side: 'buy', price: '98.00', trades: false },
  { side: 'sell', price: '99.00', trades: true },
  { side: 'sell', price: '102.00', trades: false }
] as const
const QUANTITY = '1.000'
const SOH = 1

function newOrderSingle (clOrdID: string, i: number): ILooseObject {
  const kind = KINDS[i % KINDS.length]!
  return {
    ClOrdID: clOrdID, Instrument: { Symbol: INSTRUMENT.symbol, SecurityID: INSTRUMENT.securityID, SecurityIDSource: INSTRUMENT.securityIDSource },
    Side: SIDE[kind.side], TransactTime: new Date(), OrderQtyData: { OrderQty: QUANTITY }, OrdType: '2', Price: kind.price, TimeInForce: '1'
  }
}

const tradesAt = (i: number): boolean => KINDS[i % KINDS.length]!.trades

/** An order as the minimal applications read it (decimal strings as on the wire). */
interface OrderFields { clOrdID: string, side: string, price: string, quantity: string, symbol: string, securityID: string, securityIDSource: string }

/**
 * The minimal application's answer to an order, in the venue simulator's ExecutionReport shape: a
 * "new" report, then a full fill at the house price when the order crosses it.
 */
function minimalAnswers (o: OrderFields, orderNumber: number): ILooseObject[] {
  const base = {
    OrderID: `E${orderNumber}`, ClOrdID: o.clOrdID, Instrument: { Symbol: o.symbol, SecurityID: o.securityID, SecurityIDSource: o.securityIDSource },
    Side: o.side, OrderQtyData: { OrderQty: o.quantity }, OrdType: '2', Price: o.price
  }
  const reports: ILooseObject[] = [{
    ...base, ExecID: `E${orderNumber}-0`, ExecType: '0', OrdStatus: '0', LeavesQty: o.quantity, CumQty: '0.000', AvgPx: '0.000000', TransactTime: new Date()
  }]
  const price = Number(o.price)
  const fillPrice = o.side === SIDE.buy && price >= Number(HOUSE.sell) ? HOUSE.sell : o.side === SIDE.sell && price <= Number(HOUSE.buy) ? HOUSE.buy : undefined
  if (fillPrice !== undefined) {
    reports.push({
      ...base, ExecID: `E${orderNumber}-1`, ExecType: 'F', OrdStatus: '2', LastQty: o.quantity, LastPx: fillPrice,
      LeavesQty: '0.000', CumQty: o.quantity, AvgPx: `${fillPrice}0000`, TransactTime: new Date()
    })
  }
  return reports
}

/** The minimal application on our session layer: fields from the raw text, as the venue reads them. */
class MinimalApplication implements FixApplication {
  private orders = 0

  onMessage (message: ReceivedMessage, session: FixSessionHandle): void {
    if (message.msgType !== 'D') return
    const f = rawFields(message.text)
    const answers = minimalAnswers({
      clOrdID: f.get(11) ?? '', side: f.get(54) ?? '', price: f.get(44) ?? '', quantity: f.get(38) ?? '',
      symbol: f.get(55) ?? '', securityID: f.get(48) ?? '', securityIDSource: f.get(22) ?? ''
    }, ++this.orders)
    for (const report of answers) session.send('8', report).catch(() => {})
  }
}

// ---- jspurefix as shipped ----

/** jspurefix's AsciiSession with nothing but its abstract hooks filled in. */
class StockSession extends AsciiSession {
  constructor (config: IJsFixConfig, private readonly hooks: { ready?: () => void, message: (msgType: string, view: MsgView, session: StockSession) => void, stopped?: (error?: Error) => void }) {
    super(config)
  }

  sendMessage (msgType: string, body: ILooseObject): void {
    this.send(msgType, body)
  }

  logoutNow (): void {
    this.done()
  }

  protected onApplicationMsg (msgType: string, view: MsgView): void {
    this.hooks.message(msgType, view, this)
  }

  protected onReady (_: MsgView): void {
    this.hooks.ready?.()
  }

  protected onStopped (error?: Error): void {
    this.hooks.stopped?.(error)
  }

  protected onLogon (_: MsgView, __: string, ___: string): boolean {
    return true
  }

  protected onDecoded (_: string, __: string): void {}
  protected onEncoded (_: string, __: string): void {}
}

let stockDefinitions: Promise<FixDefinitions> | undefined
let globalsRegistered = false

/** A JsFixConfig as jspurefix's SessionContainer makes one, with no session store given (its default: in memory). */
async function stockConfig (role: 'initiator' | 'acceptor', port: number, sender: string, target: string): Promise<JsFixConfig> {
  const container = new SessionContainer()
  if (!globalsRegistered) {
    container.registerGlobal(new JspurefixLogBridge(silentLog))
    globalsRegistered = true
  }
  const description = {
    Name: `${sender}-${target}`,
    application: { name: `${sender}-${target}`, type: role, protocol: 'ascii', dictionary: 'qf44', resilient: false, reconnectSeconds: 1, tcp: { host: '127.0.0.1', port } },
    SenderCompId: sender, TargetCompID: target, BeginString: 'FIX.4.4', HeartBtInt: 30, ResetSeqNumFlag: true
  } as unknown as ISessionDescription
  stockDefinitions ??= new DefinitionFactory().getDefinitions('qf44')
  const config = new JsFixConfig(new AsciiSessionMsgFactory(description), await stockDefinitions, description, SOH, new JspurefixLogBridge(silentLog))
  container.registerSession(config, container.newChild(description))
  return config
}

function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    }).on('error', reject)
  })
}

// ---- the acceptor process ----

type ToAcceptor = { type: 'cpu' } | { type: 'stop' }
type FromAcceptor = { type: 'ready', port: number } | { type: 'cpu', usage: NodeJS.CpuUsage }

const ACCEPTOR_IDS = { sender: 'VENUE', target: 'BENCH' }

async function acceptorProcess (implementation: Implementation, storeDir: string): Promise<void> {
  let port: number
  let stop: () => Promise<void>
  if (implementation === 'stock') {
    port = await freePort()
    const config = await stockConfig('acceptor', port, ACCEPTOR_IDS.sender, ACCEPTOR_IDS.target)
    const acceptor = new TcpAcceptor(config)
    let orders = 0
    acceptor.on('transport', (t: MsgTransport) => {
      const session = new StockSession(t.config, {
        message: (msgType, view, s) => {
          if (msgType !== 'D') return
          const answers = minimalAnswers({
            clOrdID: view.getString(11) ?? '', side: view.getString(54) ?? '', price: view.getString(44) ?? '', quantity: view.getString(38) ?? '',
            symbol: view.getString(55) ?? '', securityID: view.getString(48) ?? '', securityIDSource: view.getString(22) ?? ''
          }, ++orders)
          for (const report of answers) s.sendMessage('8', report)
        }
      })
      session.run(t).catch(() => {})
    })
    acceptor.listen() // TCP listen binds synchronously (no host to look up)
    stop = () => new Promise((resolve) => acceptor.close(() => resolve()))
  } else {
    const application: FixApplication = implementation === 'venue' ? new FixVenueSimulator(SCALES) : new MinimalApplication()
    if (application instanceof FixVenueSimulator) {
      application.seed(DT_START, DURATION, 'sell', HOUSE.sell, HOUSE.quantity)
      application.seed(DT_START, DURATION, 'buy', HOUSE.buy, HOUSE.quantity)
    }
    const endpoint = new FixSessionEndpoint({
      role: 'acceptor', host: '127.0.0.1', port: 0, senderCompId: ACCEPTOR_IDS.sender, targetCompId: ACCEPTOR_IDS.target, heartbeatSeconds: 30, storeDir
    }, application)
    port = (await endpoint.start()).port
    stop = () => endpoint.stop(500)
  }
  process.on('message', (m: ToAcceptor) => {
    if (m.type === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() } satisfies FromAcceptor)
    if (m.type === 'stop') {
      const exit = setTimeout(() => process.exit(0), 3000)
      stop().finally(() => { clearTimeout(exit); process.exit(0) })
    }
  })
  process.on('disconnect', () => process.exit(0)) // the benchmark process is gone
  process.send?.({ type: 'ready', port } satisfies FromAcceptor)
}

// ---- the initiator side ----

/** Counts ExecutionReports by ExecType and tells the run when an order's first one is back. */
class Reports {
  readonly byExecType = new Map<string, number>()
  other = 0
  private readonly pending = new Map<string, number>()
  private firstReport: ((index: number, at: number) => void) | null = null
  private waiters: Array<() => void> = []

  expect (clOrdID: string, index: number): void {
    this.pending.set(clOrdID, index)
  }

  onFirstReport (callback: ((index: number, at: number) => void) | null): void {
    this.firstReport = callback
  }

  report (msgType: string, clOrdID: string, execType: string): void {
    const at = performance.now()
    if (msgType !== '8') {
      this.other++
      return
    }
    this.byExecType.set(execType, (this.byExecType.get(execType) ?? 0) + 1)
    const index = this.pending.get(clOrdID)
    if (index !== undefined) {
      this.pending.delete(clOrdID)
      this.firstReport?.(index, at)
    }
    if (this.waiters.length > 0) for (const w of this.waiters.splice(0)) w()
  }

  count (execType: string): number {
    return this.byExecType.get(execType) ?? 0
  }

  /** Resolves once `condition` holds (checked on each report), or rejects after `ms`. */
  until (condition: () => boolean, ms: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: not reached in ${ms / 1000} s (reports by ExecType ${JSON.stringify([...this.byExecType])}, other application messages ${this.other})`)), ms)
      const check = (): void => {
        if (condition()) { clearTimeout(timer); resolve() } else this.waiters.push(check)
      }
      check()
    })
  }
}

interface Initiator {
  send (body: ILooseObject): void
  stop (): Promise<void>
}

async function ourInitiator (port: number, storeDir: string, reports: Reports): Promise<Initiator> {
  let loggedOn: () => void = () => {}
  const logon = new Promise<void>((resolve) => { loggedOn = resolve })
  const endpoint = new FixSessionEndpoint({
    role: 'initiator', host: '127.0.0.1', port, senderCompId: ACCEPTOR_IDS.target, targetCompId: ACCEPTOR_IDS.sender, heartbeatSeconds: 30, storeDir
  }, {
    onLogon: () => loggedOn(),
    onMessage: (m) => { const f = rawFields(m.text); reports.report(m.msgType, f.get(11) ?? '', f.get(150) ?? '') }
  })
  await endpoint.start()
  await withTimeout(logon, 10_000, 'logon')
  return {
    send: (body) => { endpoint.send('D', body).catch((e: Error) => console.error(`send failed: ${e.message}`)) },
    stop: () => endpoint.stop(2000)
  }
}

async function stockInitiator (port: number, reports: Reports): Promise<Initiator> {
  const config = await stockConfig('initiator', port, ACCEPTOR_IDS.target, ACCEPTOR_IDS.sender)
  let loggedOn: () => void = () => {}
  const logon = new Promise<void>((resolve) => { loggedOn = resolve })
  const session = new StockSession(config, {
    ready: () => loggedOn(),
    message: (msgType, view) => reports.report(msgType, view.getString(11) ?? '', view.getString(150) ?? '')
  })
  const initiator = new TcpInitiator(config)
  const transport = await initiator.connect(10)
  const ended = session.run(transport).catch(() => 0)
  await withTimeout(logon, 10_000, 'logon')
  return {
    send: (body) => session.sendMessage('D', body),
    stop: async () => {
      session.logoutNow()
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2000).unref())])
      initiator.end()
    }
  }
}

function withTimeout<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms) })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Asks the acceptor process for its CPU usage so far. */
function acceptorCpu (child: ChildProcess): Promise<NodeJS.CpuUsage> {
  return withTimeout(new Promise((resolve) => {
    const onMessage = (m: FromAcceptor): void => {
      if (m.type !== 'cpu') return
      child.off('message', onMessage)
      resolve(m.usage)
    }
    child.on('message', onMessage)
    child.send({ type: 'cpu' } satisfies ToAcceptor)
  }), 10_000, 'acceptor CPU reading')
}

interface Row {
  implementation: Implementation
  mode: string
  orders: number
  seconds: number
  perSecond: number
  p50: number
  p99: number
  initiatorUs: number
  acceptorUs: number
  newReports: number
  fills: number
}

let nextClOrdID = 0

/**
 * Sends `orders` orders, at most `window` in flight; resolves when the first report of every order
 * and the fill of every order that trades are back.
 */
async function run (initiator: Initiator, reports: Reports, orders: number, window: number): Promise<{ latenciesMs: Float64Array, seconds: number, newReports: number, fills: number }> {
  const sentAt = new Float64Array(orders)
  const latenciesMs = new Float64Array(orders)
  const before = { new: reports.count('0'), fills: reports.count('F') }
  let expectedFills = 0
  let sent = 0
  let acknowledged = 0
  let firstSentAt = 0
  let lastAckAt = 0
  const sendOne = (): void => {
    const index = sent++
    const sequence = nextClOrdID++
    if (tradesAt(sequence)) expectedFills++
    const clOrdID = `B${sequence}`
    reports.expect(clOrdID, index)
    sentAt[index] = performance.now()
    initiator.send(newOrderSingle(clOrdID, sequence))
  }
  const allAcknowledged = new Promise<void>((resolve) => {
    reports.onFirstReport((index, at) => {
      latenciesMs[index] = at - sentAt[index]!
      lastAckAt = at
      if (++acknowledged === orders) resolve()
      else if (sent < orders) sendOne()
    })
  })
  firstSentAt = performance.now()
  for (let k = 0; k < Math.min(window, orders); k++) sendOne()
  await withTimeout(allAcknowledged, 60_000, `${orders} orders, window ${window}`)
  reports.onFirstReport(null)
  await reports.until(() => reports.count('F') - before.fills >= expectedFills, 10_000, 'fills of the run')
  return { latenciesMs, seconds: (lastAckAt - firstSentAt) / 1000, newReports: reports.count('0') - before.new, fills: reports.count('F') - before.fills }
}

/** The type of the file system holding `dir`, from /proc/mounts (Linux); undefined elsewhere. */
function fileSystemOf (dir: string): string | undefined {
  try {
    const path = realpathSync(dir)
    let best: { mount: string, type: string } | undefined
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, mount, type] = line.split(' ')
      if (mount === undefined || type === undefined) continue
      const inside = path === mount || path.startsWith(mount.endsWith('/') ? mount : `${mount}/`)
      if (inside && (best === undefined || mount.length > best.mount.length)) best = { mount, type }
    }
    return best?.type
  } catch { return undefined }
}

/** What issue 13 asks of our session layer: at least this share of jspurefix's round trips per second. */
const TARGET_RATIO = 0.8

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

function percentile (sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN
}

const cpuMicros = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number => (b.user - a.user) + (b.system - a.system)

async function benchmark (implementation: Implementation, opts: { orders: number, window: number, warmup: number }, root: string): Promise<Row[]> {
  const here = fileURLToPath(import.meta.url)
  const child = fork(here, ['--acceptor', implementation, '--store', mkdtempSync(join(root, `${implementation}-acceptor-`))], {
    execArgv: ['--import', 'tsx', ...(values['cpu-prof'] !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [])]
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    const ready = new Promise<number>((resolve) => child.on('message', (m: FromAcceptor) => { if (m.type === 'ready') resolve(m.port) }))
    const failed = exited.then(() => { throw new Error(`${implementation} acceptor process ended before it was ready`) })
    const port = await withTimeout(Promise.race([ready, failed]), 60_000, `${implementation} acceptor start`)
    const reports = new Reports()
    const initiator = implementation === 'stock' ? await stockInitiator(port, reports) : await ourInitiator(port, mkdtempSync(join(root, `${implementation}-initiator-`)), reports)
    const rows: Row[] = []
    try {
      process.stderr.write(`${LABEL[implementation]}: warm-up ${opts.warmup} orders ...\n`)
      await run(initiator, reports, opts.warmup, opts.window)
      const modes = ([['one', 'one at a time', 1], ['pipelined', `pipelined, window ${opts.window}`, opts.window]] as const).filter(([key]) => values.modes!.split(',').includes(key))
      for (const [, mode, window] of modes) {
        process.stderr.write(`${LABEL[implementation]}: ${mode}, ${opts.orders} orders ...\n`)
        const cpuBefore = { initiator: process.cpuUsage(), acceptor: await acceptorCpu(child) }
        const r = await run(initiator, reports, opts.orders, window)
        const cpuAfter = { initiator: process.cpuUsage(), acceptor: await acceptorCpu(child) }
        const sorted = r.latenciesMs.slice().sort()
        rows.push({
          implementation, mode, orders: opts.orders, seconds: r.seconds, perSecond: opts.orders / r.seconds, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99),
          initiatorUs: cpuMicros(cpuBefore.initiator, cpuAfter.initiator) / opts.orders, acceptorUs: cpuMicros(cpuBefore.acceptor, cpuAfter.acceptor) / opts.orders,
          newReports: r.newReports, fills: r.fills
        })
      }
    } finally {
      await initiator.stop()
    }
    return rows
  } finally {
    if (child.connected) child.send({ type: 'stop' } satisfies ToAcceptor)
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(killer)
  }
}

async function main (): Promise<void> {
  const opts = { orders: Number(values.orders), window: Number(values.window), warmup: Number(values.warmup) }
  const chosen = values.only!.split(',').map((s) => s.trim()).filter((s): s is Implementation => (IMPLEMENTATIONS as readonly string[]).includes(s))
  const root = mkdtempSync(join(values.dir!, 'te-bench-fix-'))
  const began = Date.now()
  const runs = Math.max(1, Number(values.runs))
  const rowsByRun: Row[][] = []
  try {
    for (let run = 0; run < runs; run++) {
      const rows: Row[] = []
      for (const implementation of chosen) rows.push(...await benchmark(implementation, opts, root))
      rowsByRun.push(rows)
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }

  console.log(`\nFIX benchmark (Node ${process.version}, FIX 4.4 over TCP 127.0.0.1, initiator in this process, acceptor in a child process; ${opts.orders} orders per run after ${opts.warmup} warm-up orders; CPU per round trip from process.cpuUsage() of each side; our session stores in ${values.dir!} (${fileSystemOf(values.dir!) ?? 'file system unknown'}))\n`)
  const f2 = (v: number): string => v.toFixed(2)
  console.log('| implementation | mode | round trips/s | p50 ms | p99 ms | CPU µs/round trip: initiator | acceptor | total | ExecType 0 / F |')
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---|')
  for (const [run, runRows] of rowsByRun.entries()) for (const r of runRows) {
    console.log(`| ${LABEL[r.implementation]}${runs > 1 ? ` (run ${run + 1})` : ''} | ${r.mode} | ${r.perSecond.toFixed(0)} | ${f2(r.p50)} | ${f2(r.p99)} | ${r.initiatorUs.toFixed(0)} | ${r.acceptorUs.toFixed(0)} | ${(r.initiatorUs + r.acceptorUs).toFixed(0)} | ${r.newReports} / ${r.fills} |`)
  }
  console.log('\nHow to read it: a round trip is NewOrderSingle out -> first ExecutionReport (ExecType 0) back for that ClOrdID; half of the orders')
  console.log('also get a fill (ExecType F), whose sending and handling are in the CPU figures but not in the latency. "one at a time" is')
  console.log('latency-bound (rate = 1 / latency); "pipelined" is throughput-bound, by CPU or, for our rows with the stores on a disk, by the')
  console.log('store\'s writes (CPU well under 1 s per second per side means waiting); its p50/p99 include queueing behind the window.')
  console.log('This box has 2 shared cores and other work on it: compare rows of one run with each other, not runs of different days.')

  const total = (r: Row): number => r.initiatorUs + r.acceptorUs
  const lines: string[] = []
  for (const pipelined of [false, true]) {
    const mode = pipelined ? 'pipelined' : 'one at a time'
    const pairs = rowsByRun.map((runRows) => {
      const find = (implementation: Implementation): Row | undefined => runRows.find((r) => r.implementation === implementation && r.mode.startsWith('pipelined') === pipelined)
      return { echo: find('echo'), stock: find('stock'), venue: find('venue') }
    })
    const compared = pairs.filter((p): p is { echo: Row, stock: Row, venue: Row | undefined } => p.echo !== undefined && p.stock !== undefined)
    if (compared.length > 0) {
      const ratios = compared.map((p) => p.echo.perSecond / p.stock.perSecond)
      const cpu = compared.map((p) => total(p.echo) / total(p.stock))
      const last = compared.at(-1)!
      const ratio = median(ratios)
      lines.push(`  ${mode}, our session layer (echo) vs jspurefix stock: ${last.echo.perSecond.toFixed(0)} vs ${last.stock.perSecond.toFixed(0)} round trips/s, ` +
        `${total(last.echo).toFixed(0)} vs ${total(last.stock).toFixed(0)} µs CPU per round trip, p50 ${f2(last.echo.p50)} vs ${f2(last.stock.p50)} ms` + (compared.length > 1 ? ' (last run)' : ''))
      lines.push(`    round trips/s ratio ${f2(ratio)}x${compared.length > 1 ? ` (median of ${compared.length} runs, range ${f2(Math.min(...ratios))}-${f2(Math.max(...ratios))})` : ''}: ` +
        `${ratio >= TARGET_RATIO ? 'met' : 'missed'} against ${TARGET_RATIO}x; CPU per round trip ratio ${f2(median(cpu))}x${compared.length > 1 ? ` (range ${f2(Math.min(...cpu))}-${f2(Math.max(...cpu))})` : ''}`)
    }
    const last = pairs.at(-1)
    if (last?.venue !== undefined && last.echo !== undefined) {
      lines.push(`  ${mode}, venue simulator vs minimal app, both on our session layer: ${last.venue.perSecond.toFixed(0)} vs ${last.echo.perSecond.toFixed(0)} round trips/s, ` +
        `${total(last.venue).toFixed(0)} vs ${total(last.echo).toFixed(0)} µs CPU per round trip`)
    }
  }
  if (lines.length > 0) console.log(`\nSummary:\n${lines.join('\n')}`)
  console.log(`\n(${((Date.now() - began) / 1000).toFixed(0)} s)`)
}

if (values.acceptor !== undefined) {
  const implementation = values.acceptor as Implementation
  if (!IMPLEMENTATIONS.includes(implementation) || values.store === undefined) throw new Error(`--acceptor ${values.acceptor}: not one of ${IMPLEMENTATIONS.join(', ')}, or --store missing`)
  await acceptorProcess(implementation, values.store)
} else {
  await main()
}
