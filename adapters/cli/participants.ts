/**
 * TEUAs with their supervisory controllers, as a process of their own (`te-gateway teua`): each
 * registers with the LMA, serves its REST face, and every few seconds its SC re-plans the next
 * open intervals (cancel what rests, tender again with the position and market it sees now).
 */
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../rest/app.js'
import { HttpLmaClient } from '../rest/lma-client.js'
import { TeuaError, TransactiveEnergyUserAgent } from '../../market/teua/teua.js'
import type { SupervisoryController } from '../../market/sc/controllers.js'
import type { MarketRules } from '../../schemas/extensions.js'
import { durationMs } from '../../market/lma/time.js'

export interface Participants {
  app: FastifyInstance
  teuas: Map<string, TransactiveEnergyUserAgent>
  /** One planning pass over the next open intervals. */
  plan: (now: Date) => Promise<void>
  close: () => Promise<void>
}

export async function startParticipants (options: {
  lmaUrl: string, controllers: SupervisoryController[], market: MarketRules, port: number, host: string, logLevel: string, horizon: number
}): Promise<Participants> {
  const teuas = new Map<string, TransactiveEnergyUserAgent>()
  const app = await buildApp({ teuas, logger: { level: options.logLevel } })
  const url = await app.listen({ port: options.port, host: options.host })
  for (const sc of options.controllers) {
    const { client } = await HttpLmaClient.register(options.lmaUrl, { partyID: sc.partyID, callbackURI: `${url}/teua/${sc.partyID}`, partyRole: sc.kind, marketContext: [options.market.marketContext] })
    teuas.set(sc.partyID, new TransactiveEnergyUserAgent(sc.partyID, client, options.market))
  }
  app.log.info(`${teuas.size} TEUAs at ${url}/teua/{partyID}, trading at ${options.lmaUrl}`)
  const step = durationMs(options.market.duration)
  const gate = durationMs(options.market.gateClosure)
  const round = new Map<string, number>()

  const plan = async (now: Date) => {
    const first = Math.ceil((now.getTime() + gate) / step) * step
    for (let k = 0; k < options.horizon; k++) {
      const dtStart = new Date(first + k * step).toISOString()
      if (new Date(dtStart).getTime() - gate <= now.getTime()) continue
      const r = round.get(dtStart) ?? 0
      round.set(dtStart, r + 1)
      for (const sc of options.controllers) {
        const teua = teuas.get(sc.partyID)!
        for (const t of teua.tenders.values()) if (t.dtStart === dtStart && t.status === 'open') await teua.cancel(t.tenderID).catch(() => false)
        for (const instruction of sc.plan({ dtStart, round: r }, teua.position(dtStart))) {
          await teua.tender({ ...instruction, dtStart }).catch((error: unknown) => {
            if (error instanceof TeuaError) app.log.warn({ partyID: sc.partyID, code: error.responseCode }, error.message)
            else throw error
          })
        }
      }
    }
  }
  return { app, teuas, plan, close: () => app.close() }
}
