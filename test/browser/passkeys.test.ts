/**
 * Passkeys in a real browser: Chromium's virtual authenticator (CDP `WebAuthn.*`, ctap2, internal,
 * user verification) against a real gateway at http://localhost:<port>. A paired browser registers
 * a passkey on the Devices page; a fresh browser context holding the same authenticator key signs
 * in with it from the pairing page and uses the minted token; once the registering device is
 * revoked, the next sign-in is refused and the browser stays on the pairing page.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, describe, it } from 'node:test'
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core'
import { launch, pairInBrowser } from './support/browser.js'
import { CONFIG, startGateway, type Gateway } from './support/gateway.js'

interface VirtualCredential {
  credentialId: string
  isResidentCredential: boolean
  rpId?: string
  privateKey: string
  userHandle?: string
  signCount: number
}

let gw: Gateway
let browser: Browser
let base: string

async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

/** a fresh context whose page has one virtual platform authenticator, optionally holding `creds` */
async function withAuthenticator(creds: VirtualCredential[] = []): Promise<{ context: BrowserContext; page: Page; cdp: CDPSession; authenticatorId: string }> {
  const context = await browser.newContext()
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  const cdp = await context.newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
  for (const credential of creds) await cdp.send('WebAuthn.addCredential', { authenticatorId, credential })
  return { context, page, cdp, authenticatorId }
}
const credentialsOf = async (cdp: CDPSession, authenticatorId: string) =>
  (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials as VirtualCredential[]
const session = async (page: Page) =>
  JSON.parse((await page.evaluate<string | null>("localStorage.getItem('revka.token:/')")) ?? 'null') as { token: string; deviceId: string } | null

describe('passkeys (browser)', () => {
  before(async () => {
    const port = await freePort()
    base = `http://localhost:${port}`
    gw = await startGateway({
      port,
      config: `${CONFIG}\n[security.webauthn]\nenabled = true\nrp_id = "localhost"\nrp_origin = "${base}"\nallow_sign_in = true\n`,
    })
    browser = await launch()
  })
  after(async () => {
    await browser?.close()
    await gw?.stop()
  })

  it('registers from a paired session, signs in from a fresh context, and stops once the registering device is revoked', async () => {
    const first = await withAuthenticator()
    await pairInBrowser(first.page, base, gw.code, 'Registering laptop')
    const registering = (await session(first.page))!
    await first.page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Devices', exact: true }).click()
    await first.page.getByLabel('Label').fill('Laptop key')
    await first.page.getByRole('button', { name: 'Add a passkey' }).click()
    await first.page.getByRole('status').filter({ hasText: 'Passkey "Laptop key" registered.' }).waitFor()
    await first.page.getByRole('table', { name: 'Passkeys' }).getByText('Laptop key').waitFor()
    const key = await credentialsOf(first.cdp, first.authenticatorId)
    assert.equal(key.length, 1)
    await first.context.close()

    // the same authenticator key in a browser that never paired
    const second = await withAuthenticator(key)
    await second.page.goto(base + '/')
    await second.page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await second.page.getByRole('heading', { name: 'Overview' }).waitFor()
    const minted = (await session(second.page))!
    assert.notEqual(minted.token, registering.token)
    const devices = await fetch(`${base}/api/devices`, { headers: { authorization: `Bearer ${minted.token}` } })
    assert.equal(devices.status, 200)
    const listed = ((await devices.json()) as { devices: { id: string; device_type: string }[] }).devices
    assert.ok(listed.some((d) => d.id === minted.deviceId && d.device_type === 'passkey'))
    const moved = await credentialsOf(second.cdp, second.authenticatorId)
    await second.context.close()

    const checker = (await gw.pair('checker')).token
    const revoke = await fetch(`${base}/api/devices/${registering.deviceId}`, { method: 'DELETE', headers: { authorization: `Bearer ${checker}` } })
    assert.equal(revoke.status, 200)
    const count = async () =>
      ((await (await fetch(`${base}/api/devices`, { headers: { authorization: `Bearer ${checker}` } })).json()) as { count: number }).count
    const before = await count()

    const third = await withAuthenticator(moved)
    await third.page.goto(base + '/')
    await third.page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await third.page.getByText('the device that registered it is no longer paired').waitFor()
    assert.equal(await session(third.page), null)
    await third.page.getByRole('heading', { name: 'Pair this browser' }).waitFor()
    assert.equal(await count(), before)
    await third.context.close()
  })
})
