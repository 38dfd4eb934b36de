/**
 * Turning a chat message's `attachments: [file_id]` into what the runtime sees. Ids resolve only
 * inside the message's own session folder. UTF-8 text is inlined (bounded), real images become
 * image parts when the provider takes them, anything else is one line saying what was attached.
 * The type is decided from the bytes, not from the client's claim: a "PNG" that is not one is
 * treated as binary, and text must decode as UTF-8 without NUL bytes.
 */
import { open } from 'node:fs/promises'
import type { ContentPart } from '@revka/plugin-sdk'
import type { AttachmentFiles, AttachmentMeta } from './files.js'

export const INLINE_TEXT_MAX_CHARS = 200_000
/** a UTF-8 character is at most 4 bytes, so this many bytes always hold the inline maximum */
const INLINE_READ_BYTES = INLINE_TEXT_MAX_CHARS * 4
export const MAX_ATTACHMENTS_PER_MESSAGE = 16

async function head(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.alloc(bytes)
    let filled = 0
    while (filled < bytes) {
      const { bytesRead } = await fh.read(buf, filled, bytes - filled, filled)
      if (!bytesRead) break
      filled += bytesRead
    }
    return buf.subarray(0, filled)
  } finally {
    await fh.close()
  }
}

/** The image type the bytes really are, or null. */
export function sniffImage(b: Buffer): string | null {
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png'
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg'
  if (b.length >= 6 && /^GIF8[79]a$/.test(b.subarray(0, 6).toString('latin1'))) return 'image/gif'
  if (b.length >= 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp'
  return null
}

/** The text of the first INLINE_TEXT_MAX_CHARS characters, or null when the bytes are not UTF-8 text. */
export function decodeText(b: Buffer, complete: boolean): string | null {
  if (b.includes(0)) return null
  let text: string
  try {
    // a cut-off file may end inside a multi-byte character: `stream` tolerates that tail
    text = new TextDecoder('utf-8', { fatal: true }).decode(b, { stream: !complete })
  } catch {
    return null
  }
  if (text.length > INLINE_TEXT_MAX_CHARS) {
    let end = INLINE_TEXT_MAX_CHARS
    const c = text.charCodeAt(end - 1)
    if (c >= 0xd800 && c <= 0xdbff) end -= 1 // never split a surrogate pair
    text = text.slice(0, end)
  }
  return text
}

function label(meta: AttachmentMeta): string {
  return `${meta.filename} (${meta.mime}, ${meta.size} bytes)`
}

/** What an image part costs the context: its bytes as the provider sends them (base64). */
export function imageCost(size: number): number {
  return Math.ceil(size / 3) * 4
}

const LEFT_OUT = "— left out: the turn's context budget is used up"

/** One attachment as a content part and what it costs, within `budget` bytes. */
async function partFor(files: AttachmentFiles, sid: string, fileId: string, images: boolean, budget: number): Promise<{ part: ContentPart; bytes: number }> {
  const note = (text: string) => ({ part: { type: 'text', text } as ContentPart, bytes: Buffer.byteLength(text) })
  const found = await files.find(sid, fileId)
  if (!found) return note(`[Attachment ${JSON.stringify(String(fileId).slice(0, 128))} is not available in this session]`)
  const { path, meta } = found
  // never read more of a file than could still fit
  const bytes = await head(path, Math.max(0, Math.min(meta.size, INLINE_READ_BYTES, budget)))
  const image = sniffImage(bytes)
  if (image) {
    if (!images) return note(`[Attached image: ${label(meta)} — the current model cannot view images]`)
    if (imageCost(meta.size) > budget) return note(`[Attached image: ${label(meta)} ${LEFT_OUT}]`)
    return { part: { type: 'image', mime: image, path }, bytes: imageCost(meta.size) }
  }
  if (!bytes.length && meta.size > 0) return note(`[Attached file: ${label(meta)} ${LEFT_OUT}]`)
  const text = decodeText(bytes, bytes.length >= meta.size)
  if (text === null) return note(`[Attached binary file: ${label(meta)} — its contents are not shown]`)
  const cut = Buffer.byteLength(text) < meta.size
  const more = cut ? `\n[… truncated: the first ${text.length} characters are shown]` : ''
  return note(`[Attached file: ${label(meta)}]\n${text}${more}`)
}

/**
 * The user message's content and its size in bytes: the plain text when nothing is attached,
 * otherwise the typed text first and one part per attachment after it, each cut or left out so
 * that the whole stays within `budget` (a one-line note still shows what was attached).
 */
export async function userContent(
  files: AttachmentFiles,
  sid: string,
  text: string,
  attachments: string[],
  images: boolean,
  budget = Number.MAX_SAFE_INTEGER,
): Promise<{ content: string | ContentPart[]; bytes: number }> {
  let bytes = Buffer.byteLength(text)
  if (!attachments.length) return { content: text, bytes }
  const parts: ContentPart[] = [{ type: 'text', text }]
  for (const id of attachments.slice(0, MAX_ATTACHMENTS_PER_MESSAGE)) {
    // room for the note of each attachment still to come
    const p = await partFor(files, sid, id, images, budget - bytes - 256)
    parts.push(p.part)
    bytes += p.bytes
  }
  return { content: parts, bytes }
}
