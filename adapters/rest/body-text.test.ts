/** The body checks that run before any parser: charsets, UTF-8 bytes, XML depth and encoding. */
import { describe, expect, it } from 'vitest'
import { bodyText, checkXml } from './body-text.js'
import { toXml } from '../../schemas/codec.js'
import { EXAMPLES } from '../../schemas/examples.js'
import { PAYLOAD_NAMES } from '../../schemas/registry.js'

const refusal = (run: () => unknown) => {
  try { run() } catch (error) { return { refusal: (error as { refusal: string }).refusal, message: (error as Error).message } }
  return undefined
}

describe('bodyText', () => {
  it('reads UTF-8 with or without a charset, and refuses other charsets (415) and bytes that are not UTF-8 (400)', () => {
    expect(bodyText('application/json', Buffer.from('{"a":"é"}'))).toBe('{"a":"é"}')
    expect(bodyText('application/json; charset="UTF-8"', Buffer.from('\uFEFF{}'))).toBe('{}')
    expect(refusal(() => bodyText('application/json; charset=utf-16', Buffer.from('{}', 'utf16le')))).toMatchObject({ refusal: 'unsupported' })
    expect(refusal(() => bodyText('application/xml;charset=ISO-8859-1', Buffer.from('<a/>')))).toMatchObject({ refusal: 'unsupported', message: /iso-8859-1/ })
    expect(refusal(() => bodyText('application/json', Buffer.from([0x7b, 0xe9, 0x7d])))).toMatchObject({ refusal: 'invalid', message: /not valid UTF-8/ })
  })
})

describe('checkXml', () => {
  it('counts nesting, not markup inside comments, CDATA, processing instructions or attribute values', () => {
    const two = '<?xml version="1.0"?><a x="1>2" y=\'<b>\'><b/><!-- <c><c><c> --><![CDATA[<d><d><d>]]><?pi <e><e>?><b></b></a>'
    expect(refusal(() => checkXml(two, 2))).toBeUndefined()
    expect(refusal(() => checkXml(`<r>${two}</r>`, 2))).toMatchObject({ refusal: 'invalid', message: /deeper than 2/ })
  })

  it('refuses a declared encoding other than UTF-8 (415)', () => {
    expect(refusal(() => checkXml('<?xml version="1.0" encoding="UTF-16"?><a/>', 5))).toMatchObject({ refusal: 'unsupported' })
    expect(refusal(() => checkXml('<?xml version="1.0" encoding="utf-8"?><a/>', 5))).toBeUndefined()
  })

  it('passes every example CTS payload at the default depth (64)', () => {
    for (const name of PAYLOAD_NAMES) {
      const example = (EXAMPLES as Record<string, unknown>)[name]
      if (example !== undefined) expect(refusal(() => checkXml(toXml(name, example as never), 64)), name).toBeUndefined()
    }
  })
})
