/**
 * The wire `Agent` (§3) from a store item and its published-or-latest revision, and the revision
 * metadata (§2) a POST/PUT body becomes.
 */
import { csvList, typedBody, type Item, type Metadata, type Revision } from '@revka/plugin-sdk'

export const AGENT_TEXT_FIELDS = ['identity', 'soul', 'tone', 'role', 'agent_type', 'model', 'system_hint'] as const
const AVATAR_KEYS = ['avatar_location', 'avatar_filename', 'avatar_mime', 'avatar_artifact_name'] as const

export interface AgentBody {
  name: string
  identity: string
  soul: string
  expertise?: string[] | null
  tone?: string | null
  role?: string | null
  agent_type?: string | null
  model?: string | null
  system_hint?: string | null
}

export function agentBody(body: unknown): AgentBody {
  return typedBody(body, {
    required: ['name', 'identity', 'soul'],
    optional: ['tone', 'role', 'agent_type', 'model', 'system_hint'],
    lists: ['expertise'],
  }) as AgentBody
}

/** Metadata of a new revision: the body (a full replace), plus the avatar keys kept from `current`. */
export function agentMetadata(b: AgentBody, current: Revision | null): Metadata {
  const m: Metadata = {
    display_name: b.name.trim(),
    expertise: (b.expertise ?? [])
      .map((s) => s.trim())
      .filter(Boolean)
      .join(','),
  }
  for (const f of AGENT_TEXT_FIELDS) m[f] = (b[f] ?? '') as string
  for (const k of AVATAR_KEYS) if (current?.metadata[k]) m[k] = current.metadata[k]
  return m
}

export function agentOf(item: Item, rev: Revision | null, avatarUrl: (location: string | undefined) => string | null): Record<string, unknown> {
  const m = rev?.metadata ?? {}
  const text = Object.fromEntries(AGENT_TEXT_FIELDS.map((f) => [f, m[f] ?? '']))
  return {
    kref: item.kref,
    item_name: item.item_name,
    kind: item.kind,
    name: m.display_name || item.item_name,
    deprecated: item.deprecated,
    created_at: item.created_at ?? null,
    ...text,
    expertise: csvList(m.expertise),
    revision: rev?.number ?? null,
    revision_number: rev?.number ?? null,
    avatar_url: avatarUrl(m.avatar_location),
    avatar_artifact_name: m.avatar_artifact_name ?? null,
    avatar_filename: m.avatar_filename ?? null,
    avatar_mime: m.avatar_mime ?? null,
  }
}
