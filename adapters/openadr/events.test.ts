/**
 * The event side of OpenADR 2.0b on the recorded openleadr session: the price event reads as
 * the peer sent it, and the messages we build are the ones the peer's VEN sent (same tree) and
 * are XSD-valid.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { XmlElement } from '../../schemas/tree.js'
import { readOadr, validateOadr, writeOadr } from './envelope.js'
import { createdEvent, distributeEvent, distributeEventOf, poll, requestEvent, response } from './events.js'

const FIXTURES = resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/openadr-fixtures')
const read = (file: string) => readOadr(readFileSync(join(FIXTURES, file), 'utf8'))

function normal (el: XmlElement): unknown {
  return { ns: el.ns, local: el.local, attributes: el.attributes, text: el.children.length > 0 ? '' : el.text.trim(), children: el.children.map(normal) }
}

describe('OpenADR 2.0b events', () => {
  it('reads the session\'s price event: four 15-minute intervals at 0.12, 0.18, 0.31, 0.22', () => {
    const d = distributeEventOf(read('openleadr-session/020-ven-in-oadrDistributeEvent.xml').message)
    expect(d).toMatchObject({ requestID: '72b7aeec-de6c-4528-a6f4-e5cefa31c406', vtnID: 'UTILITY-VTN' })
    expect(d.events).toHaveLength(1)
    const [event] = d.events
    expect(event).toMatchObject({
      eventID: 'cf581f2f-9f8f-4dcb-9a77-7a1efaee4fd8', modificationNumber: 0, marketContext: 'http://utility.example/markets/rtp',
      eventStatus: 'far', duration: 'PT1H', venIDs: ['ven-ema-1'], responseRequired: 'always'
    })
    expect(event!.signals).toHaveLength(1)
    expect(event!.signals[0]).toMatchObject({ signalName: 'ELECTRICITY_PRICE', signalType: 'price' })
    expect(event!.signals[0]!.intervals.map((i) => [i.uid, new Date(i.dtStart).toISOString(), i.duration, i.value])).toEqual([
      ['0', '2026-11-25T01:42:24.000Z', 'PT15M', '0.12'], ['1', '2026-11-25T01:57:24.000Z', 'PT15M', '0.18'],
      ['2', '2026-11-25T02:12:24.000Z', 'PT15M', '0.31'], ['3', '2026-11-25T02:27:24.000Z', 'PT15M', '0.22']
    ])
  })

  it('gives intervals without a start of their own the event\'s start plus the intervals before them', () => {
    const [event] = distributeEventOf(read('examples/oadrDistributeEvent.xml').message).events
    const signal = event!.signals[0]!
    expect(signal).toMatchObject({ signalName: 'LOAD_CONTROL', currentValue: '0.0' })
    expect(signal.intervals.map((i) => new Date(i.dtStart).toISOString())).toEqual(Array.from({ length: 9 }, (_, k) => new Date(Date.parse('2020-12-03T14:23:07.606Z') + k * 60_000).toISOString()))
    expect(event!.venIDs).toEqual(['VEN001', 'VEN002'])
  })

  it('builds what the peer\'s VEN sent: oadrRequestEvent, oadrCreatedEvent, oadrPoll, and the VTN\'s oadrResponse; all XSD-valid', async () => {
    const d = distributeEventOf(read('openleadr-session/020-ven-in-oadrDistributeEvent.xml').message)
    const built = {
      '017-ven-out-oadrRequestEvent.xml': requestEvent('16106cd1-c8d9-43d1-b440-4c972083fb76', 'ven-ema-1'),
      '021-ven-out-oadrCreatedEvent.xml': createdEvent('ven-ema-1', d.events.map((ev) => ({ eventID: ev.eventID, modificationNumber: ev.modificationNumber, requestID: d.requestID, optType: 'optIn' as const }))),
      '025-ven-out-oadrPoll.xml': poll('ven-ema-1'),
      '023-vtn-out-oadrResponse.xml': response('200', 'OK', '', 'ven-ema-1')
    }
    for (const [file, message] of Object.entries(built)) {
      expect(normal(message), file).toEqual(normal(read(`openleadr-session/${file}`).message))
      const xml = writeOadr(message)
      expect((await validateOadr(xml)).errors, file).toEqual([])
      expect(normal(readOadr(xml).message)).toEqual(normal(message))
    }
  })

  it('names the path of what is missing', () => {
    const { message } = read('openleadr-session/020-ven-in-oadrDistributeEvent.xml')
    const event = message.children.find((c) => c.local === 'oadrEvent')!
    const ei = event.children.find((c) => c.local === 'eiEvent')!
    ei.children = ei.children.filter((c) => c.local !== 'eiActivePeriod')
    expect(() => distributeEventOf(message)).toThrow(/\/oadr:oadrDistributeEvent\/oadr:oadrEvent\[1\]\/ei:eiEvent\/ei:eiActivePeriod: required element is missing/)
  })

  it('writes the events it reads: the session\'s oadrDistributeEvent comes back as the peer sent it, XSD-valid', async () => {
    for (const file of ['019-vtn-out-oadrDistributeEvent.xml', '027-vtn-out-oadrDistributeEvent.xml']) {
      const { message } = read(`openleadr-session/${file}`)
      const rebuilt = distributeEvent(distributeEventOf(message))
      expect(normal(rebuilt), file).toEqual(normal(message))
      expect((await validateOadr(writeOadr(rebuilt))).errors).toEqual([])
    }
  })
})
