/**
 * Test support (not a test): WhatsApp Cloud API webhook deliveries and their Meta signatures, so
 * the delivery, retry and attack tests sign exactly what the plugin verifies.
 */
import { createHmac } from 'node:crypto'

export const APP_SECRET = 'wa-app-secret-for-tests'

/**
 * One text message as the Cloud API delivers it. `contact` adds what a real delivery also carries
 * (the business display number and the sender's profile); the attack tests send the bare minimum.
 */
export function textDelivery(id: string, text: string, o: { contact?: boolean } = {}): string {
  const metadata = o.contact ? { display_phone_number: '15550001111', phone_number_id: '1098' } : { phone_number_id: '1098' }
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata,
              ...(o.contact ? { contacts: [{ profile: { name: 'Ana' }, wa_id: '15551234567' }] } : {}),
              messages: [{ from: '15551234567', id, timestamp: '1700000000', type: 'text', text: { body: text } }],
            },
          },
        ],
      },
    ],
  })
}

/** the `X-Hub-Signature-256` value of `raw` (another key or algorithm for the attack tests) */
export const sign = (raw: string, key = APP_SECRET, algo = 'sha256') => `${algo}=${createHmac(algo, key).update(raw).digest('hex')}`

/** the headers of a correctly signed JSON delivery */
export const signedHeaders = (raw: string) => ({ 'content-type': 'application/json', 'x-hub-signature-256': sign(raw) })
