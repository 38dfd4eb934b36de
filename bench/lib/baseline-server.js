// The baseline: bare Fastify with the same global body limit, answering exactly the JSON documents
// the gateway answered (captured from it in the same run, passed as a file). No auth, no plugins,
// no hooks: the difference is the gateway's own overhead.
import Fastify from 'fastify'
import { readFileSync } from 'node:fs'

const bodies = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const app = Fastify({ bodyLimit: 65536, logger: false })
for (const [path, doc] of Object.entries(bodies)) app.get(path, async () => doc)
const addr = await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`listening on ${addr}\n`)
process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
