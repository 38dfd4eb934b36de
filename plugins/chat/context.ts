/**
 * A turn's context: the session's history rebuilt for the runtime within a byte budget (issue 10
 * item 3 — a turn used to load up to 200 messages of up to 1 MiB each, and four sessions at once
 * took the RSS from 76 MB to 1.03 GB). Messages are taken newest first, as metadata, until the
 * next one would not fit; only the contents that fit are read, and attachments are resolved
 * within what is left (so a file stays visible in later turns while room remains).
 */
import type { ChatMessage } from '@revka/plugin-sdk'
import type { AttachmentFiles } from './attachments/files.js'
import { userContent } from './attachments/resolve.js'
import { MESSAGE_OVERHEAD_BYTES } from './limits.js'
import { chosenTexts, type SessionStore } from './session-store.js'

export interface ContextDeps {
  store: SessionStore
  files: AttachmentFiles
  /** whether the runtime takes image parts */
  images: boolean
  /** at most this many messages */
  historyLimit: number
  /** at most this many bytes of content (text, inlined files, images as sent) */
  budgetBytes: number
}

/** Dashboard pages that give the model a hint about what the user is looking at. */
const PAGE_HINTS: Record<string, string> = {
  agent_pool: 'The user is on the Agent Pool page of the dashboard (their saved agents).',
  agent_teams: 'The user is on the Agent Teams page of the dashboard (teams of agents).',
  skills: 'The user is on the Skills page of the dashboard (reusable skills).',
  workflows: 'The user is on the Workflows page of the dashboard (multi-step workflows).',
  canvas: 'The user is on the Canvas page of the dashboard (a shared visual canvas).',
}

/** The conversation for the runtime, oldest first, ending with the newest message. */
export async function turnContext(deps: ContextDeps, sid: string, pageContext?: string): Promise<ChatMessage[]> {
  const { store, budgetBytes } = deps
  // choose by size first, newest first; only then read the contents that fit
  const chosen = await store.newestWithin(sid, { limit: deps.historyLimit, budgetBytes, overheadBytes: MESSAGE_OVERHEAD_BYTES })
  const texts = await chosenTexts(store, chosen, budgetBytes - MESSAGE_OVERHEAD_BYTES)

  const out: ChatMessage[] = []
  let left = budgetBytes
  for (let i = 0; i < chosen.length; i++) {
    const m = chosen[i]
    const room = left - MESSAGE_OVERHEAD_BYTES
    // attachments of newer messages may have used the room an older one was planned into
    if (i > 0 && m.bytes > room) break
    // a cut newest message keeps its first `room` characters (at most `room`·4 bytes, trimmed below)
    let text = m.bytes > room ? cutToBytes(texts[i], room) : texts[i]
    if (i === 0 && m.role === 'user' && pageContext && PAGE_HINTS[pageContext]) text = `[${PAGE_HINTS[pageContext]}]\n\n${text}`
    let bytes = Buffer.byteLength(text)
    let content: ChatMessage['content'] = text
    if (m.role === 'user' && m.attachments.length) {
      const r = await userContent(deps.files, sid, text, m.attachments, deps.images, room)
      content = r.content
      bytes = r.bytes
    }
    // attachments can make an older message bigger than its text: it then stops the walk
    if (i > 0 && bytes + MESSAGE_OVERHEAD_BYTES > left) break
    out.push({ role: m.role, content })
    left -= bytes + MESSAGE_OVERHEAD_BYTES
  }
  return out.reverse()
}

/** The longest prefix of `text` of at most `max` UTF-8 bytes, never splitting a character. */
export function cutToBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text
  const buf = Buffer.from(text).subarray(0, max)
  // drop a trailing partial character rather than emit a replacement character
  return new TextDecoder('utf-8', { fatal: false }).decode(buf).replace(/\uFFFD$/, '')
}
