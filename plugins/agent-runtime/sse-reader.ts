/**
 * Server-sent events from a fetch body: yields each event's `data` (multi-line data joined with
 * `\n`). Parsing is eventsource-parser's (comments, `event:`/`id:`/`retry:` fields, CR, LF and CRLF
 * line ends — OpenAI-compatible servers differ in all of them); this file only adapts a fetch body
 * to it and keeps one choice of ours, below.
 */
import { createParser } from 'eventsource-parser'

export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  const reader = body.getReader()
  const ready: string[] = []
  // an event without a `data:` line is not reported; `event:` and `id:` carry nothing we use
  const parser = createParser({ onEvent: (e) => ready.push(e.data) })
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) {
        // a server that closes without the final blank line still delivered its last event (the
        // SSE spec would drop it): end the open line and the event, as if the blank line came
        parser.feed(decoder.decode() + '\n\n')
      } else parser.feed(decoder.decode(value, { stream: true }))
      while (ready.length) yield ready.shift()!
      if (done) break
    }
  } finally {
    // stops the download when the consumer leaves early (stop, timeout, [DONE])
    await reader.cancel().catch(() => {})
  }
}
