/**
 * Server-sent events from a fetch body: yields each event's `data` (multi-line data joined with
 * `\n`). Comments (`: keep-alive`), `event:`/`id:` fields and CRLF line ends are handled, because
 * OpenAI-compatible servers differ in all of them.
 */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  const reader = body.getReader()
  let buffer = ''
  let data: string[] = []
  try {
    for (;;) {
      const { value, done } = await reader.read()
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true })
      let nl: number
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '')
        buffer = buffer.slice(nl + 1)
        if (line === '') {
          if (data.length) yield data.join('\n')
          data = []
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''))
        }
        // other fields and `:` comments carry nothing we use
      }
      if (done) break
    }
    // a server that closes without the final blank line still delivered its last event
    const tail = buffer.replace(/\r$/, '')
    if (tail.startsWith('data:')) data.push(tail.slice(5).replace(/^ /, ''))
    if (data.length) yield data.join('\n')
  } finally {
    // stops the download when the consumer leaves early (stop, timeout, [DONE])
    await reader.cancel().catch(() => {})
  }
}
