/**
 * Config: config.toml as the gateway shows it (secrets come back as `***MASKED***` and are restored
 * by the gateway on save when left untouched). A refusal that names a line marks that line and puts
 * the caret on it; a refusal for protected keys says which, and that nothing was written.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, request } from '../api.js'
import { lineOfKey } from '../toml-lines.js'
import { ErrorBox, Page, useFetch } from '../ui.js'

interface SaveAnswer {
  status: string
  restart?: string
  restart_required?: string[]
  changed_keys?: string[]
}

/** caret to the start of line `n` (1-based) and scroll it into view */
function goToLine(ta: HTMLTextAreaElement, n: number): void {
  const lines = ta.value.split('\n')
  const start = lines.slice(0, n - 1).reduce((a, l) => a + l.length + 1, 0)
  ta.focus()
  ta.setSelectionRange(start, start + (lines[n - 1]?.length ?? 0))
  const lh = parseFloat(getComputedStyle(ta).lineHeight) || 18
  ta.scrollTop = Math.max(0, (n - 3) * lh)
}

export function Config() {
  const loaded = useFetch<{ format: string; content: string }>('/api/config')
  const [text, setText] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [errorLine, setErrorLine] = useState<number | null>(null)
  const [saved, setSaved] = useState<SaveAnswer | null>(null)
  const [busy, setBusy] = useState(false)
  const ta = useRef<HTMLTextAreaElement>(null)
  const gutter = useRef<HTMLPreElement>(null)

  useEffect(() => {
    if (loaded.data && text === null) setText(loaded.data.content)
  }, [loaded.data])
  const value = text ?? ''
  const lineCount = value.split('\n').length

  const save = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    setErrorLine(null)
    setSaved(null)
    try {
      const r = await request<SaveAnswer & { content?: string }>('/api/config', { method: 'PUT', body: value, contentType: 'application/toml' })
      setSaved(r)
      if (typeof r.content === 'string') setText(r.content)
    } catch (err) {
      setError(err)
      // the line the gateway names, else where the first refused key is set
      const keys = err instanceof ApiError && Array.isArray(err.body?.keys) ? (err.body.keys as string[]) : []
      const line = err instanceof ApiError && err.body?.line !== undefined ? Number(err.body.line) : keys.length ? (lineOfKey(value, keys[0]) ?? NaN) : NaN
      if (line >= 1) {
        setErrorLine(line)
        if (ta.current) goToLine(ta.current, line)
      }
    } finally {
      setBusy(false)
    }
  }

  const protectedKeys = error instanceof ApiError && error.code === 'config_key_protected' ? ((error.body?.keys as string[] | undefined) ?? []) : null
  return (
    <Page
      title="Config"
      actions={
        <button
          type="button"
          onClick={() => {
            setText(null)
            loaded.reload()
          }}
        >
          Reload
        </button>
      }
    >
      {loaded.error ? <ErrorBox error={loaded.error} /> : null}
      <form onSubmit={save} class="stack">
        <div class="editor">
          <pre class="gutter" aria-hidden="true" ref={gutter}>
            {Array.from({ length: lineCount }, (_, i) => (
              <span key={i} class={errorLine === i + 1 ? 'bad' : ''}>
                {i + 1}
                {'\n'}
              </span>
            ))}
          </pre>
          <textarea
            ref={ta}
            id="config-text"
            aria-label="config.toml"
            spellcheck={false}
            value={value}
            aria-invalid={errorLine ? 'true' : undefined}
            aria-describedby={error ? 'config-error' : undefined}
            onInput={(e) => {
              setText((e.target as HTMLTextAreaElement).value)
              setErrorLine(null)
            }}
            onScroll={(e) => {
              if (gutter.current) gutter.current.scrollTop = (e.target as HTMLTextAreaElement).scrollTop
            }}
          />
        </div>
        <p class="muted">
          Secrets show as <code>***MASKED***</code>; leave them so and the gateway keeps the stored value.
        </p>
        <div>
          <button type="submit" disabled={busy || text === null}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
      <div id="config-error">
        {protectedKeys ? (
          <p class="error" role="alert">
            {errorLine ? `Line ${errorLine}: ` : ''}Not saved: these keys protect the gateway and can be changed only on its own machine (loopback) or with the
            service token: <strong>{protectedKeys.join(', ')}</strong>. Nothing was written.
          </p>
        ) : error ? (
          <p class="error" role="alert">
            {errorLine ? `Line ${errorLine}: ` : ''}
            {(error as Error).message}
          </p>
        ) : null}
      </div>
      {saved && (
        <p class="notice" role="status">
          Saved.{saved.changed_keys?.length ? ` Changed: ${saved.changed_keys.join(', ')}.` : ''}
          {saved.restart_required?.length ? ` A restart is needed for: ${saved.restart_required.join(', ')}.` : ''}
        </p>
      )}
    </Page>
  )
}
