/**
 * Bodies sent exactly as given: an application that echoes or forwards a message must be able to
 * send its fields as they were received (38=002000.00, not 38=2000), which encoding from typed
 * values through the dictionary cannot do. A raw body is an object holding only the field list
 * under RAW_BODY; jspurefix's transmitter hands the body to its encoder's `encode(obj, name)`,
 * which is wrapped here to write such a list field by field (tag=value and the delimiter, with the
 * encoder's own bookkeeping of field positions, which its checksum and SOH restoring rely on).
 *
 * Relies on jspurefix 5.11.4's AsciiEncoder: `encode`, `WriteTagEquals`, `writeDelimiter`,
 * `buffer.writeBuffer`, `buffer.getPos`.
 */
import type { ILooseObject } from 'jspurefix'
import type { FieldPair } from './received.js'

export const RAW_BODY = Symbol('raw FIX body')

export function rawBody (fields: readonly FieldPair[]): ILooseObject {
  return { [RAW_BODY]: fields }
}

interface RawCapableEncoder {
  encode (obj: ILooseObject, name: string): void
  WriteTagEquals (tag: number): void
  writeDelimiter (posValBegin: number, tag: number): void
  buffer: { getPos (): number, writeBuffer (b: Buffer): number }
}

const wrapped = new WeakSet<object>()

/** Lets this transmitter's encoder write raw bodies (once per transmitter). */
export function allowRawBodies (transmitter: object): void {
  const encoder = (transmitter as { encoder?: Partial<RawCapableEncoder> }).encoder
  if (encoder === undefined || wrapped.has(encoder)) return
  if (typeof encoder.encode !== 'function' || typeof encoder.WriteTagEquals !== 'function' || typeof encoder.writeDelimiter !== 'function' || encoder.buffer === undefined) {
    throw new Error('jspurefix encoder without encode/WriteTagEquals/writeDelimiter/buffer: raw bodies do not fit this jspurefix version')
  }
  const e = encoder as RawCapableEncoder
  const encode = e.encode
  e.encode = function (obj: ILooseObject, name: string): void {
    const fields = (obj as { [RAW_BODY]?: readonly FieldPair[] })[RAW_BODY]
    if (fields === undefined) {
      encode.call(e, obj, name)
      return
    }
    for (const [tag, value] of fields) {
      e.WriteTagEquals(tag)
      const begin = e.buffer.getPos()
      e.buffer.writeBuffer(Buffer.from(value, 'latin1'))
      e.writeDelimiter(begin, tag)
    }
  }
  wrapped.add(encoder)
}
