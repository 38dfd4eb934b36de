/**
 * The Devices page's passkeys: those registered for the operator, each with the device that
 * registered it (revoking that device ends the passkey's sign-in), a delete button, and "Add a
 * passkey" for this browser's authenticator. Shown only while the `webauthn` plugin is enabled.
 */
import { useEffect, useState } from 'preact/hooks'
import { request } from '../api.js'
import { passkeyStatus, PASSKEY_USER, registerPasskey, type PasskeyStatus } from '../passkeys.js'
import { ErrorBox, useFetch, when } from '../ui.js'

interface Passkey {
  credential_id: string
  label: string
  registered_at: string
  last_used_at: string | null
  device_id: string | null
  sign_in: boolean
}

export function PasskeyList() {
  const [status, setStatus] = useState<PasskeyStatus | null>(null)
  useEffect(() => {
    passkeyStatus().then(setStatus, () => setStatus(null))
  }, [])
  const list = useFetch<{ credentials: Passkey[] }>(status?.enabled ? `/api/webauthn/credentials?user_id=${PASSKEY_USER}` : null)
  const [label, setLabel] = useState('This browser')
  const [error, setError] = useState<unknown>(null)
  const [notice, setNotice] = useState('')
  if (!status?.enabled) return null

  const act = async (fn: () => Promise<void>) => {
    setError(null)
    setNotice('')
    try {
      await fn()
    } catch (e) {
      setError(e)
    }
    list.reload()
  }
  const add = (e: Event) => {
    e.preventDefault()
    return act(async () => {
      const r = await registerPasskey(label.trim() || 'Passkey')
      setNotice(`Passkey "${r.label}" registered.`)
    })
  }
  const remove = (p: Passkey) =>
    act(async () => {
      if (!confirm(`Delete the passkey "${p.label}"?`)) return
      await request(`/api/webauthn/credentials/${encodeURIComponent(p.credential_id)}`, { method: 'DELETE' })
      setNotice(`Deleted "${p.label}".`)
    })

  return (
    <section aria-labelledby="passkeys-heading">
      <h2 id="passkeys-heading">Passkeys</h2>
      <p>
        {status.sign_in
          ? 'A passkey signs a browser in instead of a pairing code, while the device that registered it stays paired.'
          : 'Passkey sign-in is off ([security.webauthn] allow_sign_in); passkeys are an extra check only.'}
      </p>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {error ? <ErrorBox error={error} /> : null}
      <form onSubmit={add} class="row-actions">
        <label>
          Label <input name="passkey_label" maxLength={120} value={label} onInput={(e) => setLabel((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Add a passkey</button>
      </form>
      {list.data && list.data.credentials.length > 0 && (
        <table class="grid" aria-label="Passkeys">
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Registered</th>
              <th scope="col">Last used</th>
              <th scope="col">Registered by</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.credentials.map((p) => (
              <tr key={p.credential_id}>
                <th scope="row">{p.label}</th>
                <td>{when(p.registered_at)}</td>
                <td>{p.last_used_at ? when(p.last_used_at) : '—'}</td>
                <td>{p.device_id ?? '—'}</td>
                <td>
                  <button type="button" class="danger" onClick={() => remove(p)} aria-label={`Delete the passkey ${p.label}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
