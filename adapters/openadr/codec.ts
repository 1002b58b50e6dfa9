/**
 * A two-way mapping between element trees (schemas/tree.ts) and typed values, for describing
 * OpenADR's types once. A record lists its fields in the schema's order, and that one description
 * both reads and writes:
 *   - reading checks that every child belongs to a field, so nothing is silently dropped;
 *   - writing puts elements in the order the XSD wants.
 * Reading and writing therefore cannot drift apart. Values stay as written: text is trimmed, and
 * decimals stay strings (a price of 0.12 never becomes a binary float).
 */
import { fail, type XmlElement } from '../../schemas/tree.js'
import { OADR_NAMESPACES as NS } from './envelope.js'

export type Prefix = keyof typeof NS

/** One kind of element (or a set of kinds, for a substitution group) and the value it carries. */
export interface ElementCodec<T> {
  /** prefix:local, for paths in error messages. */
  readonly label: string
  matches: (el: XmlElement) => boolean
  read: (el: XmlElement, path: string) => T
  write: (value: T) => XmlElement
}

/** A field of a record: how many of which element (or an attribute), and its value. */
export interface Field<T, Optional extends boolean> {
  readonly optional: Optional
  /** Whether a child element belongs to this field. */
  claims: (child: XmlElement) => boolean
  read: (el: XmlElement, path: string) => T | undefined
  write: (value: T, into: XmlElement) => void
}

export type ValueOf<C> = C extends ElementCodec<infer T> ? T : never

/* The `any`s below only name "some field" / "some codec": a value's type is read off each one. */
type Shape = Record<string, Field<any, boolean>>
type FieldValue<F> = F extends Field<infer T, boolean> ? T : never
type RequiredPart<S extends Shape> = { [K in keyof S as S[K] extends Field<any, false> ? K : never]: FieldValue<S[K]> }
type OptionalPart<S extends Shape> = { [K in keyof S as S[K] extends Field<any, false> ? never : K]?: FieldValue<S[K]> }
type Simplify<T> = { [K in keyof T]: T[K] } & {}
/** The value of a record: its required fields, then its optional ones. */
export type Rec<S extends Shape> = Simplify<RequiredPart<S> & OptionalPart<S>>

const element = (prefix: Prefix, local: string): XmlElement => ({ ns: NS[prefix], local, attributes: [], children: [], text: '' })
const isNamed = (prefix: Prefix, local: string) => (el: XmlElement) => el.ns === NS[prefix] && el.local === local

// ------------------------------------------------------------------------------------------
// Fields

export function one<T> (codec: ElementCodec<T>): Field<T, false> {
  return {
    optional: false,
    claims: codec.matches,
    read (el, path) {
      const found = el.children.filter(codec.matches)
      if (found.length !== 1) fail(`${path}/${codec.label}`, found.length === 0 ? 'required element is missing' : 'appears more than once')
      return codec.read(found[0]!, `${path}/${codec.label}`)
    },
    write (value, into) { into.children.push(codec.write(value)) }
  }
}

export function opt<T> (codec: ElementCodec<T>): Field<T, true> {
  return {
    optional: true,
    claims: codec.matches,
    read (el, path) {
      const found = el.children.filter(codec.matches)
      if (found.length > 1) fail(`${path}/${codec.label}`, 'appears more than once')
      return found.length === 0 ? undefined : codec.read(found[0]!, `${path}/${codec.label}`)
    },
    write (value, into) { into.children.push(codec.write(value)) }
  }
}

/** Repeated elements, in order; `min` is the schema's minOccurs. */
export function many<T> (codec: ElementCodec<T>, min = 0): Field<T[], false> {
  return {
    optional: false,
    claims: codec.matches,
    read (el, path) {
      const found = el.children.filter(codec.matches)
      if (found.length < min) fail(`${path}/${codec.label}`, `needs at least ${min}`)
      return found.map((c, i) => codec.read(c, `${path}/${codec.label}[${i + 1}]`))
    },
    write (values, into) { for (const v of values) into.children.push(codec.write(v)) }
  }
}

/** An attribute of the record's element (ei:schemaVersion on every message). */
export function attribute (prefix: Prefix, local: string): Field<string, true> {
  return {
    optional: true,
    claims: () => false,
    read: (el) => el.attributes.find((a) => a.ns === NS[prefix] && a.local === local)?.value,
    write (value, into) { into.attributes.push({ ns: NS[prefix], local, value }) }
  }
}

// ------------------------------------------------------------------------------------------
// Elements

/** A leaf holding text. */
export function text (prefix: Prefix, local: string): ElementCodec<string> {
  const label = `${prefix}:${local}`
  return {
    label,
    matches: isNamed(prefix, local),
    read (el, path) {
      if (el.children.length > 0) fail(path, 'must hold text, not elements')
      return el.text.trim()
    },
    write: (value) => ({ ...element(prefix, local), text: value })
  }
}

/** A leaf holding a whole number (xs:unsignedInt and the like). */
export function int (prefix: Prefix, local: string): ElementCodec<number> {
  const t = text(prefix, local)
  return {
    ...t,
    read (el, path) {
      const value = t.read(el, path)
      if (!/^[+-]?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) fail(path, `${value} is not a whole number`)
      return Number(value)
    },
    write: (value) => t.write(String(value))
  }
}

/** A leaf holding xs:boolean (true, false, 1 or 0). */
export function bool (prefix: Prefix, local: string): ElementCodec<boolean> {
  const t = text(prefix, local)
  return {
    ...t,
    read (el, path) {
      const value = t.read(el, path)
      if (value === 'true' || value === '1') return true
      if (value === 'false' || value === '0') return false
      return fail(path, `${value} is not a boolean`)
    },
    write: (value) => t.write(String(value))
  }
}

/** An element we carry as written, without reading into it (rare parts of the schema: tolerances, baselines, Green Button data). */
export function raw (prefix: Prefix, local: string): ElementCodec<XmlElement> {
  return rawOf([[prefix, local]])
}

/** Any of several elements (a substitution group, such as emix:itemBase), carried as written. */
export function rawOf (names: ReadonlyArray<readonly [Prefix, string]>): ElementCodec<XmlElement> {
  const tests = names.map(([p, l]) => isNamed(p, l))
  return {
    label: names.length === 1 ? `${names[0]![0]}:${names[0]![1]}` : `(${names.map(([p, l]) => `${p}:${l}`).join('|')})`,
    matches: (el) => tests.some((t) => t(el)),
    read: tidy,
    write: (value) => value
  }
}

/** An element without formatting: blanks between elements are not content, nor around a leaf's text. */
function tidy (el: XmlElement): XmlElement {
  return { ...el, text: el.children.length > 0 ? '' : el.text.trim(), children: el.children.map(tidy) }
}

/** An element that holds exactly one other, whose value it stands for (xcal:dtstart holding xcal:date-time). */
export function wrap<T> (prefix: Prefix, local: string, inner: ElementCodec<T>): ElementCodec<T> {
  const label = `${prefix}:${local}`
  return {
    label,
    matches: isNamed(prefix, local),
    read (el, path) {
      const stray = el.children.find((c) => !inner.matches(c))
      if (stray !== undefined) fail(`${path}/${stray.local}`, 'is not expected here')
      return one(inner).read(el, path)!
    },
    write: (value) => ({ ...element(prefix, local), children: [inner.write(value)] })
  }
}

/** An element holding a list of one kind of element (strm:intervals holding ei:interval). */
export function list<T> (prefix: Prefix, local: string, item: ElementCodec<T>, min = 0): ElementCodec<T[]> {
  const inner = record(prefix, local, { items: many(item, min) })
  return { label: inner.label, matches: inner.matches, read: (el, path) => inner.read(el, path).items, write: (items) => inner.write({ items }) }
}

/** An element with fields, written in the order they are listed. */
export function record<S extends Shape> (prefix: Prefix, local: string, shape: S): ElementCodec<Rec<S>> {
  const label = `${prefix}:${local}`
  const fields = Object.entries(shape)
  return {
    label,
    matches: isNamed(prefix, local),
    read (el, path) {
      const stray = el.children.find((c) => !fields.some(([, f]) => f.claims(c)))
      if (stray !== undefined) fail(`${path}/{${stray.ns}}${stray.local}`, 'is not expected here')
      const out: Record<string, unknown> = {}
      for (const [key, f] of fields) {
        const value = f.read(el, path)
        if (value !== undefined) out[key] = value
      }
      return out as Rec<S>
    },
    write (value) {
      const el = element(prefix, local)
      for (const [key, f] of fields) {
        const v = (value as Record<string, unknown>)[key]
        if (v !== undefined) f.write(v, el)
      }
      return el
    }
  }
}

type OneOfValue<C extends Record<string, ElementCodec<any>>> = { [K in keyof C]: { [P in K]: ValueOf<C[K]> } }[keyof C]

/** One of several elements (a choice), as `{ name: value }` for whichever it is. */
export function oneOf<C extends Record<string, ElementCodec<any>>> (choices: C): ElementCodec<OneOfValue<C>> {
  const entries = Object.entries(choices)
  return {
    label: `(${entries.map(([, c]) => c.label).join('|')})`,
    matches: (el) => entries.some(([, c]) => c.matches(el)),
    read (el, path) {
      const [key, codec] = entries.find(([, c]) => c.matches(el))!
      return { [key]: codec.read(el, path) } as OneOfValue<C>
    },
    write (value) {
      const [key, v] = Object.entries(value as Record<string, unknown>)[0]!
      return choices[key]!.write(v)
    }
  }
}
