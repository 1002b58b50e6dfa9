/**
 * Test databases: the real PostgreSQL when DATABASE_URL is set (CI), otherwise embedded PGlite
 * in memory. Each call gets a schema of its own, so test files do not see each other's rows.
 */
import { randomBytes } from 'node:crypto'
import { openDatabase, type Database } from '../adapters/postgres/database.js'

export async function openTestDatabase (): Promise<Database> {
  const schema = `t_${randomBytes(6).toString('hex')}`
  const url = process.env.DATABASE_URL
  return openDatabase(url !== undefined && url !== '' ? { url, schema } : { dataDir: 'memory://', schema })
}

export async function dropTestDatabase (db: Database): Promise<void> {
  if (db.kind === 'postgres') await db.pool.query(`DROP SCHEMA ${db.schema} CASCADE`)
  await db.close()
}
