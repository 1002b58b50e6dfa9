/**
 * FrameGuard on byte streams as TCP delivers them: frames split anywhere, several per chunk,
 * and garbled ones (bad CheckSum, bad BodyLength, noise) dropped without losing the next frame.
 */
import { describe, expect, it } from 'vitest'
import { FrameGuard, type GarbledReason } from './frame-guard.js'
import { buildFrame } from './test-peer.js'

function run (chunks: string[]): { frames: string[], garbled: GarbledReason[] } {
  const garbled: GarbledReason[] = []
  const guard = new FrameGuard((reason) => garbled.push(reason))
  const frames: string[] = []
  guard.on('data', (b: Buffer) => frames.push(b.toString('latin1')))
  for (const c of chunks) guard.write(Buffer.from(c, 'latin1'))
  return { frames, garbled }
}

const a = buildFrame([[35, '0'], [49, 'A'], [56, 'B'], [34, 1], [52, '20260101-00:00:00.000']])
const b = buildFrame([[35, '1'], [49, 'A'], [56, 'B'], [34, 2], [52, '20260101-00:00:00.000'], [112, 'x10=123']])

describe('FrameGuard', () => {
  it('reassembles frames split at every byte and separates frames sharing a chunk', () => {
    expect(run([...(a + b)]).frames).toEqual([a, b])
    expect(run([a + b]).frames).toEqual([a, b])
    expect(run([a.slice(0, 20), a.slice(20) + b.slice(0, 5), b.slice(5)]).frames).toEqual([a, b])
  })

  it('drops a frame with a wrong CheckSum and keeps the next', () => {
    const bad = a.replace(/10=(\d{3})\x01$/, (_, n: string) => `10=${String((Number(n) + 1) % 256).padStart(3, '0')}\x01`)
    expect(run([bad + b])).toEqual({ frames: [b], garbled: ['bad CheckSum'] })
  })

  it('drops a frame whose BodyLength is too short or too long, and finds the next frame', () => {
    const short = a.replace(/\x019=(\d+)\x01/, (_, n: string) => `\x019=${Number(n) - 2}\x01`)
    const long = a.replace(/\x019=(\d+)\x01/, (_, n: string) => `\x019=${Number(n) + 2}\x01`)
    expect(run([short + b])).toEqual({ frames: [b], garbled: ['bad BodyLength'] })
    expect(run([long, b])).toEqual({ frames: [b], garbled: ['bad BodyLength'] })
  })

  it('finds the next frame when a truncated one ends inside its BodyLength', () => {
    const truncated = a.slice(0, a.indexOf('\x019=') + 4) // "8=FIX.4.4|9=6", no SOH
    expect(run([truncated, b])).toEqual({ frames: [b], garbled: ['bad BodyLength'] })
  })

  it('finds the next frame when a truncated one ends inside its BeginString', () => {
    expect(run(['8=FIX', b])).toEqual({ frames: [b], garbled: ['not a FIX frame'] })
    expect(run(['8=FIX.4', b])).toEqual({ frames: [b], garbled: ['not a FIX frame'] })
  })

  it('drops noise between frames', () => {
    expect(run(['hello\x01', a, 'garbage 8=', b])).toEqual({ frames: [a, b], garbled: ['not a FIX frame', 'not a FIX frame'] })
  })
})
