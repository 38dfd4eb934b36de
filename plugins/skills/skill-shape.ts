/**
 * The wire `Skill` (§4) and the revision a POST/PUT body becomes. The SKILL.md body is the
 * artifact `SKILL.md` (a file the store writes); lists show only a 200-byte preview of the
 * metadata `content`, cut at a character boundary (the reference cuts bytes: quirk not copied).
 */
import { csvList, typedBody, type DomainStore, type Item, type Revision, type RevisionInput } from '@revka/plugin-sdk'
import { readFile } from 'node:fs/promises'

export const SKILL_KINDS = ['skill', 'skilldef']
const PREVIEW_BYTES = 200

export interface SkillBody {
  name: string
  description: string
  content: string
  domain: string
  tags?: string[] | null
}

export function skillBody(body: unknown): SkillBody {
  return typedBody(body, { required: ['name', 'description', 'content', 'domain'], lists: ['tags'] }) as SkillBody
}

export function skillRevision(b: SkillBody): RevisionInput {
  return {
    metadata: {
      description: b.description,
      domain: b.domain,
      created_by: 'revka-dashboard',
      tags: (b.tags ?? [])
        .map((t) => t.trim())
        .filter(Boolean)
        .join(','),
    },
    tags: ['published'],
    artifacts: [{ name: 'SKILL.md', file: { content: b.content }, metadata: { kind: 'skill_body' } }],
  }
}

export function preview(s: string): string {
  const b = Buffer.from(s)
  if (b.length <= PREVIEW_BYTES) return s
  // decoding a cut buffer may end in a partial character: drop it rather than emit U+FFFD
  return (
    b
      .subarray(0, PREVIEW_BYTES)
      .toString('utf8')
      .replace(/\uFFFD$/, '') + '...'
  )
}

/** The full body: the SKILL.md artifact's file (only a file inside the store), else metadata `content`. */
export async function skillContent(store: DomainStore, rev: Revision | null): Promise<string> {
  if (!rev) return ''
  const art = await store.getArtifact(`${rev.kref}&a=SKILL.md`)
  if (art) {
    const path = await store.containedArtifactPath(art.location)
    if (path) return readFile(path, 'utf8')
    if (art.metadata.content) return art.metadata.content
  }
  return rev.metadata.content ?? ''
}

export function skillOf(item: Item, rev: Revision | null, content: string): Record<string, unknown> {
  const m = rev?.metadata ?? {}
  return {
    kref: item.kref,
    name: item.item_name,
    item_name: item.item_name,
    deprecated: item.deprecated,
    created_at: item.created_at ?? null,
    description: m.description ?? '',
    content,
    domain: m.domain ?? '',
    tags: csvList(m.tags),
    revision_number: rev?.number ?? 0,
  }
}
