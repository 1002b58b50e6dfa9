/**
 * A market's price and quantity scale: how many fraction digits its prices and quantities may
 * have (tex:marketRules priceScale / quantityScale). Values finer than that are rejected, never
 * rounded; within it they become exact integer ticks (schemas/decimal.ts).
 */
import { layoutOf, type Layout } from './sequence.js'
import { Product } from './emix.js'
import { fitsScale } from './decimal.js'
import { CtsValidationError, type CtsIssue } from './tree.js'
import { jsonPath, parsePayload } from './codec.js'
import type { Payload, PayloadName } from './registry.js'
import { PAYLOADS } from './registry.js'

export interface MarketScale {
  /** Fraction digits of a price: 3 means steps of 0.001 currency per quantity unit. */
  priceScale: number
  /** Fraction digits of a quantity in the market's unit: 0 means whole units (e.g. whole kWh). */
  quantityScale: number
}

export type ScaleLookup = (marketContext: string) => MarketScale | undefined

const productLayout = layoutOf(Product)!

interface TemixValues { price?: string, quantity?: string }
interface ProductValue { marketContext: string, temixPower: TemixValues, intervals?: Array<{ temixPower: TemixValues }> }

/** Every price and quantity of every product in the payload, checked against its market's scale. */
export function checkScale (name: PayloadName, payload: unknown, scaleOf: ScaleLookup): CtsIssue[] {
  const issues: CtsIssue[] = []
  walk(layoutOf(PAYLOADS[name].schema)!, payload as Record<string, unknown>, [], (product, path) => {
    const scale = scaleOf(product.marketContext)
    if (scale === undefined) {
      issues.push({ path: jsonPath([...path, 'marketContext']), message: `unknown market context ${product.marketContext}` })
      return
    }
    const check = (values: TemixValues, at: PropertyKey[]) => {
      if (values.price !== undefined && !fitsScale(values.price, scale.priceScale)) {
        issues.push({ path: jsonPath([...at, 'price']), message: `price ${values.price} is finer than this market's ${scale.priceScale} decimal places` })
      }
      if (values.quantity !== undefined && !fitsScale(values.quantity, scale.quantityScale)) {
        issues.push({ path: jsonPath([...at, 'quantity']), message: `quantity ${values.quantity} is finer than this market's ${scale.quantityScale} decimal places` })
      }
    }
    check(product.temixPower, [...path, 'temixPower'])
    product.intervals?.forEach((interval, i) => check(interval.temixPower, [...path, 'intervals', i, 'temixPower']))
  })
  return issues
}

function walk (layout: Layout, value: Record<string, unknown>, path: PropertyKey[], visit: (p: ProductValue, path: PropertyKey[]) => void): void {
  if (layout === productLayout) {
    visit(value as unknown as ProductValue, path)
    return
  }
  for (const f of layout.fields) {
    const v = value[f.key]
    if (v === undefined || f.content.kind === 'leaf') continue
    const inner = f.content.kind === 'complex' ? f.content.layout : f.content.itemContent.kind === 'complex' ? f.content.itemContent.layout : undefined
    if (inner === undefined) continue
    if (Array.isArray(v)) v.forEach((item, i) => walk(inner, item as Record<string, unknown>, [...path, f.key, i], visit))
    else walk(inner, v as Record<string, unknown>, [...path, f.key], visit)
  }
}

/** parsePayload, then the scale check: throws CtsValidationError naming every offending path. */
export function parsePayloadForMarket<N extends PayloadName> (name: N, input: unknown, scaleOf: ScaleLookup): Payload<N> {
  const payload = parsePayload(name, input)
  const issues = checkScale(name, payload, scaleOf)
  if (issues.length > 0) throw new CtsValidationError(issues)
  return payload
}
