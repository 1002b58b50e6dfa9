/**
 * QuickFIX test harness: brings Debian's QuickFIX 1.15.1 — a real FIX engine
 * written independently of ours — into integration tests, so our FIX side is
 * checked against someone else's reading of the protocol instead of our own.
 *
 * Nothing is committed or installed system-wide: the three Debian packages
 * (libquickfix17, libquickfix-dev, libquickfix-doc) are fetched with
 * `apt-get download` into a cache dir under os.tmpdir(), unpacked with
 * `dpkg-deb` (HTML docs left out), and everything compiled lands in that
 * cache keyed by a hash of its inputs. What the packages hold (`dpkg -c`):
 *  - libquickfix17: only libquickfix.so.17[.0.0];
 *  - libquickfix-dev: headers and the unversioned libquickfix.so symlink;
 *  - libquickfix-doc: the C++ examples — sources (some gzipped by dh_compress)
 *    and, gzipped, the libtool-built binaries `.libs/executor`, `.libs/ordermatch`.
 * None of them ships the FIXnn.xml data dictionaries, so those are taken from
 * Debian's *source* package of the same version (`apt-get source
 * --download-only quickfix`, spec/FIX4x.xml of the upstream tarball), with a
 * private apt state dir so the machine's apt configuration is left alone.
 *
 * Skips (returns `{ skip }`) only when the packages or dictionaries cannot be
 * had; a missing compiler or a failing compile is an error, not a skip.
 * See README.md beside this file for usage.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import * as fs from 'node:fs/promises'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'

const PACKAGES = ['libquickfix17', 'libquickfix-dev', 'libquickfix-doc'] as const
const HERE = path.dirname(fileURLToPath(import.meta.url))

/**
 * Flags every QuickFIX translation unit needs with Debian's 1.15.1 build:
 *  - gnu++14, not 17: the public headers use dynamic exception specifications
 *    (`throw( DoNotSend )` on Application's virtuals), which C++17 rejects;
 *  - HAVE_STD_UNIQUE_PTR deliberately NOT defined: the library was built with
 *    SmartPtr = std::auto_ptr (see `nm -DC`: readFromDocument(std::auto_ptr<…>)),
 *    defining it would silently change the ABI of Message::s_dataDictionary;
 *  - the deprecation warnings those two choices cause are silenced.
 */
export const QUICKFIX_CXXFLAGS: readonly string[] = [
  '-std=gnu++14',
  '-O1',
  '-pthread',
  '-Wall',
  '-Wno-deprecated',
  '-Wno-deprecated-declarations'
]

/** Bump when compileCached's command line changes in a way the flags above do not show. */
const BUILD_RECIPE = 'isystem-rpath-1'

export type BeginString = 'FIX.4.4' | 'FIX.4.2'

export interface QuickfixInstall {
  /** Debian version of libquickfix17, e.g. 1.15.1+dfsg-4+b1. */
  version: string
  cacheDir: string
  /** Where the three .debs were unpacked (like `dpkg -x`, without the HTML docs). */
  root: string
  debs: string[]
  includeDir: string
  libDir: string
  /** Linker argument for the library: -lquickfix, or -l:libquickfix.so.N when the dev symlink is absent. */
  linkArg: string
  dataDictionaries: Record<BeginString, string>
  /** Where the dictionaries came from (they are not in the binary packages). */
  dictionarySource: string
  /** QuickFIX's example acceptors, ready to run with `env`. */
  examples: { executor: string; ordermatch: string }
  /** 'prebuilt': Debian's own binaries from libquickfix-doc; 'compiled': built here from the shipped sources. */
  exampleOrigin: 'prebuilt' | 'compiled'
  /** Environment additions needed to run QuickFIX binaries (LD_LIBRARY_PATH). */
  env: { LD_LIBRARY_PATH: string }
  /** Time spent in this process by the steps that were not cached, in ms. */
  timings: Record<string, number>
}

export type QuickfixAvailability = QuickfixInstall | { skip: string }

export function isSkip (x: QuickfixAvailability): x is { skip: string } {
  return 'skip' in x
}

/** Cache dir shared by all runs on this machine; override with TE_QUICKFIX_CACHE. */
export function quickfixCacheDir (): string {
  return process.env.TE_QUICKFIX_CACHE ?? path.join(os.tmpdir(), 'te-gateway-quickfix')
}

// ---------------------------------------------------------------- processes

interface RunResult {
  code: number | null
  stdout: string
  stderr: string
  error?: string
}

function run (
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        timeout: opts.timeoutMs ?? 300_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8'
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0
        resolve({ code, stdout, stderr, ...(err && code === null ? { error: err.message } : {}) })
      }
    )
  })
}

function tail (s: string, lines = 8): string {
  return s.trim().split('\n').slice(-lines).join('\n')
}

function onPath (cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, cmd))) return true
  }
  return false
}

function sha (...parts: (string | Buffer)[]): string {
  const h = createHash('sha256')
  for (const p of parts) h.update(p).update('\0')
  return h.digest('hex').slice(0, 16)
}

async function findFiles (dir: string, test: (name: string) => boolean): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort()
}

const children = new Set<ChildProcess>()
let exitHookInstalled = false
/** A crashed test must not leave QuickFIX acceptors listening behind it. */
function track (child: ChildProcess): void {
  children.add(child)
  child.once('exit', () => children.delete(child))
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => {
      for (const c of children) c.kill('SIGKILL')
    })
  }
}

// ---------------------------------------------------------------- cache lock

/**
 * Serialises cache writes between vitest workers and parallel runs by other
 * engineers on the same machine: mkdir is atomic; a lock whose owner pid is
 * gone is broken.
 */
async function withLock<T> (cacheDir: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(cacheDir, '.lock')
  const deadline = Date.now() + 15 * 60_000
  for (;;) {
    try {
      await fs.mkdir(lock)
      await fs.writeFile(path.join(lock, 'pid'), String(process.pid))
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const owner = Number(await fs.readFile(path.join(lock, 'pid'), 'utf8').catch(() => 'NaN'))
      const age = Date.now() - ((await fs.stat(lock).catch(() => null))?.mtimeMs ?? Date.now())
      let alive = true
      if (age > 10 * 60_000) {
        // Longer than any download + compile takes: a recycled pid, not a live owner.
        alive = false
      } else if (Number.isInteger(owner)) {
        try {
          process.kill(owner, 0)
        } catch {
          alive = false
        }
      } else {
        // pid not written yet, or never will be: give a new lock a moment.
        alive = age < 30_000
      }
      if (!alive) {
        await fs.rm(lock, { recursive: true, force: true })
        continue
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for QuickFIX cache lock ${lock}`)
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  try {
    return await fn()
  } finally {
    await fs.rm(lock, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------- install

let installPromise: Promise<QuickfixAvailability> | undefined

/**
 * Downloads (once per machine), unpacks and prepares QuickFIX. Memoised per
 * process; safe to call from several vitest workers at once.
 */
export function ensureQuickfix (): Promise<QuickfixAvailability> {
  installPromise ??= prepare()
  return installPromise
}

async function prepare (): Promise<QuickfixAvailability> {
  if (process.platform !== 'linux') return { skip: `QuickFIX .debs need Linux (this is ${process.platform})` }
  for (const tool of ['apt-get', 'dpkg-deb', 'tar']) {
    if (!onPath(tool)) return { skip: `QuickFIX .debs cannot be had: '${tool}' is not on PATH (not a Debian-like system)` }
  }
  const cacheDir = quickfixCacheDir()
  await fs.mkdir(cacheDir, { recursive: true })
  return withLock(cacheDir, () => prepareLocked(cacheDir))
}

async function timed<T> (timings: Record<string, number>, key: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now()
  try {
    return await fn()
  } finally {
    timings[key] = Math.round(performance.now() - t0)
  }
}

async function prepareLocked (cacheDir: string): Promise<QuickfixAvailability> {
  const timings: Record<string, number> = {}
  const debDir = path.join(cacheDir, 'debs')
  const debs = await timed(timings, 'download', () => downloadDebs(debDir))
  if (typeof debs === 'string') return { skip: debs }

  const version = (debs[0] ? await debField(debs[0], 'Version') : '') || 'unknown'
  const root = path.join(cacheDir, `root-${sha(...debs.map((d) => path.basename(d)))}`)
  if (!existsSync(root)) {
    await timed(timings, 'extract', async () => {
      const tmp = `${root}.tmp-${process.pid}`
      await fs.rm(tmp, { recursive: true, force: true })
      await fs.mkdir(tmp, { recursive: true })
      for (const deb of debs) await extractDeb(deb, tmp)
      await fs.rename(tmp, root)
    })
  }

  const includeDir = path.join(root, 'usr', 'include')
  if (!existsSync(path.join(includeDir, 'quickfix', 'Application.h'))) {
    throw new Error(`libquickfix-dev unpacked to ${root} but has no quickfix/Application.h`)
  }
  const libs = await findFiles(path.join(root, 'usr', 'lib'), (n) => /^libquickfix\.so(\.\d+)*$/.test(n))
  const versioned = libs.filter((l) => /\.so\.\d+$/.test(l))
  const soname = versioned[0]
  if (!soname) throw new Error(`no libquickfix.so.N found under ${root}/usr/lib`)
  const libDir = path.dirname(soname)
  const linkArg = existsSync(path.join(libDir, 'libquickfix.so')) ? '-lquickfix' : `-l:${path.basename(soname)}`
  const env = { LD_LIBRARY_PATH: [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') }

  const dicts = await timed(timings, 'dictionaries', () => findDictionaries(cacheDir, root, debs))
  if (typeof dicts === 'string') return { skip: dicts }

  const partial = { version, cacheDir, root, debs, includeDir, libDir, linkArg, env, timings }
  const examples = await timed(timings, 'examples', () => prepareExamples(partial))

  return {
    ...partial,
    dataDictionaries: dicts.files,
    dictionarySource: dicts.source,
    examples: examples.paths,
    exampleOrigin: examples.origin
  }
}

/**
 * `dpkg-deb -x` minus libquickfix-doc's 51 MB of HTML API docs, which no test
 * reads: dpkg-deb --fsys-tarfile | tar -x --exclude.
 */
async function extractDeb (deb: string, dest: string): Promise<void> {
  const dpkg = spawn('dpkg-deb', ['--fsys-tarfile', deb], { stdio: ['ignore', 'pipe', 'pipe'] })
  const tar = spawn('tar', ['-x', '-C', dest, '--exclude=./usr/share/doc/*/html'], { stdio: ['pipe', 'ignore', 'pipe'] })
  dpkg.stdout.pipe(tar.stdin)
  let err = ''
  dpkg.stderr.on('data', (b: Buffer) => (err += b.toString()))
  tar.stderr.on('data', (b: Buffer) => (err += b.toString()))
  const exit = (c: ChildProcess): Promise<number | null> =>
    new Promise((resolve) => {
      c.once('error', () => resolve(null))
      c.once('exit', (code) => resolve(code))
    })
  const [a, b] = await Promise.all([exit(dpkg), exit(tar)])
  if (a !== 0 || b !== 0) throw new Error(`unpacking ${deb} failed (dpkg-deb ${a}, tar ${b}): ${tail(err)}`)
}

async function debField (deb: string, field: string): Promise<string> {
  const r = await run('dpkg-deb', ['-f', deb, field])
  return r.stdout.trim()
}

/** Returns the .deb paths, or a skip reason. TE_QUICKFIX_DEBS may point at a dir of pre-fetched .debs. */
async function downloadDebs (debDir: string): Promise<string[] | string> {
  const have = async (dir: string): Promise<string[] | undefined> => {
    const names = await fs.readdir(dir).catch(() => [] as string[])
    const found = PACKAGES.map((p) => names.find((n) => n.startsWith(`${p}_`) && n.endsWith('.deb')))
    return found.every((n) => n !== undefined) ? found.map((n) => path.join(dir, n as string)) : undefined
  }
  const preset = process.env.TE_QUICKFIX_DEBS
  if (preset) return (await have(preset)) ?? `QuickFIX .debs cannot be had: TE_QUICKFIX_DEBS=${preset} does not hold ${PACKAGES.join(', ')}`
  const cached = await have(debDir)
  if (cached) return cached

  const tmp = path.join(debDir, `.tmp-${process.pid}`)
  await fs.rm(tmp, { recursive: true, force: true })
  await fs.mkdir(tmp, { recursive: true })
  let r = await run('apt-get', ['download', ...PACKAGES], { cwd: tmp })
  if (r.code !== 0) {
    // Fresh images often have empty package lists: refresh once and retry.
    const u = await run('apt-get', ['update'])
    r = await run('apt-get', ['download', ...PACKAGES], { cwd: tmp })
    if (r.code !== 0) {
      await fs.rm(tmp, { recursive: true, force: true })
      return (
        `QuickFIX .debs cannot be had: 'apt-get download ${PACKAGES.join(' ')}' failed ` +
        `(also after 'apt-get update', which exited ${u.code}): ${tail(r.stderr || r.error || '', 4)}`
      )
    }
  }
  for (const n of await fs.readdir(tmp)) {
    if (n.endsWith('.deb')) await fs.rename(path.join(tmp, n), path.join(debDir, n))
  }
  await fs.rm(tmp, { recursive: true, force: true })
  return (await have(debDir)) ?? `apt-get download succeeded but ${debDir} lacks one of ${PACKAGES.join(', ')}`
}

interface Dictionaries {
  files: Record<BeginString, string>
  source: string
}

async function findDictionaries (cacheDir: string, root: string, debs: string[]): Promise<Dictionaries | string> {
  const pick = async (dir: string): Promise<Record<BeginString, string> | undefined> => {
    const xml = await findFiles(dir, (n) => n === 'FIX44.xml' || n === 'FIX42.xml')
    const f44 = xml.find((f) => f.endsWith('FIX44.xml'))
    const f42 = xml.find((f) => f.endsWith('FIX42.xml'))
    return f44 && f42 ? { 'FIX.4.4': f44, 'FIX.4.2': f42 } : undefined
  }
  // 1. A future package version may ship them.
  const inDebs = await pick(root)
  if (inDebs) return { files: inDebs, source: 'binary packages' }

  // 2. Debian's source package of the same version (1.15.1 keeps them in spec/).
  const docDeb = debs.find((d) => path.basename(d).startsWith('libquickfix-doc_')) ?? debs[0]
  const srcField = docDeb ? await debField(docDeb, 'Source') : ''
  const srcVersion =
    /\((.+)\)/.exec(srcField)?.[1] ?? (docDeb ? await debField(docDeb, 'Version') : '')
  const srcName = srcField.split(' ')[0] || 'quickfix'
  const specDir = path.join(cacheDir, `spec-${sha(srcName, srcVersion)}`)
  const cached = await pick(specDir)
  if (cached) return { files: cached, source: `Debian source package ${srcName} ${srcVersion} (spec/)` }
  const fromSource = await dictionariesFromSourcePackage(cacheDir, srcName, srcVersion, specDir)
  if (typeof fromSource !== 'string') {
    const files = await pick(specDir)
    if (files) return { files, source: `Debian source package ${srcName} ${srcVersion} (spec/)` }
  }

  // 3. jspurefix ships QuickFIX-format dictionaries (a dependency of ours anyway);
  // less independent, hence last.
  const jspf = path.resolve(HERE, '..', '..', 'node_modules', 'jspurefix', 'data')
  const j = await pick(jspf)
  if (j) return { files: j, source: `jspurefix's data/ (Debian source package unavailable: ${fromSource})` }
  return `no FIX44.xml/FIX42.xml data dictionary: not in the .debs, and the Debian source package failed: ${fromSource}`
}

/**
 * `apt-get source --download-only` against a private apt state: deb-src
 * entries derived from the machine's own deb entries (same mirrors), lists and
 * cache under cacheDir, so the system's apt configuration is not touched.
 */
async function dictionariesFromSourcePackage (
  cacheDir: string,
  name: string,
  version: string,
  specDir: string
): Promise<true | string> {
  const spec = version ? `${name}=${version}` : name
  return fromSourcePackage(cacheDir, spec, specDir, ['--strip-components=2', '--wildcards', '*/spec/FIX4*.xml'])
}

/**
 * Downloads Debian's source package `spec` (name or name=version) against a private apt state
 * and extracts `tarArgs` members of its upstream tarball into `destDir`; true, or why not.
 */
async function fromSourcePackage (cacheDir: string, spec: string, destDir: string, tarArgs: readonly string[]): Promise<true | string> {
  const aptDir = path.join(cacheDir, 'apt-src')
  const parts = path.join(aptDir, 'sources.list.d')
  await fs.mkdir(path.join(aptDir, 'lists', 'partial'), { recursive: true })
  await fs.mkdir(path.join(aptDir, 'cache', 'archives', 'partial'), { recursive: true })
  await fs.mkdir(parts, { recursive: true })
  const { list, sources } = await derivedDebSrc()
  if (!list && !sources) return 'no deb entries in /etc/apt to derive deb-src from'
  await fs.writeFile(path.join(parts, 'te-gateway-src.list'), list)
  await fs.writeFile(path.join(parts, 'te-gateway-src.sources'), sources)
  const aptOpts = [
    '-o', `Dir::Etc::SourceList=${path.join(aptDir, 'none.list')}`,
    '-o', `Dir::Etc::SourceParts=${parts}`,
    '-o', `Dir::State::Lists=${path.join(aptDir, 'lists')}`,
    '-o', `Dir::Cache=${path.join(aptDir, 'cache')}`
  ]
  await fs.writeFile(path.join(aptDir, 'none.list'), '')
  // Partial failures (a third-party repo without sources) are fine as long as Debian's answers.
  await run('apt-get', [...aptOpts, 'update'])
  const dl = path.join(aptDir, 'dl')
  await fs.rm(dl, { recursive: true, force: true })
  await fs.mkdir(dl, { recursive: true })
  const r = await run('apt-get', [...aptOpts, 'source', '--download-only', spec], { cwd: dl })
  if (r.code !== 0) return `apt-get source --download-only ${spec}: ${tail(r.stderr || r.error || '', 3)}`
  const tarball = (await fs.readdir(dl)).find((n) => /\.orig\.tar\.\w+$/.test(n))
  if (!tarball) return `apt-get source ${spec} gave no .orig.tar`
  const tmp = `${destDir}.tmp-${process.pid}`
  await fs.rm(tmp, { recursive: true, force: true })
  await fs.mkdir(tmp, { recursive: true })
  const t = await run('tar', ['-xf', path.join(dl, tarball), '-C', tmp, ...tarArgs])
  if (t.code !== 0) return `tar could not extract ${tarArgs.join(' ')} from ${tarball}: ${tail(t.stderr, 3)}`
  await fs.writeFile(path.join(tmp, 'SOURCE'), tarball)
  await fs.rm(destDir, { recursive: true, force: true })
  await fs.rename(tmp, destDir)
  // The 20 MB source index is only needed this once: the extracted dir is the cache.
  await fs.rm(aptDir, { recursive: true, force: true })
  return true
}

/** QuickFIX's server acceptance scripts and its own dictionaries, from Debian's source package. */
export interface AcceptanceSources {
  /** test/definitions of the upstream tarball: fields.fmt, server/fix42, server/fix44, server/fix50sp2, ... */
  definitions: string
  /** spec/ of the upstream tarball: FIX42.xml, FIX44.xml, FIXT11.xml, FIX50SP2.xml. */
  spec: string
  /** The upstream tarball's name, e.g. quickfix_1.15.1+dfsg.orig.tar.gz. */
  tarball: string
}

let acceptancePromise: Promise<AcceptanceSources | { skip: string }> | undefined

/**
 * Debian's source package `quickfix` (1.15.1 in bookworm), its test/definitions and spec/
 * extracted once per machine into the cache; a skip only when apt cannot fetch it.
 */
export function ensureAcceptanceSources (): Promise<AcceptanceSources | { skip: string }> {
  acceptancePromise ??= (async () => {
    if (process.platform !== 'linux') return { skip: `Debian's quickfix source package needs Linux (this is ${process.platform})` }
    for (const tool of ['apt-get', 'tar']) {
      if (!onPath(tool)) return { skip: `Debian's quickfix source package cannot be had: '${tool}' is not on PATH` }
    }
    const cacheDir = quickfixCacheDir()
    await fs.mkdir(cacheDir, { recursive: true })
    const dest = path.join(cacheDir, 'quickfix-source-acceptance')
    const have = async (): Promise<AcceptanceSources | undefined> => {
      const definitions = path.join(dest, 'test', 'definitions')
      if (!existsSync(path.join(definitions, 'fields.fmt')) || !existsSync(path.join(definitions, 'server', 'fix44'))) return undefined
      return { definitions, spec: path.join(dest, 'spec'), tarball: (await fs.readFile(path.join(dest, 'SOURCE'), 'utf8')).trim() }
    }
    const cached = await have()
    if (cached) return cached
    return withLock(cacheDir, async () => {
      const again = await have()
      if (again) return again
      const done = await fromSourcePackage(cacheDir, 'quickfix', dest, ['--strip-components=1', '--wildcards', '*/test/definitions/*', '*/spec/*.xml'])
      if (done !== true) return { skip: `Debian's quickfix source package cannot be had: ${done}` }
      return (await have()) ?? { skip: `the quickfix source package has no test/definitions/server/fix44` }
    })
  })()
  return acceptancePromise
}

async function derivedDebSrc (): Promise<{ list: string; sources: string }> {
  const list: string[] = []
  const stanzas: string[] = []
  const files = ['/etc/apt/sources.list']
  const dir = '/etc/apt/sources.list.d'
  for (const n of await fs.readdir(dir).catch(() => [] as string[])) files.push(path.join(dir, n))
  for (const f of files) {
    const text = await fs.readFile(f, 'utf8').catch(() => '')
    if (f.endsWith('.list')) {
      for (const line of text.split('\n')) {
        if (/^\s*deb\s/.test(line)) list.push(line.replace(/^\s*deb\s/, 'deb-src '))
      }
    } else if (f.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const lines = stanza.split('\n').filter((l) => !l.trimStart().startsWith('#'))
        const types = lines.find((l) => /^Types:/i.test(l))
        if (!types || !/\bdeb\b/.test(types)) continue
        if (lines.some((l) => /^Enabled:\s*no/i.test(l))) continue
        stanzas.push(lines.map((l) => (/^Types:/i.test(l) ? 'Types: deb-src' : l)).join('\n'))
      }
    }
  }
  return { list: list.join('\n') + (list.length ? '\n' : ''), sources: stanzas.join('\n\n') + (stanzas.length ? '\n' : '') }
}

// ---------------------------------------------------------------- compiling

type PartialInstall = Pick<QuickfixInstall, 'version' | 'cacheDir' | 'root' | 'includeDir' | 'libDir' | 'linkArg' | 'env' | 'timings'>

/**
 * Compiles sources against the unpacked QuickFIX into cacheDir/bin, keyed by
 * a hash of every input (sources, headers beside them, flags, library
 * version), so a second run costs nothing.
 */
async function compileCached (
  qf: PartialInstall,
  name: string,
  sources: { file: string; content: Buffer }[],
  headers: { file: string; content: Buffer }[],
  includeDirs: string[]
): Promise<string> {
  const binDir = path.join(qf.cacheDir, 'bin')
  const key = sha(
    BUILD_RECIPE,
    qf.version,
    QUICKFIX_CXXFLAGS.join(' '),
    ...[...sources, ...headers].flatMap((s) => [path.basename(s.file), s.content])
  )
  const out = path.join(binDir, `${name}-${key}`)
  if (existsSync(out)) return out
  if (!onPath('g++')) throw new Error(`cannot build ${name}: g++ is not on PATH (apt-get install g++)`)
  await fs.mkdir(binDir, { recursive: true })
  // Sources are staged next to an empty config.h, which QuickFIX's examples
  // #include (autoconf output that the doc package does not ship).
  const work = await fs.mkdtemp(path.join(qf.cacheDir, `build-${name}-`))
  try {
    await fs.writeFile(path.join(work, 'config.h'), '')
    const staged: string[] = []
    for (const f of [...sources, ...headers]) {
      const dest = path.join(work, path.basename(f.file))
      await fs.writeFile(dest, f.content)
      if (sources.includes(f)) staged.push(dest)
    }
    const tmpOut = `${out}.tmp-${process.pid}`
    const args = [
      ...QUICKFIX_CXXFLAGS,
      `-I${work}`,
      ...includeDirs.map((d) => `-I${d}`),
      // -isystem: QuickFIX's own headers warn under -Wall; only our code should.
      `-isystem${qf.includeDir}`,
      `-isystem${path.join(qf.includeDir, 'quickfix')}`,
      ...staged,
      '-o',
      tmpOut,
      `-L${qf.libDir}`,
      `-Wl,-rpath,${qf.libDir}`,
      qf.linkArg,
      '-lpthread'
    ]
    const t0 = performance.now()
    const r = await run('g++', args, { cwd: work, timeoutMs: 600_000 })
    qf.timings[`compile:${name}`] = Math.round(performance.now() - t0)
    if (r.code !== 0) {
      throw new Error(`g++ failed for ${name} (exit ${r.code}):\n${r.stderr.slice(0, 4000)}${r.error ?? ''}`)
    }
    await fs.rename(tmpOut, out)
    // Older builds of the same program are dead weight in a cache reused for months.
    for (const n of await fs.readdir(binDir)) {
      if (n.startsWith(`${name}-`) && /^[0-9a-f]{16}$/.test(n.slice(name.length + 1))) {
        if (path.join(binDir, n) !== out) await fs.rm(path.join(binDir, n), { force: true })
      }
    }
    return out
  } finally {
    await fs.rm(work, { recursive: true, force: true })
  }
}

/** Reads a doc-package file that dh_compress may have gzipped (`x.cpp` or `x.cpp.gz`). */
async function readMaybeGz (file: string): Promise<{ file: string; content: Buffer }> {
  if (file.endsWith('.gz')) return { file: file.slice(0, -3), content: gunzipSync(await fs.readFile(file)) }
  return { file, content: await fs.readFile(file) }
}

async function exampleSources (dir: string): Promise<{ sources: { file: string; content: Buffer }[]; headers: { file: string; content: Buffer }[] }> {
  const names = await fs.readdir(dir)
  const sources = await Promise.all(names.filter((n) => /\.cpp(\.gz)?$/.test(n)).map((n) => readMaybeGz(path.join(dir, n))))
  const headers = await Promise.all(names.filter((n) => /\.h(\.gz)?$/.test(n)).map((n) => readMaybeGz(path.join(dir, n))))
  return { sources, headers }
}

const EXAMPLES = {
  executor: path.join('executor', 'C++'),
  ordermatch: 'ordermatch'
} as const

/**
 * Debian's prebuilt example binaries are used when they run here (a usage
 * probe); otherwise, or with TE_QUICKFIX_EXAMPLES=compile, they are built from
 * the sources the doc package ships.
 */
async function prepareExamples (qf: PartialInstall): Promise<{ paths: QuickfixInstall['examples']; origin: QuickfixInstall['exampleOrigin'] }> {
  const examplesRoot = path.join(qf.root, 'usr', 'share', 'doc', 'libquickfix-doc', 'examples')
  const forceCompile = process.env.TE_QUICKFIX_EXAMPLES === 'compile'
  const binDir = path.join(qf.cacheDir, 'bin')
  await fs.mkdir(binDir, { recursive: true })

  if (!forceCompile) {
    const prebuilt: Partial<Record<keyof typeof EXAMPLES, string>> = {}
    for (const [name, rel] of Object.entries(EXAMPLES) as [keyof typeof EXAMPLES, string][]) {
      const gz = path.join(examplesRoot, rel, '.libs', `${name}.gz`)
      const plain = path.join(examplesRoot, rel, '.libs', name)
      const src = existsSync(plain) ? plain : existsSync(gz) ? gz : undefined
      if (!src) break
      const out = path.join(binDir, `${name}-prebuilt-${sha(qf.version, src)}`)
      if (!existsSync(out)) {
        const bytes = src.endsWith('.gz') ? gunzipSync(await fs.readFile(src)) : await fs.readFile(src)
        await fs.writeFile(`${out}.tmp`, bytes, { mode: 0o755 })
        await fs.rename(`${out}.tmp`, out)
      }
      // Without arguments both examples print "usage: ..." and exit 0.
      const probe = await run(out, [], { env: { ...process.env, ...qf.env }, timeoutMs: 10_000 })
      if (probe.code !== 0 || !probe.stdout.includes('usage')) break
      prebuilt[name] = out
    }
    if (prebuilt.executor && prebuilt.ordermatch) {
      return { paths: { executor: prebuilt.executor, ordermatch: prebuilt.ordermatch }, origin: 'prebuilt' }
    }
  }
  const compiled: Partial<Record<keyof typeof EXAMPLES, string>> = {}
  for (const [name, rel] of Object.entries(EXAMPLES) as [keyof typeof EXAMPLES, string][]) {
    const { sources, headers } = await exampleSources(path.join(examplesRoot, rel))
    compiled[name] = await compileCached(qf, name, sources, headers, [])
  }
  return { paths: { executor: compiled.executor as string, ordermatch: compiled.ordermatch as string }, origin: 'compiled' }
}

/**
 * Compiles one of our C++ programs (a .cpp in test/quickfix/, or any path)
 * against the unpacked QuickFIX; headers (*.h) beside it are included in the
 * cache key and on the include path. Returns the binary's path. Throws when
 * QuickFIX is unavailable — call ensureQuickfix() first to decide on skipping.
 */
export async function buildCppProgram (name: string, source: string): Promise<string> {
  const qf = await ensureQuickfix()
  if (isSkip(qf)) throw new Error(`QuickFIX unavailable: ${qf.skip}`)
  const file = path.isAbsolute(source) ? source : path.join(HERE, source)
  const dir = path.dirname(file)
  const headers = await Promise.all(
    (await fs.readdir(dir)).filter((n) => /\.(h|hpp)$/.test(n)).map(async (n) => ({ file: path.join(dir, n), content: await fs.readFile(path.join(dir, n)) }))
  )
  const content = await fs.readFile(file)
  return withLock(qf.cacheDir, () => compileCached(qf, name, [{ file, content }], headers, [dir]))
}

// ---------------------------------------------------------------- settings

type SettingsSection = Record<string, string | number | boolean | undefined>

function settingsText (defaults: SettingsSection, session: SettingsSection): string {
  const fmt = (s: SettingsSection): string =>
    Object.entries(s)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'boolean' ? (v ? 'Y' : 'N') : String(v)}`)
      .join('\n')
  return `[DEFAULT]\n${fmt(defaults)}\n\n[SESSION]\n${fmt(session)}\n`
}

export interface InitiatorSettings {
  /** Where settings, store and log go; created if missing. */
  dir: string
  host?: string
  port: number
  senderCompID: string
  targetCompID: string
  beginString?: BeginString
  heartbeat?: number
  /** Data dictionary path; defaults to the QuickFIX one for beginString. UseDataDictionary is always Y. */
  dataDictionary?: string
  resetOnLogon?: boolean
  /** Extra QuickFIX settings for the [SESSION] section, e.g. { ValidateUserDefinedFields: 'N' }. */
  extra?: SettingsSection
}

/** Writes a QuickFIX initiator settings file (for our C++ programs) and returns its path. */
export async function writeInitiatorSettings (qf: QuickfixInstall, s: InitiatorSettings): Promise<string> {
  const beginString = s.beginString ?? 'FIX.4.4'
  await fs.mkdir(s.dir, { recursive: true })
  const file = path.join(s.dir, 'initiator.cfg')
  await fs.writeFile(
    file,
    settingsText(
      {
        ConnectionType: 'initiator',
        SocketConnectHost: s.host ?? '127.0.0.1',
        SocketConnectPort: s.port,
        ReconnectInterval: 1,
        StartTime: '00:00:00',
        EndTime: '00:00:00',
        FileStorePath: path.join(s.dir, 'store'),
        FileLogPath: path.join(s.dir, 'log'),
        UseDataDictionary: true,
        DataDictionary: s.dataDictionary ?? qf.dataDictionaries[beginString],
        ResetOnLogon: s.resetOnLogon ?? false
      },
      {
        BeginString: beginString,
        SenderCompID: s.senderCompID,
        TargetCompID: s.targetCompID,
        HeartBtInt: s.heartbeat ?? 2,
        ...s.extra
      }
    )
  )
  return file
}

// ---------------------------------------------------------------- acceptors

/** One entry of a QuickFIX ScreenLog (the examples log to stdout, not to FileLogPath). */
export interface FixLogEntry {
  time: string
  /** e.g. "FIX.4.4:EXEC->CLIENT", or "GLOBAL". */
  session: string
  kind: 'incoming' | 'outgoing' | 'event'
  /** Raw message (SOH-delimited) or event text. */
  text: string
  /** For messages: tag -> value, first occurrence. */
  fields: Record<string, string>
  msgType?: string
  seq?: number
}

export function parseScreenLog (log: string): FixLogEntry[] {
  const out: FixLogEntry[] = []
  const re = /^<([^,>]+), ([^,]+), (incoming|outgoing|event)>\n {2}\((.*)\)$/gm
  for (const m of log.matchAll(re)) {
    const [, time = '', session = '', kind = 'event', text = ''] = m
    const fields: Record<string, string> = {}
    if (kind !== 'event') {
      for (const pair of text.split('\x01')) {
        const eq = pair.indexOf('=')
        if (eq > 0) {
          const tag = pair.slice(0, eq)
          if (!(tag in fields)) fields[tag] = pair.slice(eq + 1)
        }
      }
    }
    const entry: FixLogEntry = { time, session, kind: kind as FixLogEntry['kind'], text, fields }
    if (fields['35'] !== undefined) entry.msgType = fields['35']
    if (fields['34'] !== undefined) entry.seq = Number(fields['34'])
    out.push(entry)
  }
  return out
}

export interface AcceptorOptions {
  /** 0 or omitted: a free port on 127.0.0.1 is chosen. */
  port?: number
  /** The acceptor's own CompID (its SenderCompID). */
  senderCompID: string
  targetCompID: string
  beginString: BeginString
  /** FileStorePath; reuse it across restarts for sequence continuity. */
  storeDir: string
  /** HeartBtInt; acceptors take the initiator's, kept for symmetry and logs. */
  heartbeat?: number
  resetOnLogon?: boolean
  /** Extra [SESSION] settings. */
  extra?: SettingsSection
  /** ms to wait for the port; default 15 s. */
  startTimeoutMs?: number
}

export interface RunningAcceptor {
  port: number
  pid: number
  settingsFile: string
  /** Everything the process printed: QuickFIX's ScreenLog (stdout) plus stderr. */
  logs (): string
  /** Parsed FIX messages and events from logs(). */
  messages (): FixLogEntry[]
  /** Resolves when an entry matching pred has been logged. */
  waitFor (pred: (e: FixLogEntry) => boolean, timeoutMs?: number): Promise<FixLogEntry>
  /** SIGTERM, then SIGKILL after graceMs (default 2 s); resolves when the process is gone. */
  stop (graceMs?: number): Promise<void>
}

export function getFreePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

function canConnect (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port })
    sock.once('connect', () => {
      sock.destroy()
      resolve(true)
    })
    sock.once('error', () => resolve(false))
  })
}

async function startAcceptor (kind: 'executor' | 'ordermatch', o: AcceptorOptions): Promise<RunningAcceptor> {
  const qf = await ensureQuickfix()
  if (isSkip(qf)) throw new Error(`QuickFIX unavailable: ${qf.skip}`)
  const port = o.port || (await getFreePort())
  await fs.mkdir(o.storeDir, { recursive: true })
  const settingsFile = path.join(o.storeDir, `${kind}.cfg`)
  await fs.writeFile(
    settingsFile,
    settingsText(
      {
        ConnectionType: 'acceptor',
        SocketAcceptPort: port,
        SocketReuseAddress: true,
        StartTime: '00:00:00',
        EndTime: '00:00:00',
        FileStorePath: o.storeDir,
        // Set for completeness; the examples use ScreenLogFactory, so logs() reads stdout.
        FileLogPath: path.join(o.storeDir, 'log'),
        UseDataDictionary: true,
        DataDictionary: qf.dataDictionaries[o.beginString],
        ResetOnLogon: o.resetOnLogon ?? false
      },
      {
        BeginString: o.beginString,
        SenderCompID: o.senderCompID,
        TargetCompID: o.targetCompID,
        HeartBtInt: o.heartbeat ?? 2,
        ...o.extra
      }
    )
  )
  const child = spawn(qf.examples[kind], [settingsFile], {
    cwd: o.storeDir,
    env: { ...process.env, ...qf.env },
    // ordermatch reads commands from stdin and spins on EOF, so stdin stays an open pipe.
    stdio: ['pipe', 'pipe', 'pipe']
  })
  track(child)
  let output = ''
  const listeners = new Set<() => void>()
  const onData = (b: Buffer): void => {
    output += b.toString('utf8')
    for (const l of listeners) l()
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined
  const exitPromise = new Promise<void>((resolve) => {
    const gone = (code: number | null, signal: NodeJS.Signals | null): void => {
      exited ??= { code, signal }
      for (const l of listeners) l()
      resolve()
    }
    child.once('exit', gone)
    child.once('error', (e) => {
      output += `\nspawn error: ${e.message}\n`
      gone(null, null)
    })
  })

  const stop = async (graceMs = 2000): Promise<void> => {
    if (exited) return
    if (kind === 'ordermatch') child.stdin.write('#quit\n')
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exitPromise
    clearTimeout(timer)
  }

  const deadline = Date.now() + (o.startTimeoutMs ?? 15_000)
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`${kind} exited (${JSON.stringify(exited)}) before listening on ${port}:\n${tail(output, 20)}`)
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`${kind} did not accept on 127.0.0.1:${port} within the timeout:\n${tail(output, 20)}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }

  const messages = (): FixLogEntry[] => parseScreenLog(output)
  const waitFor = (pred: (e: FixLogEntry) => boolean, timeoutMs = 10_000): Promise<FixLogEntry> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = messages().find(pred)
        if (hit) done(() => resolve(hit))
        else if (exited) done(() => reject(new Error(`${kind} exited while waiting:\n${tail(output, 20)}`)))
      }
      const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${kind} log entry:\n${tail(output, 20)}`))), timeoutMs)
      const done = (f: () => void): void => {
        clearTimeout(timer)
        listeners.delete(check)
        f()
      }
      listeners.add(check)
      check()
    })

  return { port, pid: child.pid ?? -1, settingsFile, logs: () => output, messages, waitFor, stop }
}

/** QuickFIX's `executor` example: fills every limit NewOrderSingle in full at its price. */
export function startExecutor (o: AcceptorOptions): Promise<RunningAcceptor> {
  return startAcceptor('executor', o)
}

/** QuickFIX's `ordermatch` example: a FIX 4.2 order book matching engine (use beginString FIX.4.2). */
export function startOrdermatch (o: AcceptorOptions): Promise<RunningAcceptor> {
  return startAcceptor('ordermatch', o)
}

/** Reads a FileStore `.seqnums` file: "SSSSSSSSSS : TTTTTTTTTT" = next sender, next target. */
export async function readSeqNums (storeDir: string, beginString: BeginString, senderCompID: string, targetCompID: string): Promise<{ nextSender: number; nextTarget: number }> {
  const file = path.join(storeDir, `${beginString}-${senderCompID}-${targetCompID}.seqnums`)
  const m = /(\d+)\s*:\s*(\d+)/.exec(await fs.readFile(file, 'utf8'))
  if (!m) throw new Error(`unexpected content in ${file}`)
  return { nextSender: Number(m[1]), nextTarget: Number(m[2]) }
}

// ---------------------------------------------------------------- our programs

export interface FixJsonGroup {
  fields: Record<string, string>
  groups?: Record<string, FixJsonGroup[]>
}

/** A line printed by our C++ programs for one message (see qf-common.h). */
export interface FixJsonMessage extends FixJsonGroup {
  dir: 'in' | 'out'
  msgType: string
  seq: number
}

export interface ProgramRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Every stdout line that parsed as JSON. */
  lines: Record<string, unknown>[]
  /** Message lines (received, and rejects we sent). */
  messages: FixJsonMessage[]
  /** {"event":"logon",...} / {"event":"logout",...} lines. */
  events: Record<string, unknown>[]
  summary?: Record<string, unknown>
}

/**
 * Runs one of our JSON-line programs to completion (killing it after
 * timeoutMs) and parses its output. `onLine` sees each JSON line as it
 * arrives, e.g. to restart an acceptor once the first fills are in.
 */
export async function runJsonProgram (
  binary: string,
  args: readonly string[],
  opts: { timeoutMs?: number; onLine?: (line: Record<string, unknown>) => void } = {}
): Promise<ProgramRun> {
  const qf = await ensureQuickfix()
  const env = isSkip(qf) ? process.env : { ...process.env, ...qf.env }
  const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  track(child)
  let stdout = ''
  let stderr = ''
  let pending = ''
  const lines: Record<string, unknown>[] = []
  child.stdout.on('data', (b: Buffer) => {
    const s = b.toString('utf8')
    stdout += s
    pending += s
    let nl: number
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim()
      pending = pending.slice(nl + 1)
      if (!line.startsWith('{')) continue
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>
        lines.push(parsed)
        opts.onLine?.(parsed)
      } catch {
        // not JSON: left in stdout for the failure message
      }
    }
  })
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString('utf8')
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('exit', (c, s) => resolve([c, s]))
    child.once('error', (e) => {
      stderr += `spawn error: ${e.message}\n`
      resolve([null, null])
    })
  })
  clearTimeout(timer)
  const messages = lines.filter((l): l is FixJsonMessage & Record<string, unknown> => typeof l.msgType === 'string')
  const events = lines.filter((l) => typeof l.event === 'string')
  const summaryLine = lines.find((l) => typeof l.summary === 'object' && l.summary !== null)
  const run: ProgramRun = { code, signal, stdout, stderr, lines, messages, events }
  if (summaryLine) run.summary = summaryLine.summary as Record<string, unknown>
  return run
}

/** Test files compiled into test binaries: keep in sync with the .cpp files beside this module. */
export const PROGRAMS = {
  newOrderInitiator: path.join(HERE, 'new-order-initiator.cpp'),
  tradeCaptureInitiator: path.join(HERE, 'trade-capture-initiator.cpp')
} as const

