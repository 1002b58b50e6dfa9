/** The yardstick: a fastify server with one empty route, as fast as fastify goes on this machine. */
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.post('/empty', async () => ({ ok: true }))
const url = await app.listen({ port: Number(process.argv[2] ?? 0), host: '127.0.0.1' })
process.send?.({ url })
