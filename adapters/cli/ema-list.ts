/**
 * A configuration file of EMAs, `{ "emas": [...] }`: each entry checked by its zod schema, each
 * EMA its own party (a party named twice is refused), and an empty list runs none.
 */
import { z } from 'zod'

export function readEmaList<T extends { partyID: string }> (entry: z.ZodType<T>, text: string, file: string): T[] {
  const parsed = z.object({ emas: z.array(entry) }).strict().safeParse(JSON.parse(text))
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`)
  const parties = parsed.data.emas.map((e) => e.partyID)
  const twice = parties.find((p, i) => parties.indexOf(p) !== i)
  if (twice !== undefined) throw new Error(`${file}: party ${twice} appears twice; each EMA is its own party`)
  return parsed.data.emas
}
