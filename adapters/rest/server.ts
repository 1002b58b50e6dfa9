/**
 * Starts the gateway. Configuration through environment variables:
 *   PORT (3000), HOST (127.0.0.1), LOG_LEVEL (info).
 */
import { z } from 'zod'
import { buildApp } from './app.js'

const Config = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')
})

const parsed = Config.safeParse(process.env)
if (!parsed.success) {
  console.error(`invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  process.exit(1)
}
const config = parsed.data

const app = await buildApp({ logger: { level: config.LOG_LEVEL } })
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, 'shutting down')
    void app.close().then(() => process.exit(0))
  })
}
try {
  await app.listen({ port: config.PORT, host: config.HOST })
  app.log.info(`OpenAPI docs at http://${config.HOST}:${config.PORT}/docs`)
} catch (error) {
  app.log.error(error)
  process.exit(1)
}
