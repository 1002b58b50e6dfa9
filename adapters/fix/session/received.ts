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

export function lazyReceivedMessage (msgType: string, seqNum: number, possDup: boolean, view: MsgView, text: string): DetachableMessage {
  let source: MsgView | null = view
  let typed: ILooseObject | null = null
  const message = { msgType, seqNum, possDup, text } as ReceivedMessage
  // An own enumerable getter, so that spreading or comparing the message still sees `fields`.
  Object.defineProperty(message, 'fields', {
    enumerable: true,
    get (): ILooseObject {
      if (typed === null) {
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
