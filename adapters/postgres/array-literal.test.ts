import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { arrayLiteral } from './array-literal.js'
import type { Database } from './database.js'
import { dropTestDatabase, openTestDatabase } from '../../test/database.js'

let db: Database
beforeAll(async () => { db = await openTestDatabase() }, 60_000)
afterAll(async () => { await dropTestDatabase(db) })

describe('arrayLiteral', () => {
  it('round-trips awkward strings, NULL and numbers through PostgreSQL', async () => {
    const texts = ['', 'NULL', 'null', '"quoted"', 'back\\slash', '{braces}', 'a,b', ' spaced ', 'line\nbreak\ttab\r', 'ünïcødé ☀ 𝄞', '\\"', '{"json":"text","n":[1,2]}', null]
    const { rows } = await db.pool.query('SELECT $1::text[] AS t, $2::bigint[] AS n', [arrayLiteral(texts), arrayLiteral([1, -2, 9007199254740991, null])])
    expect(rows[0].t).toEqual(texts)
    expect(rows[0].n).toEqual(['1', '-2', '9007199254740991', null])
  })

  it('agrees with PostgreSQL on any generated strings', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.option(fc.oneof(fc.string({ unit: 'binary-ascii' }), fc.string({ unit: 'grapheme' })).filter((s) => !s.includes('\u0000')), { nil: null }), { maxLength: 8 }), async (texts) => {
      const { rows } = await db.pool.query('SELECT $1::text[] AS t', [arrayLiteral(texts)])
      expect(rows[0].t).toEqual(texts)
    }), { numRuns: 100 })
  })

  it('writes JSON texts as json[] elements PostgreSQL reads back unchanged', async () => {
    const docs = [JSON.stringify({ a: 'x"y', b: 'line\nbreak', c: '\\' }), JSON.stringify(['☀', null, 1.5])]
    const { rows } = await db.pool.query('SELECT x::text AS doc FROM unnest($1::json[]) AS x', [arrayLiteral(docs)])
    expect(rows.map((r) => r.doc)).toEqual(docs)
  })
})
