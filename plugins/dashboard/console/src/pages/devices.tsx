/**
 * Devices: every paired device; revoke (its token dies at once, its sockets and streams close) and
 * rotate (a new token, the old one dies). Rotating this browser's own device keeps it signed in
 * with the new token; revoking it signs this browser out.
 */
import { useState } from 'preact/hooks'
import { loadSession, request, saveSession, signOut } from '../api.js'
import { ErrorBox, Page, useFetch, when } from '../ui.js'
import { PasskeyList } from './passkey-list.js'

interface Device {
  id: string
  name: string | null
  device_type: string | null
  hardware: string | null
  paired_at: string
  last_seen: string
  ip_address: string | null
}

export function Devices() {
  const list = useFetch<{ devices: Device[]; count: number }>('/api/devices')
  const [error, setError] = useState<unknown>(null)
  const [notice, setNotice] = useState<string>('')
  const [code, setCode] = useState<string>('')
  const self = loadSession()?.deviceId

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
  const revoke = (d: Device) =>
    act(async () => {
      const mine = d.id === self
      if (!confirm(mine ? 'Revoke this browser? You will have to pair again.' : `Revoke ${d.name ?? d.id}? Its token stops working at once.`)) return
      await request(`/api/devices/${encodeURIComponent(d.id)}`, { method: 'DELETE' })
      if (mine) signOut()
      else setNotice(`Revoked ${d.name ?? d.id}.`)
    })
  // the old token dies at once; the answer is a new token, or a code the device pairs with again
  // (same device id). This browser re-pairs with its code by itself, so it stays signed in.
  const rotate = (d: Device) =>
    act(async () => {
      const r = await request<{ token?: string; pairing_code?: string }>(`/api/devices/${encodeURIComponent(d.id)}/token/rotate`, { method: 'POST' })
      const label = d.name ?? d.id
      if (d.id === self) {
        let fresh = r.token
        let id = d.id
        if (!fresh && r.pairing_code) {
          const p = await request<{ token: string; device_id?: string }>('/api/pair', {
            method: 'POST',
            auth: false,
            json: { code: r.pairing_code, device_name: d.name ?? undefined },
          })
          fresh = p.token
          id = p.device_id ?? id
        }
        if (!fresh) throw new Error('The gateway answered the rotation without a token or a code')
        saveSession({ token: fresh, deviceId: id })
        setNotice('This browser now uses its new token; the old one no longer works.')
      } else if (r.token) setNotice(`New token for ${label} (shown once; the old one no longer works): ${r.token}`)
      else setNotice(`The old token of ${label} no longer works. Pair it again with the code ${r.pairing_code}.`)
    })
  const initiate = () =>
    act(async () => {
      const r = await request<{ pairing_code: string }>('/api/pairing/initiate', { method: 'POST' })
      setCode(r.pairing_code)
    })

  return (
    <Page
      title="Devices"
      actions={
        <button type="button" onClick={initiate}>
          Pair another device
        </button>
      }
    >
      {code && (
        <p class="notice" role="status">
          Pairing code for the new device: <strong class="code">{code}</strong>
        </p>
      )}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {error ? <ErrorBox error={error} /> : list.error ? <ErrorBox error={list.error} /> : null}
      {list.data && (
        <table class="grid" aria-label="Paired devices">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Paired</th>
              <th scope="col">Last seen</th>
              <th scope="col">Address</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.devices.map((d) => (
              <tr key={d.id} data-device={d.id}>
                <th scope="row">
                  {d.name ?? d.id}
                  {d.id === self ? ' (this browser)' : ''}
                </th>
                <td>{d.device_type ?? '—'}</td>
                <td>{when(d.paired_at)}</td>
                <td>{when(d.last_seen)}</td>
                <td>{d.ip_address ?? '—'}</td>
                <td>
                  <div class="row-actions">
                    <button type="button" onClick={() => rotate(d)} aria-label={`Rotate the token of ${d.name ?? d.id}`}>
                      Rotate
                    </button>
                    <button type="button" class="danger" onClick={() => revoke(d)} aria-label={`Revoke ${d.name ?? d.id}`}>
                      Revoke
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data?.count === 0 && <p>No devices are paired.</p>}
      <PasskeyList />
    </Page>
  )
}
