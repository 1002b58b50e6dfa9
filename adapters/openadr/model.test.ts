/**
 * The typed model of OpenADR 2.0b on real-peer data: every example message and every message of
 * the recorded openleadr session maps to its typed value and is rebuilt from that value alone,
 * XSD-valid and with the same tree (so the same meaning). What the model does not take is refused
 * with the path of the part at fault.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CtsValidationError, type XmlElement } from '../../schemas/tree.js'
import { readOadr, validateOadr, writeOadr } from './envelope.js'
import { build, readPayload, targetOf, writePayload } from './model.js'

const FIXTURES = resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/openadr-fixtures')
const files = ['examples', 'openleadr-session'].flatMap((dir) => readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith('.xml')).map((f) => join(FIXTURES, dir, f)))

/** The tree as it means: element and attribute names, attribute values, leaf text without surrounding blanks, children in order. */
function meaning (el: XmlElement): unknown {
  return {
    name: `{${el.ns}}${el.local}`, xsiType: el.xsiType,
    attributes: [...el.attributes].map((a) => `{${a.ns}}${a.local}=${a.value}`).sort(),
    text: el.children.length > 0 ? '' : el.text.trim(),
    children: el.children.map(meaning)
  }
}

describe('the OpenADR 2.0b model', () => {
  it('maps all 22 examples and 149 session messages to typed values and rebuilds each, XSD-valid, with its meaning unchanged', async () => {
    expect(files).toHaveLength(22 + 149)
    const types = new Set<string>()
    for (const file of files) {
      const received = readOadr(readFileSync(file, 'utf8'))
      const payload = readPayload(received)
      types.add(payload.type)
      const rebuilt = writeOadr(writePayload(payload), received.signedObject)
      expect((await validateOadr(rebuilt)).errors, file).toEqual([])
      const again = readOadr(rebuilt)
      expect(meaning(again.message), file).toEqual(meaning(received.message))
      expect(readPayload(again), file).toEqual(payload)
    }
    expect(types.size).toBe(22)
  }, 120_000)

  it('reads the parts the gateway acts on as typed values', () => {
    const read = (name: string) => readPayload(readOadr(readFileSync(join(FIXTURES, name), 'utf8')))
    const distribute = read('openleadr-session/' + readdirSync(join(FIXTURES, 'openleadr-session')).find((f) => f.endsWith('vtn-out-oadrDistributeEvent.xml'))!)
    if (distribute.type !== 'oadrDistributeEvent') throw new Error(distribute.type)
    const event = distribute.message.oadrEvent[0]!.eiEvent
    expect(distribute.message.vtnID).toBe('UTILITY-VTN')
    expect(event.eiEventSignals.signals[0]!.signalName).toBe('ELECTRICITY_PRICE')
    expect(event.eiEventSignals.signals[0]!.intervals.map((i) => i.payloads[0])).toEqual(['0.12', '0.18', '0.31', '0.22'].map((v) => ({ signal: { payloadFloat: v } })))
    const registration = read('examples/oadrCreatePartyRegistration.xml')
    expect(registration).toMatchObject({ type: 'oadrCreatePartyRegistration', message: { oadrReportOnly: false, oadrXmlSignature: false, oadrTransportName: 'simpleHttp' } })
    const update = read('examples/oadrUpdateReport.xml')
    if (update.type !== 'oadrUpdateReport') throw new Error(update.type)
    expect(update.message.oadrReport[0]!.reportRequestID).toBeTypeOf('string')
  })

  it('builds messages from typed values, XSD-valid', async () => {
    const xml = writeOadr(build('oadrCreateOpt', {
      optID: 'opt-1', optType: 'optOut', optReason: 'notParticipating', venID: 'VEN-1', createdDateTime: '2026-06-20T10:00:00Z', requestID: 'r-1',
      qualifiedEventID: { eventID: 'e-1', modificationNumber: 0 }, eiTarget: targetOf({ venID: ['VEN-1'] })
    }))
    expect((await validateOadr(xml)).errors).toEqual([])
    expect(xml).toMatch(/schemaVersion="2.0b"/)
  })

  it('refuses what it does not take, naming the part', () => {
    const poll = readOadr(writeOadr(build('oadrPoll', { venID: 'VEN-1' })))
    poll.message.children.push({ ...poll.message.children[0]!, local: 'vtnID' })
    expect(() => readPayload(poll)).toThrow(CtsValidationError)
    expect(() => readPayload(poll)).toThrow(/\/oadr:oadrPoll\/\{[^}]+\}vtnID: is not expected here/)
    const created = readOadr(writeOadr(build('oadrRequestEvent', { eiRequestEvent: { requestID: 'r', venID: 'V', replyLimit: 2 } })))
    created.message.children[0]!.children[2]!.text = 'two'
    expect(() => readPayload(created)).toThrow(/pyld:replyLimit: two is not a whole number/)
  })
})
