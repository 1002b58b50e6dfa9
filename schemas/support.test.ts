import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import Ajv2020 from 'ajv/dist/2020.js'
import { canonicalDecimal, fitsScale, fromTicks, plainDecimal, toTicks } from './decimal.js'
import { ISO4217_CURRENCIES } from './iso4217-currencies.js'
import { defaultCtsSchemaDir } from './xsd-validation.js'
import { allPayloadJsonSchemas } from './json-schema.js'
import { EXAMPLES } from './examples.js'
import { PAYLOAD_NAMES } from './registry.js'

describe('decimal ticks', () => {
  it('converts exactly at a scale and refuses finer values', () => {
    expect(toTicks('0.125', 3)).toBe(125n)
    expect(toTicks('-12.5', 3)).toBe(-12500n)
    expect(toTicks('0.1200', 2)).toBe(12n)
    expect(() => toTicks('0.1234', 3)).toThrow(/4 decimal places; this market allows 3/)
    expect(fromTicks(125n, 3)).toBe('0.125')
    expect(fromTicks(-5n, 2)).toBe('-0.05')
    expect(fromTicks(42n, 0)).toBe('42')
    // Safe-integer ticks (the engine's) give the same strings, without a bigint.
    expect(fromTicks(125, 3)).toBe('0.125')
    expect(fromTicks(-5, 2)).toBe('-0.05')
    expect(fromTicks(-Number.MAX_SAFE_INTEGER, 3)).toBe('-9007199254740.991')
    expect(() => fromTicks(2 ** 53, 3)).toThrow(/not a safe integer/)
    expect(() => fromTicks(0.5, 3)).toThrow(/not a safe integer/)
    expect(fitsScale('1.50', 1)).toBe(true)
  })

  it('toTicks and fromTicks are inverse for any integer ticks (no floats involved)', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }), fc.integer({ min: 0, max: 12 }), (ticks, scale) => {
      expect(toTicks(fromTicks(ticks, scale), scale)).toBe(ticks)
    }))
  })

  it('writes JSON exponents and xs:decimal forms as plain decimals', () => {
    expect(plainDecimal('1.5e3')).toBe('1500')
    expect(plainDecimal('-25E-4')).toBe('-0.0025')
    expect(plainDecimal('0.10')).toBe('0.10')
    expect(canonicalDecimal('+007.50')).toBe('7.50')
    expect(canonicalDecimal('.5')).toBe('0.5')
    expect(canonicalDecimal('5.')).toBe('5')
  })
})

describe('currencies', () => {
  it('are exactly the ISO 4217 codes of the CTS schemas (regenerate with npm run gen:currencies)', () => {
    const xsd = readFileSync(`${defaultCtsSchemaDir()}/xsd/clm5ISO42173A.xsd`, 'utf8')
    const codes = [...xsd.matchAll(/<xsd:enumeration value="([A-Z]{3})"/g)].map((m) => m[1])
    expect([...ISO4217_CURRENCIES]).toEqual(codes)
  })
})

describe('published JSON Schema', () => {
  it('exists for every payload and accepts every example', () => {
    const schemas = allPayloadJsonSchemas()
    const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false })
    for (const name of PAYLOAD_NAMES) {
      const validate = ajv.compile(schemas[name])
      expect(validate(EXAMPLES[name]), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true)
    }
  })

  it('rejects what zod rejects, e.g. side BUY', () => {
    const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false })
    const validate = ajv.compile(allPayloadJsonSchemas().eiCreateTender)
    const bad = structuredClone(EXAMPLES.eiCreateTender) as any
    bad.eiTender[0].product.side = 'BUY'
    expect(validate(bad)).toBe(false)
  })
})
