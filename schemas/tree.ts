/**
 * The element tree between our JSON model and the two XML-shaped forms (XML text and the
 * official XMLSpy-style JSON). Names are resolved namespace URIs, so documents that use other
 * prefixes, or a default namespace, read the same.
 *
 * toTree writes a model in XSD order. fromTree checks the structure against the layout (unknown
 * elements, order, cardinality, xsi:type) and returns the plain JSON for zod to check the values.
 */
import { NAMESPACES, prefixOf, type Prefix } from './namespaces.js'
import type { Content, Layout, LeafKind, QName } from './sequence.js'
import { dtStartElement } from './simple-types.js'

export interface XmlAttribute {
  ns: string
  local: string
  value: string
}

export interface XmlElement {
  ns: string
  local: string
  attributes: XmlAttribute[]
  children: XmlElement[]
  text: string
  /** xsi:type resolved to Clark notation, `{uri}local`. */
  xsiType?: string
  /** Set by toTree: the element belongs to a repeated field (an array in official JSON). */
  repeated?: boolean
  /** Set by toTree on leaves: how the text is typed in official JSON. */
  leafKind?: LeafKind
}

export interface CtsIssue {
  path: string
  message: string
}

/** A document or payload that does not conform; every issue names the path where it is. */
export class CtsValidationError extends Error {
  readonly issues: CtsIssue[]
  constructor (issues: CtsIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '))
    this.name = 'CtsValidationError'
    this.issues = issues
  }
}

export function fail (path: string, message: string): never {
  throw new CtsValidationError([{ path, message }])
}

/**
 * Resolves a prefixed name against the namespace declarations in scope (prefix -> URI; '' is the
 * default namespace, which applies to elements, not attributes).
 */
export function resolvePrefixed (name: string, scope: Map<string, string>, useDefault: boolean, path: string): { ns: string, local: string } {
  const i = name.indexOf(':')
  if (i < 0) return { ns: useDefault ? (scope.get('') ?? '') : '', local: name }
  const prefix = name.slice(0, i)
  const ns = scope.get(prefix)
  if (ns === undefined) fail(path, `namespace prefix "${prefix}" is not declared`)
  return { ns, local: name.slice(i + 1) }
}

export function resolveQName (qname: QName): { ns: string, local: string } {
  const i = qname.indexOf(':')
  return { ns: NAMESPACES[qname.slice(0, i) as Prefix], local: qname.slice(i + 1) }
}

export function clark (qname: QName): string {
  const { ns, local } = resolveQName(qname)
  return `{${ns}}${local}`
}

/** The name of an element as our messages write it: canonical prefix, or {uri} if unknown. */
export function displayName (ns: string, local: string): string {
  const prefix = prefixOf(ns)
  return prefix === undefined ? (ns === '' ? local : `{${ns}}${local}`) : `${prefix}:${local}`
}

function element (qname: QName, extra: Partial<XmlElement> = {}): XmlElement {
  return { ...resolveQName(qname), attributes: [], children: [], text: '', ...extra }
}

function leafText (kind: LeafKind, value: unknown): string {
  if (kind === 'boolean') return value === true ? 'true' : 'false'
  return String(value)
}

// ---------------------------------------------------------------------------------------------
// Model -> tree

export function toTree (qname: QName, layout: Layout, value: Record<string, unknown>, xsiType?: QName): XmlElement {
  const el = element(qname)
  if (xsiType !== undefined) el.xsiType = clark(xsiType)
  for (const f of layout.fields) {
    const v = value[f.key]
    if (v === undefined) continue
    if (f.attribute) {
      el.attributes.push({ ...resolveQName(f.qname), value: String(v) })
      continue
    }
    const items = f.max > 1 ? (v as unknown[]) : [v]
    for (const item of items) {
      const child = encodeContent(f.qname, f.content, item)
      if (f.max > 1) child.repeated = true
      el.children.push(child)
    }
  }
  return el
}

function encodeContent (qname: QName, content: Content, value: unknown): XmlElement {
  switch (content.kind) {
    case 'complex':
      return toTree(qname, content.layout, value as Record<string, unknown>, content.xsiType)
    case 'list': {
      const el = element(qname)
      for (const item of value as unknown[]) {
        const child = encodeContent(content.item, content.itemContent, item)
        child.repeated = true
        el.children.push(child)
      }
      return el
    }
    case 'leaf': {
      if (content.leaf === 'dateTimeDate') {
        const text = String(value)
        return element(qname, { children: [element(dtStartElement(text), { text, leafKind: 'string' })] })
      }
      const text = leafText(content.leaf, value)
      if (content.wrap !== undefined) {
        return element(qname, { children: [element(content.wrap, { text, leafKind: content.leaf })] })
      }
      return element(qname, { text, leafKind: content.leaf })
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Tree -> plain JSON (structure checked; values are checked by zod afterwards)

function matches (name: { ns: string, local: string }, qname: QName): boolean {
  const { ns, local } = resolveQName(qname)
  return name.ns === ns && name.local === local
}

export interface DecodeOptions {
  /** XML: elements must come in XSD order. Official JSON: object keys have no order, so false. */
  strictOrder: boolean
}

export function fromTree (el: XmlElement, layout: Layout, path: string, options: DecodeOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const attr of el.attributes) {
    if (attr.ns === NAMESPACES.xsi) continue
    const f = layout.fields.find((x) => x.attribute && matches(attr, x.qname))
    if (f === undefined) fail(`${path}/@${displayName(attr.ns, attr.local)}`, 'unknown attribute')
    out[f.key] = attr.value
  }
  if (el.text.trim() !== '') fail(path, `${layout.typeName} has element content only, found text "${el.text.trim().slice(0, 40)}"`)

  let position = 0
  const seen = new Map<string, number>()
  for (const child of el.children) {
    const name = displayName(child.ns, child.local)
    const index = layout.fields.findIndex((x) => !x.attribute && matches(child, x.qname))
    if (index < 0) {
      fail(`${path}/${name}`, `unknown element in ${layout.typeName}; expected ${expectedAt(layout, position)}`)
    }
    const f = layout.fields[index]!
    const count = (seen.get(f.key) ?? 0) + 1
    seen.set(f.key, count)
    const childPath = f.max > 1 ? `${path}/${name}[${count}]` : `${path}/${name}`
    if (options.strictOrder && index < position) {
      const before = layout.fields[position]!
      fail(childPath, `out of order: ${name} must come before ${before.qname} in ${layout.typeName}`)
    }
    if (f.max === 1 && count > 1) fail(childPath, 'may occur only once')
    position = index
    const value = decodeContent(child, f.content, childPath, options)
    if (f.max > 1) ((out[f.key] ??= []) as unknown[]).push(value)
    else out[f.key] = value
  }
  for (const f of layout.fields) {
    if (f.min === 1 && out[f.key] === undefined) {
      fail(`${path}/${f.attribute ? '@' : ''}${f.qname}`, `required ${f.attribute ? 'attribute' : 'element'} is missing`)
    }
  }
  return out
}

function expectedAt (layout: Layout, position: number): string {
  const names = layout.fields.slice(position).filter((f) => !f.attribute).map((f) => f.qname)
  return names.length === 0 ? 'no more elements' : `one of ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''}`
}

function decodeContent (el: XmlElement, content: Content, path: string, options: DecodeOptions): unknown {
  switch (content.kind) {
    case 'complex':
      if (content.xsiType !== undefined && el.xsiType !== clark(content.xsiType)) {
        fail(path, `the type is abstract in CTS; write xsi:type="${content.xsiType}"` +
          (el.xsiType === undefined ? '' : ` (found ${el.xsiType})`))
      }
      return fromTree(el, content.layout, path, options)
    case 'list': {
      if (el.text.trim() !== '') fail(path, 'has element content only')
      const items = el.children.map((child, i) => {
        const childPath = `${path}/${displayName(child.ns, child.local)}[${i + 1}]`
        if (!matches(child, content.item)) fail(childPath, `unknown element; expected ${content.item}`)
        return decodeContent(child, content.itemContent, childPath, options)
      })
      if (items.length < content.itemMin) fail(`${path}/${content.item}`, 'at least one is required')
      return items
    }
    case 'leaf':
      return decodeLeaf(el, content, path)
  }
}

function decodeLeaf (el: XmlElement, content: Extract<Content, { kind: 'leaf' }>, path: string): unknown {
  let holder = el
  if (content.leaf === 'dateTimeDate' || content.wrap !== undefined) {
    if (el.children.length !== 1 || el.text.trim() !== '') {
      fail(path, content.wrap === undefined
        ? 'must hold exactly one of xcal:dateTime, xcal:date, xcal:time'
        : `must hold exactly one ${content.wrap}`)
    }
    holder = el.children[0]!
    const name = displayName(holder.ns, holder.local)
    if (content.wrap !== undefined) {
      if (!matches(holder, content.wrap)) fail(`${path}/${name}`, `unknown element; expected ${content.wrap}`)
    } else {
      if (!['xcal:dateTime', 'xcal:date', 'xcal:time'].includes(name)) fail(`${path}/${name}`, 'unknown element; expected xcal:dateTime, xcal:date or xcal:time')
      if (dtStartElement(holder.text.trim()) !== name) fail(`${path}/${name}`, `"${holder.text.trim()}" is not an ${name.slice(5)}`)
      return holder.text.trim()
    }
    path = `${path}/${name}`
  }
  if (holder.children.length > 0) fail(path, 'must hold text, not elements')
  const text = holder.text
  switch (content.leaf) {
    case 'boolean': {
      const t = text.trim()
      if (t === 'true' || t === '1') return true
      if (t === 'false' || t === '0') return false
      return fail(path, `must be true or false, found "${t}"`)
    }
    case 'integer': {
      const t = text.trim()
      if (!/^\+?\d{1,15}$/.test(t)) fail(path, `must be a non-negative integer, found "${t}"`)
      return Number(t)
    }
    case 'decimal':
      return text.trim()
    default:
      return text
  }
}
