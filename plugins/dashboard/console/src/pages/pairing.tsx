/**
 * Pairing: the one-time code the gateway printed at start (or `revka get-paircode`, or
 * "pair another device" on the Devices page) becomes this browser's bearer token (`POST /api/pair`).
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, request, saveSession } from '../api.js'
import { ErrorBox, Page } from '../ui.js'
import { passkeyStatus, signInWithPasskey } from '../passkeys.js'

function deviceName(): string {
  const ua = navigator.userAgent
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : 'browser'
  return `Console (${os})`
}

export function Pairing(props: { onPaired: () => void }) {
  const [code, setCode] = useState('')
  const [name, setName] = useState(deviceName)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const codeField = useRef<HTMLInputElement>(null)
  const [passkeys, setPasskeys] = useState(false)
  // the one thing to do here is type the code
  useEffect(() => {
    codeField.current?.focus()
  }, [])
  useEffect(() => {
    passkeyStatus().then(
      (s) => setPasskeys(s.sign_in),
      () => {},
    )
  }, [])

  const passkey = async () => {
    setBusy(true)
    setError(null)
    try {
      const r = await signInWithPasskey()
      saveSession({ token: r.token, deviceId: r.device_id })
      props.onPaired()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const r = await request<{ token: string; device_id?: string }>('/api/pair', {
        method: 'POST',
        auth: false,
        json: { code: code.trim(), device_name: name.trim() || undefined, device_type: 'browser' },
      })
      saveSession({ token: r.token, deviceId: r.device_id })
      props.onPaired()
    } catch (err) {
      setError(
        err instanceof ApiError && (err.status === 400 || err.status === 403)
          ? new Error(`${err.message}. Codes are single use and expire; get a fresh one with \`revka get-paircode\`.`)
          : err,
      )
    } finally {
      setBusy(false)
    }
  }

  return (
    <main id="main" class="pairing">
      <Page title="Pair this browser" focusHeading={false}>
        <p>
          Enter the pairing code the gateway printed when it started (or run <code>revka get-paircode</code> on its machine).
        </p>
        <form onSubmit={submit} class="stack">
          <label>
            Pairing code
            <input
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              maxLength={32}
              value={code}
              onInput={(e) => setCode((e.target as HTMLInputElement).value)}
              ref={codeField}
            />
          </label>
          <label>
            Device name
            <input name="device_name" maxLength={120} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit" disabled={busy || !code.trim()}>
            {busy ? 'Pairing…' : 'Pair'}
          </button>
        </form>
        {passkeys && (
          <button type="button" onClick={passkey} disabled={busy}>
            Sign in with a passkey
          </button>
        )}
        {error ? <ErrorBox error={error} /> : null}
      </Page>
    </main>
  )
}
