/**
 * What the dictionary says of a received message's fields, checked on its fields in wire order
 * (tag, value exactly as received), in the order QuickFIX checks them, each failure a
 * SessionRejectReason with the tag at fault:
 *   structure (before the header's own checks): header, body and trailer in that order (14), no
 *   empty value (4), no tag twice outside a repeating group (13), the required header fields (1);
 *   content: tag numbers the dictionary knows (0), value formats by field type (6), enumerated
 *   values (5), tags defined for the message type (2), NumInGroup counts (16), required fields (1).
 * Everything the checks need of a message type is computed once per type (MessageTable), so a
 * message costs one pass over its fields with map lookups.
 */
import type { FixDefinitions } from 'jspurefix'
import { RejectReason, rejectText } from './fix-constants.js'
import type { FieldPair } from './received.js'

export interface FieldProblem {
  reason: number
  /** RefTagID(371); none when QuickFIX gives none (the whole message is at fault). */
  refTagId?: number
  text: string
}

function problem (reason: number, refTagId?: number): FieldProblem {
  return { reason, refTagId, text: rejectText(reason) }
}

const TRAILER = new Set([93, 89, 10])
const FRAMING = new Set([8, 9, 35])

const INT = /^-?\d+$/
const NON_NEGATIVE_INT = /^\d+$/
// One way to match each value: (\d+\.?\d*) backtracked quadratically on a long run of digits ending badly.
const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/
const UTC_TIMESTAMP = /^\d{8}-\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/
const UTC_TIME_ONLY = /^\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/
const DATE = /^\d{8}$/
const MONTH_YEAR = /^\d{6}(\d{2}|w[1-5])?$/

/** A format check per FIX data type (QuickFIX's convertors); types without one take any value. */
function formatOf (type: string): ((v: string) => boolean) | null {
  switch (type.toUpperCase()) {
    case 'INT': case 'SEQNUM': case 'DAYOFMONTH': case 'TZTIMEONLY':
      return type.toUpperCase() === 'TZTIMEONLY' ? null : (v) => INT.test(v)
    case 'LENGTH': case 'NUMINGROUP':
      return (v) => NON_NEGATIVE_INT.test(v)
    case 'FLOAT': case 'PRICE': case 'QTY': case 'AMT': case 'PRICEOFFSET': case 'PERCENTAGE':
      return (v) => DECIMAL.test(v)
    case 'BOOLEAN':
      return (v) => v === 'Y' || v === 'N'
    case 'CHAR':
      return (v) => v.length === 1
    case 'UTCTIMESTAMP':
      return (v) => UTC_TIMESTAMP.test(v) && validDateTime(v)
    case 'UTCTIMEONLY': case 'TIME':
      return (v) => UTC_TIME_ONLY.test(v)
    case 'UTCDATEONLY': case 'UTCDATE': case 'LOCALMKTDATE': case 'DATE':
      return (v) => DATE.test(v)
    case 'MONTHYEAR':
      return (v) => MONTH_YEAR.test(v)
    default:
      return null
  }
}

function validDateTime (v: string): boolean {
  const month = Number(v.slice(4, 6))
  const day = Number(v.slice(6, 8))
  const hour = Number(v.slice(9, 11))
  const minute = Number(v.slice(12, 14))
  const second = Number(v.slice(15, 17))
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60
}

interface FieldRule {
  format: ((v: string) => boolean) | null
  /** Allowed values, for an enumerated field; several space-separated for a multiple-value one. */
  values: ReadonlySet<string> | null
  multiple: boolean
}

interface GroupRule {
  delimiter: number
  members: ReadonlySet<number>
}

interface SetLike {
  containedTag: Record<number, boolean>
  fields: ReadonlyArray<{ name: string, required: boolean, type: number, definition?: unknown }>
  groups: Map<string, SetLike>
  components: Map<string, SetLike>
  firstSimple: { definition: { tag: number } } | null
  localRequired: Record<number, unknown>
}

interface MessageTable {
  allowed: ReadonlySet<number>
  headerTags: ReadonlySet<number>
  headerRequired: readonly number[]
  bodyRequired: readonly number[]
  groups: ReadonlyMap<number, GroupRule>
  groupMembers: ReadonlySet<number>
}

const checkers = new WeakMap<FixDefinitions, DictionaryCheck>()

export class DictionaryCheck {
  private readonly tables = new Map<string, MessageTable | null>()
  private readonly rules = new Map<number, FieldRule | null>()
  private readonly headerTags: ReadonlySet<number>
  private readonly headerRequired: readonly number[]

  private constructor (private readonly definitions: FixDefinitions) {
    const header = definitions.component.get('StandardHeader') as unknown as SetLike | undefined
    this.headerTags = new Set(header === undefined ? [] : Object.keys(header.containedTag).map(Number))
    this.headerRequired = header === undefined ? [] : Object.keys(header.localRequired).map(Number).filter(t => !FRAMING.has(t))
  }

  /** One checker per dictionary, its tables shared by every session on it. */
  static for (definitions: FixDefinitions): DictionaryCheck {
    let checker = checkers.get(definitions)
    if (checker === undefined) {
      checker = new DictionaryCheck(definitions)
      checkers.set(definitions, checker)
    }
    return checker
  }

  /** Order, empty values, repeated tags, required header fields: what QuickFIX finds while parsing. */
  structure (msgType: string, fields: readonly FieldPair[]): FieldProblem | null {
    const table = this.table(msgType)
    let bodyStarted = false
    let trailerStarted = false
    const seen = new Set<number>()
    for (let i = 0; i < fields.length; i++) {
      const [tag, value] = fields[i] as FieldPair
      if (i >= 3 || !FRAMING.has(tag)) {
        if (TRAILER.has(tag)) trailerStarted = true
        else if (this.headerTags.has(tag)) {
          if (bodyStarted || trailerStarted) return problem(RejectReason.TagOutOfRequiredOrder, tag)
        } else {
          if (trailerStarted) return problem(RejectReason.TagOutOfRequiredOrder, tag)
          bodyStarted = true
        }
      }
      if (value === '') return problem(RejectReason.TagWithoutValue, tag)
      if (table !== null && table.groupMembers.has(tag)) continue
      if (seen.has(tag)) return problem(RejectReason.TagAppearsMoreThanOnce, tag)
      seen.add(tag)
    }
    for (const tag of this.headerRequired) {
      if (!seen.has(tag)) return problem(RejectReason.RequiredTagMissing, tag)
    }
    return null
  }

  /**
   * Tag numbers, formats, enumerations, tags of the message type, group counts, required fields.
   * `transport`: a FIXT.1.1 session message, checked against the transport layer alone (its header,
   * trailer and session messages), where an application tag is an invalid tag number (QuickFIX).
   */
  content (msgType: string, fields: readonly FieldPair[], transport = false): FieldProblem | null {
    const table = this.table(msgType)
    if (table === null) return problem(RejectReason.InvalidMsgType)
    const present = new Set<number>()
    for (let i = 0; i < fields.length; i++) {
      const [tag, value] = fields[i] as FieldPair
      present.add(tag)
      const rule = this.rule(tag)
      if (rule === null || (transport && !this.transportTags().has(tag))) return problem(RejectReason.InvalidTagNumber, tag)
      if (rule.format !== null && !rule.format(value)) return problem(RejectReason.IncorrectDataFormat, tag)
      if (rule.values !== null && !(rule.multiple ? value.split(' ').every(v => rule.values?.has(v)) : rule.values.has(value))) {
        return problem(RejectReason.ValueIsIncorrect, tag)
      }
      if (!table.allowed.has(tag)) return problem(RejectReason.TagNotDefinedForMsgType, tag)
      const group = table.groups.get(tag)
      if (group !== undefined && countInstances(fields, i + 1, group) !== Number(value)) {
        return problem(RejectReason.IncorrectNumInGroupCount, tag)
      }
    }
    for (const tag of table.bodyRequired) {
      if (!present.has(tag)) return problem(RejectReason.RequiredTagMissing, tag)
    }
    return null
  }

  private transport: ReadonlySet<number> | undefined

  /** Tags of the FIXT.1.1 transport layer: header, trailer, and the session messages' fields. */
  private transportTags (): ReadonlySet<number> {
    if (this.transport === undefined) {
      const tags = new Set<number>([...this.headerTags, ...TRAILER])
      for (const msgType of ['0', '1', '2', '3', '4', '5', 'A']) {
        const table = this.table(msgType)
        if (table !== null) for (const t of table.allowed) tags.add(t)
      }
      this.transport = tags
    }
    return this.transport
  }

  private rule (tag: number): FieldRule | null {
    let rule = this.rules.get(tag)
    if (rule === undefined) {
      const simple = this.definitions.tagToSimple[tag]
      if (simple === undefined) {
        rule = null
      } else {
        const type = simple.type.toUpperCase()
        const multiple = type === 'MULTIPLEVALUESTRING' || type === 'MULTIPLECHARVALUE' || type === 'MULTIPLESTRINGVALUE'
        rule = {
          format: formatOf(simple.type),
          values: simple.isEnum() ? new Set(simple.enums.keys()) : null,
          multiple
        }
      }
      this.rules.set(tag, rule)
    }
    return rule
  }

  private table (msgType: string): MessageTable | null {
    let table = this.tables.get(msgType)
    if (table === undefined) {
      const message = this.definitions.message.get(msgType) as unknown as SetLike | undefined
      table = message === undefined ? null : this.compile(message)
      this.tables.set(msgType, table)
    }
    return table
  }

  private compile (message: SetLike): MessageTable {
    const allowed = new Set<number>([...this.headerTags, ...TRAILER, ...Object.keys(message.containedTag).map(Number)])
    const groups = new Map<number, GroupRule>()
    const groupMembers = new Set<number>()
    const visit = (set: SetLike): void => {
      for (const field of set.fields) {
        const definition = field.definition as (SetLike & { noOfField?: { tag: number } | null }) | undefined
        if (definition === undefined || definition.containedTag === undefined) continue
        const noOfField = definition.noOfField
        if (noOfField != null && definition.firstSimple !== null) {
          const members = new Set(Object.keys(definition.containedTag).map(Number))
          groups.set(noOfField.tag, { delimiter: definition.firstSimple.definition.tag, members })
          for (const m of members) groupMembers.add(m)
        }
        visit(definition)
      }
    }
    visit(message)
    return {
      allowed,
      headerTags: this.headerTags,
      headerRequired: this.headerRequired,
      bodyRequired: Object.keys(message.localRequired).map(Number),
      groups,
      groupMembers
    }
  }
}

/** How many instances of `group` follow position `from`: its delimiter counted while its members continue. */
function countInstances (fields: readonly FieldPair[], from: number, group: GroupRule): number {
  let count = 0
  for (let i = from; i < fields.length; i++) {
    const tag = (fields[i] as FieldPair)[0]
    if (!group.members.has(tag)) break
    if (tag === group.delimiter) count++
  }
  return count
}
