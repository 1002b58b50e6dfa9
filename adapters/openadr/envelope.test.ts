/**
 * OpenADR 2.0b on the wire, on real-peer data: every example message and every message of the
 * recorded openleadr session is read, named, and written back XSD-valid with the same tree; hostile
 * and malformed bodies are refused with the HTTP status to answer.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { XmlElement } from '../../schemas/tree.js'
import { OadrInputError, readOadr, validateOadr, writeOadr } from './envelope.js'

const FIXTURES = resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/openadr-fixtures')
const files = [
  ...readdirSync(join(FIXTURES, 'examples')).map((f) => join(FIXTURES, 'examples', f)),
  ...readdirSync(join(FIXTURES, 'openleadr-session')).map((f) => join(FIXTURES, 'openleadr-session', f))
].filter((f) => f.endsWith('.xml'))

/** The tree without formatting: whitespace between elements is not content. */
function normal (el: XmlElement): unknown {
  return {
    ns: el.ns, local: el.local, xsiType: el.xsiType,
    attributes: [...el.attributes].sort((a, b) => `${a.ns}${a.local}`.localeCompare(`${b.ns}${b.local}`)),
    text: el.children.length > 0 ? '' : el.text,
    children: el.children.map(normal)
  }
}

function refusal (body: string, maxBytes?: number): OadrInputError {
  try {
    readOadr(body, maxBytes)
  } catch (error) {
    expect(error).toBeInstanceOf(OadrInputError)
    return error as OadrInputError
  }
  throw new Error('expected a refusal')
}

describe('OpenADR 2.0b envelope', () => {
  it('reads all 22 examples and 149 session messages, names each, and writes it back XSD-valid with the same tree', async () => {
    expect(files).toHaveLength(22 + 149)
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      expect((await validateOadr(text)).valid, file).toBe(true)
      const read = readOadr(text)
      expect(file.endsWith(`${read.type}.xml`), `${file} read as ${read.type}`).toBe(true)
      const written = writeOadr(read.message, read.signedObject)
      const verdict = await validateOadr(written)
      expect(verdict.errors, file).toEqual([])
      const again = readOadr(written)
      expect(normal(again.message)).toEqual(normal(read.message))
      expect(again.signedObject).toEqual(read.signedObject)
    }
  }, 120_000)

  it('refuses hostile and malformed bodies before they reach anything, with the status to answer', () => {
    const poll = readFileSync(join(FIXTURES, 'examples/oadrPoll.xml'), 'utf8')
    const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' + poll
    expect(refusal(laughs)).toMatchObject({ status: 400, message: expect.stringMatching(/DOCTYPE/) })
    const xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + poll.replace('123ABC', '&xxe;')
    expect(refusal(xxe).status).toBe(400)
    expect(refusal(poll, 100)).toMatchObject({ status: 413, message: expect.stringMatching(/at most 100/) })
    expect(refusal(poll.replace('</ei:venID>', '</ei:ven>')).message).toMatch(/malformed XML at line \d+, column \d+/)
    expect(refusal(poll.replace(/ xmlns:ei="[^"]*"/, '')).message).toMatch(/prefix "ei" is not declared/)
    expect(refusal('<pyld:eiCreateTender xmlns:pyld="urn:x"/>').message).toMatch(/not oadr:oadrPayload/)
    expect(refusal(poll.replace(/<oadr:oadrPoll[\s\S]*<\/oadr:oadrPoll>/, '<oadr:oadrDance/>')).message).toMatch(/oadr:oadrDance is not an OpenADR 2.0b message/)
    expect(refusal(poll.replace(/(<oadr:oadrPoll[\s\S]*<\/oadr:oadrPoll>)/, '$1$1')).message).toMatch(/holds 2 elements/)
  })
})
