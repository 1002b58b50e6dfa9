/**
 * An incoming application message as the application sees it, with its typed `fields` built only
 * when read: jspurefix's `toObject` walks the message's dictionary structure and cost more than
 * the rest of a message's checks (bench/fix.ts), while most of our applications read the raw text.
 * The view jspurefix hands over is valid only until its parser reads the next message, so once the
 * application's handler has returned, a message whose fields were not read yet keeps a copy of the
 * view (`detach`: the frame's bytes and tag positions) for a later read.
 */
import type { ILooseObject, MsgView } from 'jspurefix'
import type { ReceivedMessage } from './session.js'

export interface DetachableMessage {
  message: ReceivedMessage
  /** To be called while the parser's view is still valid, after the application's handler. */
  detach (): void
}

/** One field as received: tag, and the value's bytes as latin1 (every byte one character). */
export type FieldPair = readonly [tag: number, value: string]

/** The parts of jspurefix 5.11.4's AsciiView read here: its buffer and the parser's tag positions. */
interface PositionedView {
  buffer: { getBuffer (start: number, end: number): Buffer }
  structure: { tags: { nextTagPos: number, tagPos: Array<{ tag: number, start: number, len: number }> } } | null
}

/** The fields of a view in wire order, values exactly as received (38=002000.00 stays so). */
export function fieldPairs (view: MsgView): FieldPair[] {
  const { buffer, structure } = view as unknown as PositionedView
  if (structure === null) return []
  const { tagPos, nextTagPos } = structure.tags
  const pairs: FieldPair[] = new Array(nextTagPos)
  // One latin1 string for the whole message (one character per byte, so positions carry over),
  // cut into values: one conversion per message rather than one per field (this runs for every message).
  let end = 0
  for (let i = 0; i < nextTagPos; i++) {
    const p = tagPos[i] as { start: number, len: number }
    if (p.start + p.len > end) end = p.start + p.len
  }
  const text = buffer.getBuffer(0, end).toString('latin1')
  for (let i = 0; i < nextTagPos; i++) {
    const p = tagPos[i] as { tag: number, start: number, len: number }
    pairs[i] = [p.tag, text.slice(p.start, p.start + p.len)]
  }
  return pairs
}

export function lazyReceivedMessage (msgType: string, seqNum: number, possDup: boolean, view: MsgView, text: string): DetachableMessage {
  let source: MsgView | null = view
  let typed: ILooseObject | null = null
  let pairs: FieldPair[] | null = null
  const list = (): FieldPair[] => (pairs ??= source === null ? [] : fieldPairs(source))
  const message = { msgType, seqNum, possDup, text } as ReceivedMessage
  Object.defineProperty(message, 'fieldList', {
    enumerable: false,
    get: list
  })
  // An own enumerable getter, so that spreading or comparing the message still sees `fields`.
  Object.defineProperty(message, 'fields', {
    enumerable: true,
    get (): ILooseObject {
      if (typed === null) {
        list() // taken before the view is let go
        typed = (source?.toObject() ?? {}) as ILooseObject
        source = null
      }
      return typed
    }
  })
  return {
    message,
    detach: () => { if (source !== null) source = source.clone() }
  }
}
