/**
 * A local OpenAI-compatible model server for the architect's revise test and the runner quota
 * test: every `POST /v1/chat/completions` streams `answer(body)` (awaited: a test can hold a turn
 * open until it lets it go) as chat-completion chunks, and the request bodies are kept so the test
 * can check what the gateway sent.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeModel {
  baseUrl: string
  requests: any[]
  close(): Promise<void>
}

export async function startFakeModel(answer: (body: any) => string | Promise<string>): Promise<FakeModel> {
  const requests: any[] = []
  const server: Server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => {
      raw += c
    })
    req.on('end', async () => {
      const body = JSON.parse(raw || '{}')
      requests.push(body)
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const text = await answer(body)
      for (const part of [text.slice(0, 10), text.slice(10)]) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: part } }] })}\n\n`)
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`)
      res.end('data: [DONE]\n\n')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

export const modelConfig = (baseUrl: string) => `
default_provider = "local"
default_model = "test-model"

[providers.local]
type = "openai-compatible"
base_url = "${baseUrl}"
api_key = "sk-test-architect"
`
