/**
 * Removing attachments (issue 10 item 6: there was no way to). `DELETE
 * /api/sessions/{id}/attachments/{file_id}` removes one file and its sidecar, for the session's
 * owner only; archiving a session removes its whole folder. Either gives the bytes back to the quota.
 */
import { rm } from 'node:fs/promises'
import { httpError, type PluginApi } from '@revka/plugin-sdk'
import { isValidId, sessionIdParam } from '../ids.js'
import { ownedSession } from '../ownership.js'
import type { SessionStore } from '../session-store.js'
import type { AttachmentFiles } from './files.js'
import { sessionBytes, type AttachmentQuota } from './quota.js'

export function addAttachmentDeleteRoute(api: PluginApi<any>, store: () => SessionStore, files: AttachmentFiles, quota: AttachmentQuota): void {
  api.routes.add({
    method: 'DELETE',
    url: '/api/sessions/:id/attachments/:file_id',
    auth: 'bearer',
    description: 'delete one attachment (the session owner only)',
    handler: async (req) => {
      const sid = sessionIdParam(req.params.id)
      const fileId = req.params.file_id
      if (!isValidId(fileId)) throw httpError(400, 'invalid_file_id', 'Invalid file id: use 1–128 characters of A–Z, a–z, 0–9, "_" or "-"')
      const { owner } = await ownedSession(store(), sid, req.auth)
      await quota.ready()
      const size = await files.remove(sid, fileId)
      if (size === null) throw httpError(404, 'attachment_not_found', 'No such attachment in this session')
      quota.release(size, owner)
      return { deleted: true, session_id: sid, file_id: fileId }
    },
  })
}

/** Removes every attachment of a session of `owner` (it was archived). */
export async function removeSessionFiles(files: AttachmentFiles, quota: AttachmentQuota, sid: string, owner: string | null): Promise<void> {
  await quota.ready()
  // in the cluster the rows go first: a copy left on any node is then never used again
  await files.shared?.removeSession(sid)
  const dir = files.existingSessionDir(sid)
  if (!dir) return
  const bytes = await sessionBytes(dir)
  await rm(dir, { recursive: true, force: true })
  quota.release(bytes, owner)
}
