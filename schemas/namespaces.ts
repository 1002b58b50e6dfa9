/**
 * XML namespaces of the CTS rev 0.4 schema set, with the prefixes the schemas themselves use.
 * `tex` is ours: the te-gateway extensions (schemas/xsd/te-gateway-extensions.xsd).
 */
export const NAMESPACES = {
  pyld: 'http://docs.oasis-open.org/ns/energyinterop/201110/payloads/cts.04',
  ei: 'http://docs.oasis-open.org/ns/energyinterop/201110/cts.04',
  emix: 'http://docs.oasis-open.org/ns/emix/2011/06/cts.04',
  power: 'http://docs.oasis-open.org/ns/emix/2011/06/power/cts.04',
  scale: 'http://docs.oasis-open.org/ns/emix/2011/06/siscale',
  strm: 'http://docs.oasis-open.org/ws-calendar/ns/streams/201606',
  xcal: 'http://docs.oasis-open.org/ws-calendar/ns/min-xcal/2015/12',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  tex: 'urn:te-gateway:cts-extensions:1'
} as const

export type Prefix = keyof typeof NAMESPACES

const PREFIX_BY_URI = new Map<string, Prefix>(
  Object.entries(NAMESPACES).map(([prefix, uri]) => [uri, prefix as Prefix])
)

/** The canonical prefix of a namespace URI, or undefined for a namespace CTS does not use. */
export function prefixOf (uri: string): Prefix | undefined {
  return PREFIX_BY_URI.get(uri)
}
