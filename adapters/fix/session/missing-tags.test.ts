/**
 * MissingTags gives what jspurefix's view.missing() gives, for every shape of message, whether it
 * has seen the shape before or not; its memory is bounded.
 */
import 'reflect-metadata'
import { AsciiParser, AsciiSessionMsgFactory, DefinitionFactory, DITokens, JsFixConfig, SessionContainer } from 'jspurefix'
import type { ElasticBuffer, ISessionDescription, MsgView } from 'jspurefix'
import { makeSessionScope } from 'jspurefix/dist/runtime/session-scope.js'
import { describe, expect, it } from 'vitest'
import { JspurefixLogBridge, silentLog } from './log.js'
import { MissingTags } from './missing-tags.js'
import { buildFrame, type Field } from './test-peer.js'

async function parserOf (): Promise<AsciiParser> {
  const description = { Name: 'T', application: { name: 'T', type: 'acceptor', protocol: 'ascii', dictionary: 'qf44', tcp: { host: '127.0.0.1', port: 0 } }, SenderCompId: 'GW', TargetCompID: 'PEER', BeginString: 'FIX.4.4', HeartBtInt: 30 } as unknown as ISessionDescription
  const definitions = await new DefinitionFactory().getDefinitions('qf44')
  const container = new SessionContainer()
  const config = new JsFixConfig(new AsciiSessionMsgFactory(description), definitions, description, 1, new JspurefixLogBridge(silentLog))
  container.registerSession(config, container.newChild(description))
  const scope = makeSessionScope(config)
  return new AsciiParser(scope, null, scope.sessionContainer.resolve<ElasticBuffer>(DITokens.ParseBuffer))
}

const HEADER: Field[] = [[49, 'PEER'], [56, 'GW'], [34, 2], [52, '20260101-00:00:00.000']]
const order = (fields: Field[]): string => buildFrame([[35, 'D'], ...HEADER, ...fields])
const COMPLETE: Field[] = [[11, 'a'], [55, 'KWH'], [54, '1'], [60, '20260101-00:00:00.000'], [38, '5'], [40, '2'], [44, '1.5']]

describe('MissingTags', () => {
  it("answers as view.missing() for new and seen shapes, values aside", async () => {
    const parser = await parserOf()
    const cache = new MissingTags()
    const frames = [
      order(COMPLETE),
      order(COMPLETE.map(([t, v]) => [t, t === 11 ? 'b' : v] as Field)), // same shape, other values
      order(COMPLETE.filter(([t]) => t !== 40)), // OrdType missing
      order(COMPLETE.filter(([t]) => t !== 54)), // Side missing
      order(COMPLETE.filter(([t]) => t !== 40)), // seen again
      order([...COMPLETE, [453, 2], [448, 'p1'], [447, 'D'], [452, 1], [448, 'p2'], [447, 'D'], [452, 3]]), // a group
      order([...COMPLETE, [453, 1], [447, 'D'], [452, 1]]) // a group instance without its first field
    ]
    const answers: Array<{ cached: readonly number[], direct: number[] }> = []
    parser.on('msg', (msgType: string, view: MsgView) => { answers.push({ cached: [...cache.of(msgType, view)], direct: view.missing() }) })
    for (const frame of frames) parser.parseText(frame)
    expect(answers).toHaveLength(frames.length)
    for (const a of answers) expect(a.cached).toEqual(a.direct)
    expect(answers.slice(0, 6).map(a => a.direct.length > 0)).toEqual([false, false, true, true, true, false])
    expect(answers[2]!.direct).toContain(40)
    expect(answers[3]!.direct).toContain(54)
    expect(cache.shapes).toBe(5)
  })
})
