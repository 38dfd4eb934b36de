/**
 * Replies through WATI's session-message API: `POST {api_base_url}/api/v1/sendSessionMessage/{waId}`
 * with the text in the `messageText` query parameter (WATI's shape), bearer-authenticated. Because
 * the text travels in the URL, a long reply is sent as several messages that each keep the URL
 * well under the 8 KiB most servers accept.
 */
import { postJson, resolveSecret, type ChannelMessage, type SendContext } from '@revka/plugin-sdk'

export async function sendWatiText(m: ChannelMessage, text: string, ctx: SendContext): Promise<void> {
  const o = ctx.options as { api_base_url?: string }
  const token = resolveSecret({ env: 'REVKA_WATI_API_TOKEN', config: 'api_token' }, ctx.options, ctx.env)
  if (!token) throw new Error('WATI api_token is not configured (env REVKA_WATI_API_TOKEN or plugins.wati.options.api_token)')
  if (!o.api_base_url) throw new Error('WATI api_base_url is not configured (plugins.wati.options.api_base_url, your tenant endpoint)')
  const waId = String(m.replyTo?.wa_id ?? m.sender)
  const base = `${o.api_base_url.replace(/\/+$/, '')}/api/v1/sendSessionMessage/${encodeURIComponent(waId)}?messageText=`
  for (const part of chunks(text, URL_TEXT_MAX)) {
    await postJson(base + encodeURIComponent(part), undefined, { headers: { authorization: `Bearer ${token}` }, signal: ctx.signal })
  }
}

/** UTF-16 units per message: percent-encoded UTF-8 takes up to 9 characters for one of them */
export const URL_TEXT_MAX = 800

export function chunks(text: string, max: number): string[] {
  const out: string[] = []
  for (let rest = text; rest.length;) {
    let at = rest.length <= max ? rest.length : rest.lastIndexOf(' ', max)
    if (at <= max / 2) at = Math.min(max, rest.length) // no space nearby: cut hard
    // never split a surrogate pair: encodeURIComponent throws on a lone half
    if (at < rest.length && /[\ud800-\udbff]/.test(rest[at - 1])) at--
    out.push(rest.slice(0, at))
    rest = rest.slice(at).replace(/^\s+/, '')
  }
  return out
}
