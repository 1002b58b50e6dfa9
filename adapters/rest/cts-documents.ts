/**
 * The CTS document service: validate and convert CTS payloads between our JSON form, CTS XML and
 * the official (XMLSpy) JSON form, and publish each payload's JSON Schema. It is the REST face of
 * schemas/; the market's own endpoints come with the LMA.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { fromXml, toXml, parsePayload, CtsValidationError } from '../../schemas/codec.js'
import { fromOfficialJson, toOfficialJsonText } from '../../schemas/official-json.js'
import { payloadJsonSchema } from '../../schemas/json-schema.js'
import { restPlumbing } from './plumbing.js'
import type { RestLimits } from './limits.js'
import { PAYLOADS, PAYLOAD_NAMES, isPayloadName, type PayloadName } from '../../schemas/registry.js'

type Format = 'json' | 'xml' | 'official-json'
const FORMATS: Format[] = ['json', 'xml', 'official-json']

interface ConvertQuery { from?: Format, to?: Format }

function sendBadRequest (reply: FastifyReply, error: unknown) {
  if (error instanceof CtsValidationError) {
    return reply.code(400).send({ valid: false, issues: error.issues })
  }
  throw error
}

function read (name: PayloadName, from: Format, body: unknown) {
  if (from === 'json') return parsePayload(name, body)
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return from === 'xml' ? fromXml(text, name).payload : fromOfficialJson(text, name).payload
}

export const ctsDocuments: FastifyPluginAsync<{ limits: RestLimits }> = async (app, { limits }) => {
  // XML documents arrive as text (UTF-8, size and depth checked); the codec parses them (DOCTYPE refused).
  // A request refused before its document is read is answered {error, responseCode}.
  await app.register(restPlumbing, {
    limits,
    refuse: (_request, reply, refusal) => reply.code(Number(refusal.responseCode)).send({ error: refusal.message, responseCode: refusal.responseCode })
  })

  app.get('/cts/payloads', {
    schema: { summary: 'The CTS payloads this gateway reads and writes', tags: ['cts documents'] }
  }, async () => PAYLOAD_NAMES.map((name) => ({ name, element: PAYLOADS[name].qname, extension: PAYLOADS[name].extension })))

  app.get<{ Params: { name: string } }>('/cts/payloads/:name/schema', {
    schema: {
      summary: "A payload's JSON Schema (our JSON form)",
      tags: ['cts documents'],
      params: { type: 'object', properties: { name: { type: 'string', enum: PAYLOAD_NAMES } }, required: ['name'] }
    }
  }, async (request) => payloadJsonSchema(request.params.name as PayloadName))

  app.post<{ Params: { name: string }, Querystring: ConvertQuery }>('/cts/payloads/:name/convert', {
    schema: {
      summary: 'Validate a payload and convert it between json, xml and official-json',
      description: 'The body is the payload in the `from` format (default: json, or xml for an XML content type). ' +
        'Invalid documents get 400 with every issue and the path where it is.',
      tags: ['cts documents'],
      params: { type: 'object', properties: { name: { type: 'string', enum: PAYLOAD_NAMES } }, required: ['name'] },
      querystring: {
        type: 'object',
        properties: { from: { type: 'string', enum: FORMATS }, to: { type: 'string', enum: FORMATS } }
      }
    }
  }, async (request, reply) => {
    const { name } = request.params
    if (!isPayloadName(name)) return reply.code(404).send({ error: `unknown payload ${name}` })
    const isXml = /xml/.test(request.headers['content-type'] ?? '')
    const from = request.query.from ?? (isXml ? 'xml' : 'json')
    const to = request.query.to ?? 'json'
    let payload
    try {
      payload = read(name, from, request.body)
    } catch (error) {
      return sendBadRequest(reply, error)
    }
    if (to === 'xml') return reply.type('application/xml').send(toXml(name, payload as never))
    if (to === 'official-json') return reply.type('application/json').send(toOfficialJsonText(name, payload as never))
    return payload
  })
}
