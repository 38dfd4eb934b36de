/**
 * Chat over `/ws/chat`: replies stream in as they are written, tool calls show as they start and
 * get their result when it comes, a running turn can be stopped or steered, and files are uploaded
 * as attachments (`POST /api/sessions/{id}/attachments`) of a session that exists (after its first
 * message). Opening a session from the list resumes it with its history.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { request } from '../api.js'
import { ChatSocket, newSessionId, type Frame } from '../chat-socket.js'
import { ErrorBox, Page } from '../ui.js'
import { SessionList } from './chat-sessions.js'

type Item =
  | { kind: 'user' | 'assistant' | 'thinking' | 'note' | 'error'; text: string; streaming?: boolean }
  | { kind: 'tool'; name: string; args: unknown; output?: string }

const isStreaming = (it: Item) => it.kind === 'assistant' && it.streaming === true
/** the turn is over: what streamed stays as it is, no longer marked as streaming */
const settle = (items: Item[]) => items.map((it) => (isStreaming(it) ? { ...it, streaming: false } : it))

/** Apply one server frame to the transcript. */
function applyFrame(items: Item[], f: Frame): Item[] {
  switch (f.type) {
    case 'chunk': {
      // text continues the streaming message unless a tool call came after it (a new round);
      // notes (queued, steering) in between do not split it
      const i = items.map(isStreaming).lastIndexOf(true)
      if (i >= 0 && !items.slice(i + 1).some((it) => it.kind === 'tool')) {
        const it = items[i] as Item & { text: string }
        return items.map((x, j) => (j === i ? { ...it, text: it.text + f.content } : x))
      }
      return [...items, { kind: 'assistant', text: String(f.content ?? ''), streaming: true }]
    }
    case 'thinking':
      return [...items, { kind: 'thinking', text: String(f.content ?? '') }]
    case 'tool_call':
      return [...items, { kind: 'tool', name: String(f.name), args: f.args }]
    case 'tool_result': {
      const i = items.map((it) => it.kind === 'tool' && it.name === f.name && it.output === undefined).lastIndexOf(true)
      if (i < 0) return [...items, { kind: 'tool', name: String(f.name), args: null, output: String(f.output ?? '') }]
      return items.map((it, j) => (j === i ? { ...(it as Item & { kind: 'tool' }), output: String(f.output ?? '') } : it))
    }
    case 'chunk_reset':
      // the final text follows in `done` and replaces what streamed during the turn
      return items.filter((it) => !isStreaming(it))
    case 'done':
      return [...items, { kind: 'assistant', text: String(f.full_response ?? '') }]
    case 'operator_status':
      return [...items, { kind: 'note', text: `${f.phase}${f.detail ? `: ${f.detail}` : ''}` }]
    case 'stopped':
      return [...settle(items), { kind: 'note', text: String(f.message ?? 'Stopped') }]
    case 'error':
      return [...settle(items), { kind: 'error', text: `${f.message ?? 'Error'}${f.code ? ` (${f.code})` : ''}` }]
    default:
      return items
  }
}

const ENDS_TURN = new Set(['done', 'stopped', 'error'])

export function Chat() {
  const [sid, setSid] = useState(() => new URLSearchParams(location.search).get('session') ?? newSessionId())
  const [items, setItems] = useState<Item[]>([])
  const [exists, setExists] = useState(false)
  const [connected, setConnected] = useState(false)
  const [running, setRunning] = useState(false)
  const [text, setText] = useState('')
  const [files, setFiles] = useState<File[]>([])
  const [error, setError] = useState<unknown>(null)
  const [refresh, setRefresh] = useState(0)
  const [older, setOlder] = useState<number | undefined>()
  const sock = useRef<ChatSocket | null>(null)
  const end = useRef<HTMLDivElement>(null)
  const fileInput = useRef<HTMLInputElement>(null)

  const loadHistory = async (before?: number) => {
    const q = before ? `?before=${before}` : ''
    const r = await request<{ messages: { role: string; content: string }[]; next_before?: number }>(`/api/sessions/${encodeURIComponent(sid)}/messages${q}`)
    const past: Item[] = r.messages.map((m) => ({ kind: m.role === 'user' ? 'user' : m.role === 'assistant' ? 'assistant' : 'note', text: m.content }))
    setItems((old) => [...past, ...old])
    setOlder(r.next_before)
  }

  useEffect(() => {
    setItems([])
    setRunning(false)
    setExists(false)
    setOlder(undefined)
    const s = new ChatSocket(
      sid,
      (f) => {
        if (f.type === 'session_start') {
          setExists(f.message_count > 0)
          if (f.resumed) loadHistory().catch(setError)
          return
        }
        if (f.type === 'done') setRefresh((n) => n + 1)
        if (ENDS_TURN.has(f.type)) setRunning(false)
        setItems((old) => applyFrame(old, f))
      },
      setConnected,
    )
    sock.current = s
    history.replaceState(null, '', `${location.pathname}?session=${sid}`)
    return () => s.close()
  }, [sid])

  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' })
  }, [items])

  const upload = async (f: File): Promise<string> => {
    const form = new FormData()
    form.append('file', f, f.name)
    const r = await request<{ file_id: string }>(`/api/sessions/${encodeURIComponent(sid)}/attachments`, { method: 'POST', body: form })
    return r.file_id
  }

  const send = async (e: Event) => {
    e.preventDefault()
    const content = text.trim()
    if (!content) return
    setError(null)
    if (running) {
      // during a turn the text steers it (a new message would be dropped by the gateway)
      if (sock.current?.send({ type: 'steer', content })) setText('')
      return
    }
    try {
      const ids = await Promise.all(files.map(upload))
      if (!sock.current?.send({ type: 'message', content, ...(ids.length ? { attachments: ids } : {}) }))
        throw new Error('Not connected to the gateway; try again in a moment')
      setItems((old) => [...old, { kind: 'user', text: content + (files.length ? `\n📎 ${files.map((f) => f.name).join(', ')}` : '') }])
      setText('')
      setFiles([])
      if (fileInput.current) fileInput.current.value = ''
      setRunning(true)
      setExists(true)
    } catch (err) {
      setError(err)
    }
  }

  return (
    <Page
      title="Chat"
      actions={
        <span class={`pill pill-${connected ? 'open' : 'retrying'}`} role="status">
          {connected ? 'connected' : 'connecting'}
        </span>
      }
    >
      <div class="chat">
        <SessionList current={sid} refresh={refresh} onOpen={setSid} onNew={() => setSid(newSessionId())} />
        <div class="conversation">
          {older && (
            <button type="button" onClick={() => loadHistory(older).catch(setError)}>
              Earlier messages
            </button>
          )}
          <ol class="transcript" aria-live="polite" aria-label="Conversation">
            {items.map((it, i) => (
              <li key={i} class={`msg msg-${it.kind}`} data-kind={it.kind} data-streaming={isStreaming(it) ? 'true' : undefined}>
                {it.kind === 'tool' ? (
                  <details open>
                    <summary>
                      Tool <strong>{it.name}</strong> {it.output === undefined ? '— running…' : '— done'}
                    </summary>
                    <pre>{JSON.stringify(it.args)}</pre>
                    {it.output !== undefined && <pre class="tool-output">{it.output}</pre>}
                  </details>
                ) : (
                  <p>{it.text}</p>
                )}
              </li>
            ))}
          </ol>
          <div ref={end} />
          {error ? <ErrorBox error={error} /> : null}
          <form class="composer" onSubmit={send}>
            <label for="chat-input">{running ? 'Steer the running turn' : 'Message'}</label>
            <textarea
              id="chat-input"
              rows={3}
              value={text}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey) send(e)
              }}
              placeholder="Enter sends, Shift+Enter adds a line"
            />
            <div class="actions">
              <label class={exists ? 'file' : 'file disabled'}>
                Attach files
                <input
                  ref={fileInput}
                  type="file"
                  multiple
                  disabled={!exists || running}
                  onChange={(e) => setFiles(Array.from((e.target as HTMLInputElement).files ?? []))}
                />
              </label>
              {!exists && <small class="muted">Attachments are possible once the chat has its first message.</small>}
              {files.length > 0 && <small>{files.map((f) => f.name).join(', ')}</small>}
              <button type="submit" disabled={!connected || !text.trim()}>
                {running ? 'Steer' : 'Send'}
              </button>
              <button type="button" class="danger" disabled={!running} onClick={() => sock.current?.send({ type: 'stop' })}>
                Stop
              </button>
            </div>
          </form>
        </div>
      </div>
    </Page>
  )
}
