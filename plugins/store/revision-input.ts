/**
 * The checks of a new revision (or a new artifact on one) that hold on any engine: the revision
 * bound, tag names, artifact names, locations and per-file sizes, every metadata map. Each backend
 * then checks the store-wide byte quota against its own rows and writes the bytes its own way
 * (SQLite: files under the plugin dir; PostgreSQL: bytea rows). Nothing here writes anything.
 */
import { domainError, isSafeSegment, isTagName, type ArtifactFile, type ArtifactInput, type RevisionInput } from '@revka/plugin-sdk'
import { quotaError, type StoreRules } from './rules.js'

export interface CheckedArtifact {
  input: ArtifactInput
  /** the bytes the store writes itself, or null for a location given by the writer */
  bytes: Buffer | null
  /** the artifact's metadata as JSON text */
  metadata: string
}

export interface CheckedRevision {
  tags: string[]
  artifacts: CheckedArtifact[]
  author: string | null
  username: string | null
}

export function checkTag(tag: unknown): string {
  if (typeof tag !== 'string' || !isTagName(tag)) throw domainError('invalid_input', `bad tag "${String(tag)}"`)
  if (tag === 'latest') throw domainError('invalid_input', '"latest" is virtual: it always marks the highest revision')
  return tag
}

export function fileBytes(file: ArtifactFile): Buffer {
  return typeof file.content === 'string' ? Buffer.from(file.content) : Buffer.from(file.content.buffer, file.content.byteOffset, file.content.byteLength)
}

/** 413 for a single file past the per-file bound */
export function checkFileSizes(r: StoreRules, sizes: number[]): void {
  for (const n of sizes) {
    if (n > r.limits.maxArtifactBytes)
      throw domainError('too_large', `An artifact file of ${n} bytes exceeds the store's ${r.limits.maxArtifactBytes}-byte limit`, {
        limit: r.limits.maxArtifactBytes,
      })
  }
}

/** 507 when the store's own files would pass their total quota (`used` = bytes held now) */
export function checkBytesTotal(r: StoreRules, used: number, adding: number, replacing = 0): void {
  if (adding > 0 && used - replacing + adding > r.limits.maxArtifactBytesTotal) {
    throw quotaError(`The store's artifact files would exceed their ${r.limits.maxArtifactBytesTotal}-byte quota`, r.limits.maxArtifactBytesTotal)
  }
}

/** Everything about a revision numbered `number` that can be judged without the engine. */
export function checkRevision(r: StoreRules, number: number, input: RevisionInput): CheckedRevision {
  if (number > r.limits.maxRevisionsPerItem) {
    throw quotaError(`An item keeps at most ${r.limits.maxRevisionsPerItem} revisions`, r.limits.maxRevisionsPerItem)
  }
  r.metadataJson(input.metadata, 'metadata')
  const tags = [...new Set((input.tags ?? []).map(checkTag))]
  const arts = input.artifacts ?? []
  if (!Array.isArray(arts)) throw domainError('invalid_input', 'artifacts must be an array')
  if (arts.length > r.limits.maxArtifactsPerRevision)
    throw quotaError(`A revision holds at most ${r.limits.maxArtifactsPerRevision} artifacts`, r.limits.maxArtifactsPerRevision)
  const names = new Set<string>()
  const out: CheckedArtifact[] = []
  for (const a of arts) {
    if (!isSafeSegment(a?.name)) throw domainError('invalid_input', `bad artifact name "${String(a?.name)}"`)
    if (names.has(a.name)) throw domainError('conflict', `The revision already has an artifact named "${a.name}"`)
    names.add(a.name)
    if (!a.file && (typeof a.location !== 'string' || a.location.length === 0 || a.location.length > 4096))
      throw domainError('invalid_input', `artifact "${a.name}" needs a location or a file`)
    out.push({ input: a, bytes: a.file ? fileBytes(a.file) : null, metadata: '' })
  }
  checkFileSizes(
    r,
    out.filter((a) => a.bytes).map((a) => a.bytes!.length),
  )
  for (const a of out) a.metadata = r.metadataJson(a.input.metadata, `artifact ${a.input.name} metadata`)
  return { tags, artifacts: out, author: input.author ?? null, username: input.username ?? null }
}

/** bytes of the files a revision asks the store to write */
export function ownedBytes(c: CheckedRevision): number {
  return c.artifacts.reduce((n, a) => n + (a.bytes?.length ?? 0), 0)
}

/** The revision's metadata with each `location_metadata_key` set to where its file goes. */
export function revisionMetadata(r: StoreRules, input: RevisionInput, c: CheckedRevision, locationOf: (name: string) => string): string {
  const meta: Record<string, string> = { ...(input.metadata ?? {}) }
  for (const a of c.artifacts) if (a.input.location_metadata_key !== undefined && a.bytes) meta[a.input.location_metadata_key] = locationOf(a.input.name)
  return r.metadataJson(meta, 'metadata')
}
