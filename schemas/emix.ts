/**
 * EMIX products, power units and WS-Calendar streams (emix.xsd, power.xsd, power-products.xsd,
 * ws-calendar-streams-v1.0.xsd), as far as CTS markets use them. Each sequence lists its elements
 * in XSD order.
 *
 * Substitution groups become sibling optional keys of which at most one may be present
 * (e.g. energyReal | energyApparent | energyReactive for power:energyItem). The stream payload of
 * a product or interval is power:temixPower, the one concrete payload the CTS set defines for it.
 */
import { z } from 'zod'
import { one, optional, listOf, sequence } from './sequence.js'
import {
  Currency, DateTime, DateTimeDate, Decimal, Duration, MarketContext, Quantity, Side, SiScaleCode,
  Text, TransactiveState, Uid
} from './simple-types.js'

/** A unit of energy or power: fixed description and units, and an SI scale (kWh = Wh + k). */
function energyUnit (typeName: string, description: string, units: string) {
  return sequence(typeName, {
    itemDescription: one('power:itemDescription', z.literal(description).default(description as never)),
    itemUnits: one('power:itemUnits', z.literal(units).default(units as never)),
    siScaleCode: one('scale:siScaleCode', SiScaleCode)
  })
}

export const EnergyReal = energyUnit('power:EnergyRealType', 'RealEnergy', 'Wh')
export const EnergyApparent = energyUnit('power:EnergyApparentType', 'ApparentEnergy', 'VAh')
export const EnergyReactive = energyUnit('power:EnergyReactiveType', 'ReactiveEnergy', 'VARh')

export const PowerAttributes = sequence('power:PowerAttributesType', {
  hertz: one('power:hertz', Decimal),
  voltage: one('power:voltage', Decimal),
  ac: one('power:ac', z.boolean())
})

function powerUnit<U extends z.ZodType> (typeName: string, description: string, units: U) {
  return sequence(typeName, {
    itemDescription: one('power:itemDescription', z.literal(description).default(description as never)),
    itemUnits: one('power:itemUnits', units),
    siScaleCode: one('scale:siScaleCode', SiScaleCode),
    powerAttributes: one('power:powerAttributes', PowerAttributes)
  })
}

export const PowerReal = powerUnit('power:PowerRealType', 'RealPower', z.enum(['W', 'J/s']))
export const PowerApparent = powerUnit('power:PowerApparentType', 'ApparentPower', z.literal('VA').default('VA'))
export const PowerReactive = powerUnit('power:PowerReactiveType', 'ReactivePower', z.literal('VAR').default('VAR'))

const NodeRef = sequence('power:PnodeType', { node: one('power:node', Uid) })
const MridRef = sequence('power:MeterAssetType', { mrid: one('power:mrid', Uid) })
export const TransportInterface = sequence('power:TransportInterfaceType', {
  pointOfReceipt: one('power:pointOfReceipt', Uid),
  pointOfDelivery: one('power:pointOfDelivery', Uid)
})

/** power:temixPower: price, units and quantity of a transactive power product (all optional in the XSD). */
export const TemixPower = sequence('power:TemixPowerType', {
  // emix:emixInterface substitutes: where the power is delivered.
  pnode: optional('power:pnode', NodeRef),
  aggregatedPnode: optional('power:aggregatedPnode', NodeRef),
  serviceDeliveryPoint: optional('power:serviceDeliveryPoint', NodeRef),
  meterAsset: optional('power:meterAsset', MridRef),
  endDeviceAsset: optional('power:endDeviceAsset', MridRef),
  transportInterface: optional('power:transportInterface', TransportInterface),
  // emix:price/emix:value, written here as the decimal itself.
  price: optional('emix:price', Decimal, { wrap: 'emix:value' }),
  powerReal: optional('power:powerReal', PowerReal),
  powerApparent: optional('power:powerApparent', PowerApparent),
  powerReactive: optional('power:powerReactive', PowerReactive),
  energyReal: optional('power:energyReal', EnergyReal),
  energyApparent: optional('power:energyApparent', EnergyApparent),
  energyReactive: optional('power:energyReactive', EnergyReactive),
  quantity: optional('emix:quantity', Quantity)
}, [
  { keys: ['pnode', 'aggregatedPnode', 'serviceDeliveryPoint', 'meterAsset', 'endDeviceAsset', 'transportInterface'], required: false },
  { keys: ['powerReal', 'powerApparent', 'powerReactive'], required: false },
  { keys: ['energyReal', 'energyApparent', 'energyReactive'], required: false }
])

/** strm:streamInterval: one interval of a stream. It has no time of its own (see Product). */
export const StreamInterval = sequence('strm:StreamIntervalType', {
  uid: one('strm:uid', Uid),
  temixPower: one('power:temixPower', TemixPower)
})

/** The elements every EMIX artefact has (strm:StreamBaseType + emix:EmixBaseType). */
const emixBase = {
  dtStart: optional('xcal:dtStart', DateTimeDate),
  duration: optional('xcal:duration', Duration),
  temixPower: one('power:temixPower', TemixPower),
  intervals: listOf('strm:intervals', 'strm:streamInterval', StreamInterval, 1),
  uid: one('emix:uid', Uid)
}

/**
 * emix:product: what a tender, transaction or quote offers. One interval starts at dtStart and
 * lasts duration; with `intervals`, interval k (in list order) covers
 * [dtStart + k * duration, dtStart + (k + 1) * duration) and carries its own temixPower.
 */
export const Product = sequence('emix:ProductType', {
  ...emixBase,
  transactiveState: one('emix:transactiveState', TransactiveState),
  expirationDate: optional('emix:expirationDate', DateTime),
  integralOnly: optional('emix:integralOnly', z.boolean()),
  currency: optional('emix:currency', Currency),
  marketContext: one('emix:marketContext', MarketContext),
  side: one('emix:side', Side)
})

/** emix:delivery: a report of delivered product; injection = true adds to market supply. */
export const deliveryFields = {
  ...emixBase,
  injection: one('emix:injection', z.boolean())
}
export const Delivery = sequence('emix:DeliveryType', deliveryFields)

/** emix:standardTerms (without standardTermsSet, which no CTS flow uses). */
export const StandardTerms = sequence('emix:StandardTermsType', {
  marketContext: one('emix:marketContext', MarketContext),
  marketContextName: optional('emix:marketContextName', Text),
  temixPower: optional('power:temixPower', TemixPower),
  granularity: optional('xcal:granularity', Duration),
  timeZone: optional('xcal:timeZone', Text.min(1, 'must not be empty')),
  currency: optional('emix:currency', Currency),
  nonStandardTermsHandling: optional('emix:nonStandardTermsHandling', z.enum(['mustAccept', 'ignore', 'mustUnderstand', 'reject']))
})

export type Product = z.infer<typeof Product>
export type TemixPower = z.infer<typeof TemixPower>
export type StreamInterval = z.infer<typeof StreamInterval>
