/**
 * Reading and writing OpenADR element trees (schemas/tree.ts XmlElement, namespaces resolved):
 * small helpers that name the path of whatever is missing.
 */
import { fail, type XmlElement } from '../../schemas/tree.js'
import { OADR_NAMESPACES as NS } from './envelope.js'

export type Prefix = keyof typeof NS

export function children (el: XmlElement, prefix: Prefix, local: string): XmlElement[] {
  return el.children.filter((c) => c.ns === NS[prefix] && c.local === local)
}

export function child (el: XmlElement, prefix: Prefix, local: string, path: string): XmlElement {
  const found = children(el, prefix, local)
  if (found.length !== 1) fail(`${path}/${prefix}:${local}`, found.length === 0 ? 'required element is missing' : 'appears more than once')
  return found[0]!
}

export function maybe (el: XmlElement, prefix: Prefix, local: string): XmlElement | undefined {
  return children(el, prefix, local)[0]
}

export function text (el: XmlElement, prefix: Prefix, local: string, path: string): string {
  return child(el, prefix, local, path).text.trim()
}

export function optionalText (el: XmlElement, prefix: Prefix, local: string): string | undefined {
  return maybe(el, prefix, local)?.text.trim()
}

/** xcal:dtstart/xcal:date-time and xcal:duration/xcal:duration. */
export function dtStartOf (el: XmlElement, path: string): string {
  return text(child(el, 'xcal', 'dtstart', path), 'xcal', 'date-time', `${path}/xcal:dtstart`)
}
export function durationOf (el: XmlElement, path: string): string {
  return text(child(el, 'xcal', 'duration', path), 'xcal', 'duration', `${path}/xcal:duration`)
}

export function isoPlus (instant: string, ms: number): string {
  return new Date(new Date(instant).getTime() + ms).toISOString()
}


type Node = XmlElement | string

/** An element: `e('ei', 'venID', 'VEN1')`, or with children. */
export function e (prefix: Prefix, local: string, ...content: Node[]): XmlElement {
  const kids = content.filter((c): c is XmlElement => typeof c !== 'string')
  const strings = content.filter((c): c is string => typeof c === 'string')
  return { ns: NS[prefix], local, attributes: [], children: kids, text: strings.join('') }
}

/** A message element with ei:schemaVersion="2.0b". */
export function message (local: string, ...content: XmlElement[]): XmlElement {
  return { ...e('oadr', local, ...content), attributes: [{ ns: NS.ei, local: 'schemaVersion', value: '2.0b' }] }
}

export function eiResponse (responseCode: string, description: string, requestID: string): XmlElement {
  return e('ei', 'eiResponse', e('ei', 'responseCode', responseCode), e('ei', 'responseDescription', description), e('pyld', 'requestID', requestID))
}

