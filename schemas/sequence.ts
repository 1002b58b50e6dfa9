/**
 * A small DSL that writes each CTS type once, as the XSD does: an ordered sequence of elements
 * with their qualified names and cardinalities. From that one declaration come
 *   - the zod schema (strict object, keys in XSD order, optional/array per minOccurs/maxOccurs),
 *   - the layout the XML codec and the official-JSON converter walk (schemas/tree.ts).
 * So the JSON model, the XML element order and the validation can never drift apart.
 */
import { z } from 'zod'
import { NAMESPACES, type Prefix } from './namespaces.js'

export type QName = `${Prefix}:${string}`

/**
 * How a leaf value is written: as XML text, and as a value of the official (XMLSpy) JSON form.
 * - string: text as is; JSON string.
 * - decimal: exact decimal kept as a string in our model; a JSON number lexeme in official JSON.
 * - integer: a JS safe integer in our model; a JSON number in official JSON.
 * - boolean: true/false; XML also accepts 1/0 on input.
 * - dateTimeDate: an xcal:dtStart-like wrapper whose one child is xcal:dateTime, xcal:date or
 *   xcal:time, chosen by the lexical form of the string (they cannot be confused).
 */
export type LeafKind = 'string' | 'decimal' | 'integer' | 'boolean' | 'dateTimeDate'

export type Content =
  | { kind: 'leaf', leaf: LeafKind, wrap?: QName }
  | { kind: 'complex', layout: Layout, xsiType?: QName }
  | { kind: 'list', item: QName, itemMin: 0 | 1, itemContent: Content }

export interface FieldLayout {
  key: string
  qname: QName
  min: 0 | 1
  /** 1, or Infinity for maxOccurs="unbounded" (a JSON array). */
  max: number
  /** An XML attribute rather than a child element (e.g. ei:schemaVersion). */
  attribute: boolean
  content: Content
}

export interface ChoiceGroup {
  keys: string[]
  required: boolean
}

export interface Layout {
  /** The XSD type this sequence declares, e.g. `pyld:EiCreateTenderType`. */
  typeName: string
  fields: FieldLayout[]
  choices: ChoiceGroup[]
}

const layouts = new WeakMap<z.ZodType, Layout>()
const leafKinds = new WeakMap<z.ZodType, LeafKind>()

/** Marks a zod schema as a leaf of the given kind (see LeafKind). Returns the same schema. */
export function leaf<S extends z.ZodType> (kind: LeafKind, schema: S): S {
  leafKinds.set(schema, kind)
  return schema
}

/** The layout behind a schema made by `sequence`, or undefined. */
export function layoutOf (schema: z.ZodType): Layout | undefined {
  return layouts.get(schema)
}

interface FieldOptions {
  /** For a leaf: the single child element that holds the value in XML (emix:price -> emix:value). */
  wrap?: QName
  /** For a concrete type standing for an abstract one: written as xsi:type on the element. */
  xsiType?: QName
  attribute?: boolean
}

export interface Field<Z extends z.ZodType> {
  readonly zod: Z
  readonly layout: Omit<FieldLayout, 'key'>
}

function contentOf (schema: z.ZodType, options: FieldOptions): Content {
  const layout = layouts.get(schema)
  if (layout !== undefined) {
    return options.xsiType === undefined
      ? { kind: 'complex', layout }
      : { kind: 'complex', layout, xsiType: options.xsiType }
  }
  const kind = leafKinds.get(schema) ?? defaultLeafKind(schema)
  return options.wrap === undefined ? { kind: 'leaf', leaf: kind } : { kind: 'leaf', leaf: kind, wrap: options.wrap }
}

function defaultLeafKind (schema: z.ZodType): LeafKind {
  const def = schema._zod.def as { type: string, innerType?: z.ZodType }
  const type = def.type
  if ((type === 'default' || type === 'readonly') && def.innerType !== undefined) return defaultLeafKind(def.innerType)
  if (type === 'string' || type === 'enum' || type === 'literal') return 'string'
  if (type === 'boolean') return 'boolean'
  if (type === 'number') return 'integer'
  throw new Error(`schema of type ${type} is neither a sequence nor a marked leaf`)
}

function field<Z extends z.ZodType> (zod: Z, qname: QName, min: 0 | 1, max: number, content: Content, attribute = false): Field<Z> {
  checkQName(qname)
  return { zod, layout: { qname, min, max, attribute, content } }
}

function checkQName (qname: string): void {
  const prefix = qname.slice(0, qname.indexOf(':'))
  if (!(prefix in NAMESPACES)) throw new Error(`unknown namespace prefix in ${qname}`)
}

/** Exactly one element (minOccurs=1 maxOccurs=1). */
export function one<S extends z.ZodType> (qname: QName, schema: S, options: FieldOptions = {}): Field<S> {
  return field(schema, qname, 1, 1, contentOf(schema, options), options.attribute)
}

/** At most one element (minOccurs=0 maxOccurs=1): an optional key. */
export function optional<S extends z.ZodType> (qname: QName, schema: S, options: FieldOptions = {}): Field<z.ZodOptional<S>> {
  return field(schema.optional(), qname, 0, 1, contentOf(schema, options), options.attribute)
}

/** One or more elements (minOccurs=1 maxOccurs=unbounded): a non-empty array. */
export function oneOrMore<S extends z.ZodType> (qname: QName, schema: S, options: FieldOptions = {}): Field<z.ZodArray<S>> {
  return field(z.array(schema).min(1), qname, 1, Infinity, contentOf(schema, options))
}

/** Any number of elements (minOccurs=0 maxOccurs=unbounded): an optional array. */
export function zeroOrMore<S extends z.ZodType> (qname: QName, schema: S, options: FieldOptions = {}): Field<z.ZodOptional<z.ZodArray<S>>> {
  return field(z.array(schema).optional(), qname, 0, Infinity, contentOf(schema, options))
}

/**
 * A wrapper element holding a list of items, written in our JSON as the array itself:
 * strm:intervals/strm:streamInterval* becomes `intervals: [...]`.
 * `min` is the wrapper's minOccurs, `itemMin` the items' minOccurs inside it.
 */
export function listOf<S extends z.ZodType> (
  qname: QName, item: QName, schema: S, itemMin: 0 | 1
): Field<z.ZodOptional<z.ZodArray<S>>> {
  const array = itemMin === 1 ? z.array(schema).min(1) : z.array(schema)
  return field(array.optional(), qname, 0, 1, { kind: 'list', item, itemMin, itemContent: contentOf(schema, {}) })
}

type Shape<F extends Record<string, Field<z.ZodType>>> = { [K in keyof F]: F[K]['zod'] }

/**
 * Declares an XSD sequence. Keys are the JSON names (the CTS element names), in XSD order.
 * `choices` lists keys of which at most one (or, if required, exactly one) may be present:
 * how a substitution group or xs:choice looks in our JSON.
 */
export function sequence<F extends Record<string, Field<z.ZodType>>> (
  typeName: string, fields: F, choices: ChoiceGroup[] = [],
  check?: (value: z.infer<z.ZodObject<Shape<F>>>, ctx: z.RefinementCtx) => void
): z.ZodObject<Shape<F>, z.core.$strict> {
  const shape = Object.fromEntries(Object.entries(fields).map(([key, f]) => [key, f.zod])) as Shape<F>
  let schema = z.strictObject(shape)
  if (check !== undefined) schema = schema.superRefine(check)
  if (choices.length > 0) {
    schema = schema.superRefine((value, ctx) => {
      const record = value as Record<string, unknown>
      for (const group of choices) {
        const present = group.keys.filter((k) => record[k] !== undefined)
        if (present.length > 1) {
          ctx.addIssue({ code: 'custom', path: [present[1] as string], message: `only one of ${group.keys.join(', ')} may be given` })
        } else if (group.required && present.length === 0) {
          ctx.addIssue({ code: 'custom', path: [], message: `one of ${group.keys.join(', ')} is required` })
        }
      }
    })
  }
  layouts.set(schema, {
    typeName,
    fields: Object.entries(fields).map(([key, f]) => ({ key, ...f.layout })),
    choices
  })
  return schema
}

/** Maps a zod issue path (JSON keys and indexes) to the XML path of the same element. */
export function xmlPathOf (rootQName: string, layout: Layout, path: readonly PropertyKey[]): string {
  let out = '/' + rootQName
  let current: Layout | undefined = layout
  // Set when the last key named an array (or a list wrapper): the next segment is an index.
  let arrayOf: { item?: QName, next: Layout | undefined } | undefined
  for (const segment of path) {
    if (typeof segment === 'number') {
      if (arrayOf !== undefined) {
        out += arrayOf.item === undefined ? `[${segment + 1}]` : `/${arrayOf.item}[${segment + 1}]`
        current = arrayOf.next
        arrayOf = undefined
      }
      continue
    }
    const f: FieldLayout | undefined = current?.fields.find((x) => x.key === segment)
    if (f === undefined) {
      out += `/${String(segment)}`
      current = undefined
      continue
    }
    out += f.attribute ? `/@${f.qname}` : `/${f.qname}`
    const c = f.content
    const inner = c.kind === 'complex'
      ? c.layout
      : c.kind === 'list' && c.itemContent.kind === 'complex' ? c.itemContent.layout : undefined
    if (c.kind === 'list') arrayOf = { item: c.item, next: inner }
    else if (f.max > 1) arrayOf = { next: inner }
    else arrayOf = undefined
    current = arrayOf === undefined ? inner : undefined
  }
  return out
}
