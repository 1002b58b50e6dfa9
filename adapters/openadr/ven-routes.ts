/**
 * The VEN's own simple-HTTP endpoints, for a VTN that pushes (oadrHttpPullModel false): POST
 * {prefix}/EiEvent, /EiReport, /EiRegisterParty. A pushed message is read as defensively as
 * anything received and handled as a polled one is (OadrVen.onVtnMessage). The HTTP answer is
 * an oadrResponse; what the VEN has to say about the message (its oadrCreatedEvent, for one)
 * goes to the VTN as its own request, as it does in pull mode.
 */
import type { FastifyPluginAsync } from 'fastify'
import { MAX_MESSAGE_BYTES, OadrInputError, writeOadr } from './envelope.js'
import { response } from './events.js'
import { receiveOadr } from './model.js'
import { OADR_CODES, type OadrVen } from './ven.js'

export const VEN_SERVICES = ['EiEvent', 'EiReport', 'EiRegisterParty'] as const

export const venRoutes: FastifyPluginAsync<{ ven: OadrVen }> = async (app, { ven }) => {
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string', bodyLimit: MAX_MESSAGE_BYTES }, (_req, body, done) => done(null, body))
  for (const service of VEN_SERVICES) {
    app.post(`/OpenADR2/Simple/2.0b/${service}`, { schema: { summary: `OpenADR 2.0b ${service}, pushed by the VTN to this VEN`, tags: ['openadr'] } }, async (request, reply) => {
      const body = typeof request.body === 'string' ? request.body : ''
      let received
      try {
        received = await receiveOadr(body)
      } catch (error) {
        if (error instanceof OadrInputError) return reply.code(error.status).type('text/plain').send(error.message)
        throw error
      }
      const m = received.payload.message as { requestID?: string, vtnID?: string }
      const requestID = m.requestID ?? ''
      const answer = (code: string, description: string) => reply.type('application/xml').send(writeOadr(response(code, description, requestID, ven.venID)))
      if (ven.venID === undefined) return answer(OADR_CODES.invalidID, 'this VEN is not registered')
      if (m.vtnID !== undefined && m.vtnID !== ven.vtnID) return answer(OADR_CODES.invalidID, `unknown vtnID ${m.vtnID}`)
      try {
        await ven.onVtnMessage(received)
      } catch (error) {
        request.log.warn({ err: error }, 'a pushed OpenADR message could not be handled')
        return answer(OADR_CODES.deploymentError, (error as Error).message.slice(0, 200))
      }
      return answer('200', 'OK')
    })
  }
}
