/**
 * XML text <-> element tree, with fast-xml-parser. fast-xml-parser is not namespace-aware, so we
 * resolve prefixes here; DOCTYPEs are refused outright (no entity expansion, no XXE).
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser'
import { NAMESPACES, prefixOf } from './namespaces.js'
import { fail, resolvePrefixed as resolve, type XmlElement } from './tree.js'

const XML_NS = 'http://www.w3.org/XML/1998/namespace'

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  entityDecoder: {
    decode: decodeReferences,
    setExternalEntities: () => {},
    addInputEntities: () => {},
    reset: () => {},
    setXmlVersion: () => {}
  }
})

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/**
 * XML's five predefined entities and numeric character references, in one pass (so &amp;#65; is
 * the text &#65;). References to characters XML forbids are refused before parsing.
 */
function decodeReferences (text: string): string {
  if (!text.includes('&')) return text
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (whole, ref: string) => {
    if (!ref.startsWith('#')) return PREDEFINED[ref]!
    const cp = codePointOf(ref.slice(1))
    return isXmlChar(cp) ? String.fromCodePoint(cp) : whole
  })
}

/** The code point a numeric character reference names, from what follows its `&#`: `x41` or `65`. */
function codePointOf (ref: string): number {
  return ref.startsWith('x') ? Number.parseInt(ref.slice(1), 16) : Number.parseInt(ref, 10)
}

/** XML 1.0 §2.2 Char: what a character reference may name. */
function isXmlChar (cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
}

/** Refuses a numeric character reference to a character XML forbids (NUL, C0 controls, surrogates), naming where it is. */
function checkCharacterReferences (xml: string): void {
  for (const m of xml.matchAll(/&#(x[0-9a-fA-F]+|[0-9]+);/g)) {
    if (isXmlChar(codePointOf(m[1]!))) continue
    const before = xml.slice(0, m.index)
    const line = before.split('\n').length
    fail('/', `malformed XML at line ${line}, column ${m.index - before.lastIndexOf('\n')}: ${m[0]} is not a character XML allows`)
  }
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> }

/** Parses XML into an element tree with resolved namespaces. Malformed XML names line and column. */
export function parseXml (xml: string): XmlElement {
  if (/<!DOCTYPE/i.test(xml)) fail('/', 'DOCTYPE is not allowed (no entity expansion, no external entities)')
  checkCharacterReferences(xml)
  const check = XMLValidator.validate(xml)
  if (check !== true) fail('/', `malformed XML at line ${check.err.line}, column ${check.err.col}: ${check.err.msg}`)
  const nodes = parser.parse(xml) as OrderedNode[]
  const roots = nodes.filter((n) => elementName(n) !== undefined)
  if (roots.length !== 1) fail('/', `a document has exactly one root element, found ${roots.length}`)
  return toElement(roots[0]!, new Map([['xml', XML_NS]]), '')
}

function elementName (node: OrderedNode): string | undefined {
  return Object.keys(node).find((k) => k !== ':@' && k !== '#text' && k !== '#comment')
}

function toElement (node: OrderedNode, outerScope: Map<string, string>, parentPath: string): XmlElement {
  const name = elementName(node)!
  const attrs = node[':@'] ?? {}
  const scope = new Map(outerScope)
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'xmlns') scope.set('', value)
    else if (key.startsWith('xmlns:')) scope.set(key.slice(6), value)
  }
  const { ns, local } = resolve(name, scope, true, `${parentPath}/${name}`)
  const path = `${parentPath}/${name}`
  const el: XmlElement = { ns, local, attributes: [], children: [], text: '' }
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'xmlns' || key.startsWith('xmlns:')) continue
    const attr = resolve(key, scope, false, `${path}/@${key}`)
    if (attr.ns === NAMESPACES.xsi && attr.local === 'type') {
      const type = resolve(value.trim(), scope, true, `${path}/@${key}`)
      el.xsiType = `{${type.ns}}${type.local}`
    }
    el.attributes.push({ ...attr, value })
  }
  for (const child of node[name] as OrderedNode[]) {
    if ('#text' in child) el.text += String(child['#text'])
    else if (elementName(child) !== undefined) el.children.push(toElement(child, scope, path))
  }
  return el
}

const builder = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: true,
  processEntities: true,
  format: true,
  indentBy: '  '
})

/**
 * Writes an element tree as XML, every namespace declared once on the root with its canonical
 * prefix: CTS's by default, or those of `namespaces` (another family of schemas, e.g. OpenADR).
 */
export function writeXml (root: XmlElement, namespaces: Readonly<Record<string, string>> = NAMESPACES): string {
  const prefixes = namespaces === NAMESPACES ? CTS_PREFIXES : new Map(Object.entries(namespaces).map(([p, uri]) => [uri, p]))
  const used = new Set<string>()
  const body = toOrdered(root, { prefixes, used })
  const declarations: Record<string, string> = {}
  for (const [prefix, uri] of Object.entries(namespaces)) {
    if (used.has(uri)) declarations[`@_xmlns:${prefix}`] = uri
  }
  body[':@'] = { ...declarations, ...(body[':@'] ?? {}) }
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + (builder.build([body]) as string).trim() + '\n'
}

const CTS_PREFIXES = new Map(Object.keys(NAMESPACES).map((p) => [NAMESPACES[p as keyof typeof NAMESPACES] as string, p]))

interface Naming { prefixes: Map<string, string>, used: Set<string> }

function qualified (ns: string, local: string, naming: Naming): string {
  if (ns === '') return local
  if (ns === XML_NS) return `xml:${local}`
  const prefix = naming.prefixes.get(ns) ?? prefixOf(ns)
  if (prefix === undefined) throw new Error(`no prefix for namespace ${ns}`)
  naming.used.add(ns)
  return `${prefix}:${local}`
}

function toOrdered (el: XmlElement, naming: Naming): OrderedNode {
  const name = qualified(el.ns, el.local, naming)
  const attrs: Record<string, string> = {}
  if (el.xsiType !== undefined) {
    const m = /^\{(.*)\}(.*)$/.exec(el.xsiType)!
    attrs[`@_${qualified(NAMESPACES.xsi, 'type', naming)}`] = qualified(m[1]!, m[2]!, naming)
  }
  for (const a of el.attributes) {
    if (a.ns === NAMESPACES.xsi && a.local === 'type') continue
    attrs[`@_${qualified(a.ns, a.local, naming)}`] = a.value
  }
  const content: OrderedNode[] = el.children.length > 0
    ? el.children.map((c) => toOrdered(c, naming))
    : el.text === '' ? [] : [{ '#text': el.text }]
  const node: OrderedNode = { [name]: content }
  if (Object.keys(attrs).length > 0) node[':@'] = attrs
  return node
}
