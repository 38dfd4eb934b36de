// The baseline: bare Fastify with the same global body limit, answering JSON of the same size
// as the gateway's /health and /api/status. No auth, no plugins, no hooks.
import Fastify from 'fastify'

const app = Fastify({ bodyLimit: 65536, logger: false })
const health = { status: 'ok', paired: true, require_pairing: true, runtime: { pid: process.pid, updated_at: new Date().toISOString(), uptime_seconds: 1, components: { gateway: { status: 'ok', updated_at: new Date().toISOString(), last_ok: null, last_error: null, restart_count: 0 } } } }
app.get('/health', async () => ({ ...health, runtime: { ...health.runtime, updated_at: new Date().toISOString() } }))
app.get('/api/status', async () => ({ provider: 'offline', model: 'offline-echo', temperature: 0.7, uptime_seconds: 1, gateway_port: 0, locale: 'en', memory_backend: 'none', paired: true, channels: {}, health }))
const addr = await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`listening on ${addr}\n`)
process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
