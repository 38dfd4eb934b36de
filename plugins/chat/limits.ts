/**
 * The chat plugin's byte budgets and quotas (issue 10 items 3 and 6), with their documented
 * defaults. Each is an option in revka.plugins.json (`chat.<option>`); the manifest's configSchema
 * bounds them. Memory per request is bounded by the budgets, disk per install and per credential
 * by the quotas.
 */
export const KiB = 1024
export const MiB = 1024 * KiB
export const GiB = 1024 * MiB

export interface ChatOptions {
  first_frame_wait_ms?: number
  turn_timeout_secs?: number
  /** how many persisted messages a turn may send as context (the count cap; the byte budget also applies) */
  history_limit?: number
  /** the largest chat message (or steering note) a socket may send, in UTF-8 bytes */
  max_message_bytes?: number
  /** the bytes of history (text, inlined attachments, images) one turn sends to the runtime */
  context_budget_bytes?: number
  /** the bytes of message content one `GET /api/sessions/{id}/messages` page carries */
  history_page_bytes?: number
  /** total bytes of attachments the install keeps on disk */
  attachments_quota_bytes?: number
  /** bytes of attachments the sessions of one credential may hold */
  attachments_quota_bytes_per_credential?: number
  /** new sessions one credential may create per minute (token bucket, bursts of this size) */
  sessions_per_minute?: number
  /** non-archived sessions one credential may own */
  max_sessions_per_credential?: number
}

export interface ChatLimits {
  historyLimit: number
  maxMessageBytes: number
  contextBudgetBytes: number
  historyPageBytes: number
  attachmentsQuotaBytes: number
  attachmentsQuotaBytesPerCredential: number
  sessionsPerMinute: number
  maxSessionsPerCredential: number
}

export const DEFAULT_LIMITS: ChatLimits = {
  historyLimit: 200,
  maxMessageBytes: 256 * KiB,
  contextBudgetBytes: 1 * MiB,
  historyPageBytes: 1 * MiB,
  attachmentsQuotaBytes: 1 * GiB,
  attachmentsQuotaBytesPerCredential: 256 * MiB,
  sessionsPerMinute: 20,
  maxSessionsPerCredential: 1000,
}

/** messages per history page when `?limit` is absent, and the most a client may ask for */
export const HISTORY_PAGE_DEFAULT = 200
export const HISTORY_PAGE_MAX = 1000
/** sessions per `GET /api/sessions` page when `?limit` is absent, and the most a client may ask for */
export const SESSIONS_PAGE_DEFAULT = 200
export const SESSIONS_PAGE_MAX = 500
/**
 * What one message costs beyond its content when a budget is counted (role, JSON framing): it
 * keeps a history of many tiny messages from escaping a byte budget.
 */
export const MESSAGE_OVERHEAD_BYTES = 64

export function chatLimits(o: ChatOptions): ChatLimits {
  return {
    historyLimit: o.history_limit ?? DEFAULT_LIMITS.historyLimit,
    maxMessageBytes: o.max_message_bytes ?? DEFAULT_LIMITS.maxMessageBytes,
    contextBudgetBytes: o.context_budget_bytes ?? DEFAULT_LIMITS.contextBudgetBytes,
    historyPageBytes: o.history_page_bytes ?? DEFAULT_LIMITS.historyPageBytes,
    attachmentsQuotaBytes: o.attachments_quota_bytes ?? DEFAULT_LIMITS.attachmentsQuotaBytes,
    attachmentsQuotaBytesPerCredential: o.attachments_quota_bytes_per_credential ?? DEFAULT_LIMITS.attachmentsQuotaBytesPerCredential,
    sessionsPerMinute: o.sessions_per_minute ?? DEFAULT_LIMITS.sessionsPerMinute,
    maxSessionsPerCredential: o.max_sessions_per_credential ?? DEFAULT_LIMITS.maxSessionsPerCredential,
  }
}
