/**
 * `GET /api/sessions/{id}/messages` one page at a time (issue 10 item 3: five concurrent reads of
 * a whole history reached 1.5 GB). A page holds the newest messages older than `?before=` — at
 * most `?limit=` of them and at most the byte budget of JSON-encoded content — oldest first, as
 * the reference answers. When older messages remain, `next_before` is the cursor for them.
 * A client that passes nothing gets the same shape as before: the newest page, plus `next_before`.
 * A single message bigger than the whole budget comes cut, marked `truncated: true`.
 */
import { httpError, type RevkaRequest } from '@revka/plugin-sdk'
import { cutToBytes } from './context.js'
import { HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX, MESSAGE_OVERHEAD_BYTES } from './limits.js'
import { chosenTexts, type Role, type SessionStore } from './session-store.js'

export interface HistoryMessage {
  role: Role
  content: string
  truncated?: true
}

export interface HistoryPage {
  messages: HistoryMessage[]
  next_before?: number
}

/** `?limit` as a page size: absent → the default; otherwise 1…max or a 400. */
export function pageLimit(raw: string | undefined, dflt: number, max: number): number {
  if (raw === undefined || raw === '') return dflt
  const n = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN
  if (!(n >= 1 && n <= max)) throw httpError(400, 'invalid_limit', `limit must be a whole number from 1 to ${max}`)
  return n
}

function beforeId(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN
  if (!(n >= 1)) throw httpError(400, 'invalid_cursor', 'before must be a next_before value from an earlier page')
  return n
}

const jsonBytes = (s: string) => Buffer.byteLength(JSON.stringify(s))

export async function historyPage(store: SessionStore, sid: string, o: { limit: number; before?: number; budgetBytes: number }): Promise<HistoryPage> {
  const budget = o.budgetBytes
  const chosen = await store.newestWithin(sid, { before: o.before, limit: o.limit, budgetBytes: budget, overheadBytes: MESSAGE_OVERHEAD_BYTES })
  // contents are fetched only now (in one read); escaping can make JSON bigger than the raw
  // bytes, so the page is measured again as encoded and ends where the budget does
  const texts = await chosenTexts(store, chosen, budget - MESSAGE_OVERHEAD_BYTES)
  const out: HistoryMessage[] = []
  let left = budget
  let oldest: number | undefined
  for (const [i, m] of chosen.entries()) {
    const room = left - MESSAGE_OVERHEAD_BYTES
    if (out.length === 0 && m.bytes > room) {
      let content = cutToBytes(texts[i], room)
      while (content && jsonBytes(content) > room) content = cutToBytes(content, Math.floor((Buffer.byteLength(content) * room) / jsonBytes(content)) - 1)
      out.push({ role: m.role, content, truncated: true })
    } else {
      const content = texts[i]
      if (out.length && jsonBytes(content) > room) break
      out.push({ role: m.role, content })
    }
    left -= jsonBytes(out[out.length - 1].content) + MESSAGE_OVERHEAD_BYTES
    oldest = m.id
  }
  const page: HistoryPage = { messages: out.reverse() }
  if (oldest !== undefined && (await store.hasOlder(sid, oldest))) page.next_before = oldest
  return page
}

/** The route's answer: `{session_id, messages, session_persistence}` plus `next_before` when older messages remain. */
export async function historyAnswer(store: SessionStore, sid: string, req: RevkaRequest, budgetBytes: number): Promise<Record<string, unknown>> {
  const page = await historyPage(store, sid, {
    limit: pageLimit(req.query.limit, HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX),
    before: beforeId(req.query.before),
    budgetBytes,
  })
  return {
    session_id: sid,
    messages: page.messages,
    session_persistence: true,
    ...(page.next_before !== undefined ? { next_before: page.next_before } : {}),
  }
}
