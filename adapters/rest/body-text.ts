/**
 * A request body as text, checked before any parser sees it: UTF-8 only (the charset parameter, if
 * any, must say so; invalid bytes are refused, never replaced), and an XML body no deeper than the
 * limit (a parser must not be the one to find out that a document nests 100,000 deep).
 */
import { MarketRefusal } from '../../market/lma/responses.js'

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
const READABLE_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii'])

/** The body's text; 415 for another charset, 400 for bytes that are not UTF-8. */
export function bodyText (contentType: string | undefined, body: Buffer): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1]?.toLowerCase()
  if (charset !== undefined && !READABLE_CHARSETS.has(charset)) throw new MarketRefusal('unsupported', `charset ${charset} is not read here: send UTF-8`)
  try {
    return UTF8.decode(body)
  } catch {
    throw new MarketRefusal('invalid', 'the body is not valid UTF-8')
  }
}

/**
 * Refuses (400) an XML document whose elements nest deeper than `max`, or that declares an encoding
 * other than UTF-8 (415). One pass over the text, no tree built: markup inside comments, CDATA,
 * processing instructions and quoted attribute values is skipped.
 */
export function checkXml (xml: string, max: number): void {
  const encoding = /^\uFEFF?<\?xml[^>]*\sencoding\s*=\s*["']([^"']+)["']/.exec(xml)?.[1]?.toLowerCase()
  if (encoding !== undefined && !READABLE_CHARSETS.has(encoding)) throw new MarketRefusal('unsupported', `encoding ${encoding} is not read here: send UTF-8`)
  let depth = 0
  let i = xml.indexOf('<')
  while (i !== -1) {
    if (xml.startsWith('<!--', i)) i = skipPast(xml, '-->', i)
    else if (xml.startsWith('<![CDATA[', i)) i = skipPast(xml, ']]>', i)
    else if (xml.startsWith('<?', i)) i = skipPast(xml, '?>', i)
    else if (xml.startsWith('<!', i) || xml.startsWith('</', i)) {
      if (xml[i + 1] === '/') depth--
      i = skipPast(xml, '>', i)
    } else {
      const end = tagEnd(xml, i + 1)
      if (end === -1) return // unterminated: the parser says what is wrong
      if (xml[end - 1] !== '/' && ++depth > max) throw new MarketRefusal('invalid', `the XML document nests deeper than ${max} elements`)
      i = end + 1
    }
    if (i === 0) return
    i = xml.indexOf('<', i)
  }
}

/** The index after `token` (0 when it never comes: the scan stops). */
function skipPast (xml: string, token: string, from: number): number {
  const at = xml.indexOf(token, from + 1)
  return at === -1 ? 0 : at + token.length
}

/** The index of the '>' closing a start tag, skipping quoted attribute values; -1 if none. */
function tagEnd (xml: string, from: number): number {
  let quote = ''
  for (let k = from; k < xml.length; k++) {
    const c = xml[k]!
    if (quote !== '') { if (c === quote) quote = ''; continue }
    if (c === '"' || c === "'") quote = c
    else if (c === '>') return k
  }
  return -1
}
