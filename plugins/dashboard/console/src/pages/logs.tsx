/**
 * Logs: a tail of the gateway log over `/api/daemon/logs` (the last bytes first, then every new
 * line). Keeps the newest KEEP lines; follows the end unless the reader scrolled up.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { useStream } from '../sse.js'
import { Page } from '../ui.js'

const KEEP = 2000

export function Logs() {
  const [lines, setLines] = useState<{ line: string; unavailable?: boolean }[]>([])
  const [text, setText] = useState('')
  const box = useRef<HTMLPreElement>(null)
  const follow = useRef(true)
  const state = useStream('/api/daemon/logs', {}, (e) => {
    if (e.type === 'log' || e.type === 'log_unavailable')
      setLines((old) => [...old, { line: String(e.line), unavailable: e.type === 'log_unavailable' }].slice(-KEEP))
  })
  useEffect(() => {
    const el = box.current
    if (el && follow.current) el.scrollTop = el.scrollHeight
  }, [lines])
  const shown = text ? lines.filter((l) => l.line.toLowerCase().includes(text.toLowerCase())) : lines
  return (
    <Page
      title="Logs"
      actions={
        <span class={`pill pill-${state}`} role="status">
          {state}
        </span>
      }
    >
      <div class="filters">
        <label>
          Contains
          <input type="search" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      <pre
        class="log"
        ref={box}
        tabIndex={0}
        aria-label="Gateway log"
        onScroll={(e) => {
          const el = e.currentTarget
          follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8
        }}
      >
        {shown.map((l) => (l.unavailable ? `! ${l.line}\n` : `${l.line}\n`)).join('')}
      </pre>
    </Page>
  )
}
