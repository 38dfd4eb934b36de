/**
 * The store's explicit bounds. Whatever a credential can create through the route plugins ends
 * here, so every count and size has a ceiling and a refusal: a single write that is too big is
 * 413 `too_large`, a store that is full is 507 `quota_exceeded`; neither changes anything.
 * Operators can raise or lower them in revka.plugins.json (`store` options).
 */
import type { DomainStoreLimits } from '@revka/plugin-sdk'

export interface StoreOptions {
  max_projects?: number
  max_spaces?: number
  max_items?: number
  max_items_per_space?: number
  max_revisions_per_item?: number
  max_metadata_bytes?: number
  max_artifact_bytes?: number
  max_artifact_bytes_total?: number
  max_artifacts_per_revision?: number
  max_edges?: number
  max_bundle_members?: number
}

export interface StoreLimits extends DomainStoreLimits {
  maxProjects: number
  /** bytes of all artifact files the store wrote itself */
  maxArtifactBytesTotal: number
}

export const DEFAULT_LIMITS: StoreLimits = Object.freeze({
  maxProjects: 1_000,
  maxSpaces: 10_000,
  maxItems: 1_000_000,
  maxItemsPerSpace: 250_000,
  maxRevisionsPerItem: 1_000,
  maxMetadataBytes: 256 * 1024,
  maxArtifactBytes: 32 * 1024 * 1024,
  maxArtifactBytesTotal: 4 * 1024 * 1024 * 1024,
  maxArtifactsPerRevision: 256,
  maxEdges: 1_000_000,
  maxBundleMembers: 1_000,
  maxPageSize: 500,
})

export function storeLimits(o: StoreOptions = {}): StoreLimits {
  const d = DEFAULT_LIMITS
  return Object.freeze({
    maxProjects: o.max_projects ?? d.maxProjects,
    maxSpaces: o.max_spaces ?? d.maxSpaces,
    maxItems: o.max_items ?? d.maxItems,
    maxItemsPerSpace: o.max_items_per_space ?? d.maxItemsPerSpace,
    maxRevisionsPerItem: o.max_revisions_per_item ?? d.maxRevisionsPerItem,
    maxMetadataBytes: o.max_metadata_bytes ?? d.maxMetadataBytes,
    maxArtifactBytes: o.max_artifact_bytes ?? d.maxArtifactBytes,
    maxArtifactBytesTotal: o.max_artifact_bytes_total ?? d.maxArtifactBytesTotal,
    maxArtifactsPerRevision: o.max_artifacts_per_revision ?? d.maxArtifactsPerRevision,
    maxEdges: o.max_edges ?? d.maxEdges,
    maxBundleMembers: o.max_bundle_members ?? d.maxBundleMembers,
    maxPageSize: d.maxPageSize,
  })
}
