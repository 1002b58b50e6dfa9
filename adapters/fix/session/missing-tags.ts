/**
 * The required tags a message lacks (jspurefix's `view.missing()`, which walks the message type's
 * dictionary definition, components and groups included, for every message: the costliest of the
 * checks per message in bench/fix.ts). Its answer depends only on the message type and the
 * sequence of tags as received (which fields, in which group instances; values do not matter),
 * and a session sees the same few shapes again and again, so answers are remembered by that
 * sequence, up to a bound.
 */
import type { MsgView } from 'jspurefix'

/** The parts of jspurefix 5.11.4's view read here: the parser's tag positions. */
interface TaggedView {
  structure: { tags: { nextTagPos: number, tagPos: Array<{ tag: number }> } } | null
}

const MAX_SHAPES = 1000

export class MissingTags {
  private readonly byShape = new Map<string, readonly number[]>()

  /** The required tags `view` lacks, as jspurefix's `missing()` gives them. */
  of (msgType: string, view: MsgView): readonly number[] {
    const structure = (view as unknown as TaggedView).structure
    if (structure === null || structure === undefined) return view.missing()
    const { tagPos, nextTagPos } = structure.tags
    let shape = msgType
    for (let i = 0; i < nextTagPos; i++) shape += ',' + String(tagPos[i]!.tag)
    let missing = this.byShape.get(shape)
    if (missing === undefined) {
      missing = view.missing()
      if (this.byShape.size >= MAX_SHAPES) this.byShape.clear()
      this.byShape.set(shape, missing)
    }
    return missing
  }

  get shapes (): number {
    return this.byShape.size
  }
}
