/**
 * The attachment quotas (issue 10 item 6: uploads had no total cap): one for the install, one for
 * the sessions of each credential (so one device cannot fill the install for the others). What is
 * on disk is counted once, lazily, from the files themselves (so it survives restarts and includes
 * files another process wrote); from then on uploads reserve bytes as they stream in, and a chunk
 * that would pass a quota ends the upload with 507 before it is written. Deletions give bytes back.
 * A session without an owner (older than ownership) counts only against the install quota.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { httpError } from '@revka/plugin-sdk'
import { isValidId } from '../ids.js'

export interface AttachmentQuotaOptions {
  root: string
  limitBytes: number
  perCredentialBytes: number
  /** the owner of a session folder found on disk (null: none, or unknown) */
  ownerOf: (sid: string) => Promise<string | null>
}

const DELETE_HINT = 'delete some first (DELETE /api/sessions/{id}/attachments/{file_id})'

export const totalQuotaError = (limit: number) =>
  httpError(507, 'attachment_quota_exceeded', `Attachments are limited to ${limit} bytes on this gateway and this upload would pass it; ${DELETE_HINT}`)

export const ownerQuotaError = (limit: number) =>
  httpError(
    507,
    'attachment_quota_exceeded',
    `The attachments of this credential's sessions are limited to ${limit} bytes and this upload would pass it; ${DELETE_HINT}`,
  )

/** what counts the quotas in cluster mode instead of this node's files (./shared.ts) */
export interface ClusterQuota {
  admit(owner: string | null): Promise<void>
}

export class AttachmentQuota {
  /** stored bytes plus bytes reserved by uploads still streaming: overall, and per owner */
  private total = 0
  private readonly byOwner = new Map<string, number>()
  private counting: Promise<void> | null = null
  /**
   * Cluster mode: the shared rows are counted instead (when each is written); this node's files are
   * partly copies of other nodes' uploads, so its own counts would say nothing about the cluster.
   */
  cluster?: ClusterQuota

  constructor(private readonly o: AttachmentQuotaOptions) {}

  /** Counts what is stored (once); every change of the counts waits for it. */
  ready(): Promise<void> {
    if (this.cluster) return Promise.resolve()
    this.counting ??= (async () => {
      // owners first: a store that cannot answer (a lost cluster engine) leaves nothing half counted
      const found: Array<{ bytes: number; owner: string | null }> = []
      for (const sid of await readdir(this.o.root).catch(() => [] as string[])) {
        if (!isValidId(sid)) continue
        found.push({ bytes: await sessionBytes(join(this.o.root, sid)), owner: await this.o.ownerOf(sid) })
      }
      for (const f of found) this.add(f.bytes, f.owner)
    })().catch((e: unknown) => {
      // counted again by the next caller instead of failing every upload from now on
      this.counting = null
      throw e
    })
    return this.counting
  }

  /** Before an upload's body is read: refused at once when a quota is already used up (cluster mode). */
  async admit(owner: string | null): Promise<void> {
    if (this.cluster) await this.cluster.admit(owner)
    else await this.ready()
  }

  /** Reserves `n` more bytes for an upload to a session of `owner`, or throws 507 past a quota. */
  reserve(n: number, owner: string | null): void {
    if (this.cluster) return
    if (this.total + n > this.o.limitBytes) throw totalQuotaError(this.o.limitBytes)
    if (owner !== null && (this.byOwner.get(owner) ?? 0) + n > this.o.perCredentialBytes) throw ownerQuotaError(this.o.perCredentialBytes)
    this.add(n, owner)
  }

  /** Bytes reserved or stored for `owner` are gone (an upload refused, a file deleted). */
  release(n: number, owner: string | null): void {
    if (!this.cluster) this.add(-n, owner)
  }

  get usedBytes(): number {
    return this.total
  }

  private add(n: number, owner: string | null): void {
    this.total = Math.max(0, this.total + n)
    if (owner === null) return
    const v = Math.max(0, (this.byOwner.get(owner) ?? 0) + n)
    if (v) this.byOwner.set(owner, v)
    else this.byOwner.delete(owner)
  }
}

/** Bytes of the stored files of one session folder. */
export async function sessionBytes(dir: string): Promise<number> {
  let total = 0
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!isValidId(name)) continue
    total += await stat(join(dir, name)).then(
      (s) => (s.isFile() ? s.size : 0),
      () => 0,
    )
  }
  return total
}
