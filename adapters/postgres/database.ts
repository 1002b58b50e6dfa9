/**
 * The store of record: PostgreSQL through `pg`. With no DATABASE_URL, an embedded PostgreSQL
 * (PGlite) in a data directory runs the same SQL through the same `pg` Pool, so `npm start` needs
 * no server. Migrations (numbered SQL files in ./migrations) run at start, under an advisory lock.
 */
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { runner } from 'node-pg-migrate'

export interface DatabaseOptions {
  /** postgres://... ; unset means embedded PGlite in `dataDir`. */
  url?: string
  /** PGlite data directory (default ./data/pglite); `memory://` keeps nothing. */
  dataDir?: string
  /** A schema of its own (tests give each run one); created if missing. Default: public. */
  schema?: string
}

export interface Database {
  readonly pool: pg.Pool
  readonly kind: 'postgres' | 'pglite'
  readonly schema: string
  close: () => Promise<void>
}

// int8 (counts, sequence numbers) as bigint; numeric stays a string (exact decimals).
pg.types.setTypeParser(20, (value) => BigInt(value))

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url))

export async function openDatabase (options: DatabaseOptions = {}): Promise<Database> {
  const schema = options.schema ?? 'public'
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`)
  let db: Database
  if (options.url !== undefined && options.url !== '') {
    const pool = new pg.Pool({ connectionString: options.url, options: `-c search_path=${schema}`, max: 10 })
    db = { pool, kind: 'postgres', schema, close: () => pool.end() }
  } else {
    const { PGlite } = await import('@electric-sql/pglite')
    const { createPgConfig } = await import('@electric-sql/pglite/node-postgres')
    const dataDir = options.dataDir ?? './data/pglite'
    if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true })
    const lite = await PGlite.create(dataDir)
    const pool = new pg.Pool({ ...createPgConfig(lite), idleTimeoutMillis: 0 })
    db = { pool, kind: 'pglite', schema, close: async () => { await pool.end(); await lite.close() } }
    await pool.query(`SET search_path TO ${schema}`)
  }
  try {
    await migrate(db)
  } catch (error) {
    await db.close()
    throw error
  }
  return db
}

/** Applies the migrations not yet applied (node-pg-migrate; its table is pgmigrations). */
export async function migrate (db: Database): Promise<string[]> {
  const client = await db.pool.connect()
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${db.schema}`)
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS,
      direction: 'up',
      migrationsTable: 'pgmigrations',
      schema: db.schema,
      checkOrder: true,
      // Several processes may start at once (tests, replicas): wait for the lock rather than fail.
      advisoryLockMode: 'wait',
      log: () => {}
    })
    return applied.map((m) => m.name)
  } finally {
    client.release()
  }
}
