/**
 * The channel seam: every plugin that talks to a messaging channel (the webhook providers through
 * `defineWebhook`, or any third-party plugin through `defineChannel`) contributes a descriptor to
 * the `channels` hook. The kernel's `channel-registry` service lists them — for `GET /api/channels`
 * and for cron's delivery of a job's output (`delivery.channel` / `delivery.to`). A channel is
 * listed only while its plugin is enabled: the tap goes away with the plugin. `defineChannel` is in
 * `define-channel.ts`: this file holds only the types, which the hook table needs.
 */

/** What a channel knows about itself right now (DOMAIN.md §19 fields, measured, not static). */
export interface ChannelStatus {
  /** its secret/credentials are present, so it can receive (and send when `send` exists) */
  configured: boolean
  /** its inbound route is started and accepting */
  receiving: boolean
  /** inbound messages recorded in its journal */
  message_count: number
  /** RFC 3339 time of the newest inbound message, or null */
  last_message_at: string | null
}

/** A messaging channel as a plugin describes it to the `channels` hook. */
export interface ChannelDescriptor {
  /** the slug: `id` = `name` = `type` on the wire (e.g. `whatsapp`, `nextcloud_talk`) */
  id: string
  display_name: string
  /** the plugin that declared it */
  plugin: string
  status(): ChannelStatus
  /**
   * The inbound count and newest message time where they are kept, when that is not this process
   * (in cluster mode, PostgreSQL): `GET /api/channels` prefers it to `status()`'s two fields, which
   * then hold the last value this node saw. May reject with the 503 `cluster_unavailable`.
   */
  counts?(): Promise<Pick<ChannelStatus, 'message_count' | 'last_message_at'>>
  /**
   * Send `text` to `to` (the recipient as the channel addresses it: a phone number, a room
   * token…). Throw to report a failure; the caller retries. Absent: the channel cannot notify.
   */
  send?(to: string, text: string, signal: AbortSignal): Promise<void>
  /** whether a default notification target is configured (no `to` needed) */
  notificationTargetConfigured?: boolean
}

/** The kernel's `channel-registry` service: every channel enabled plugins contribute. */
export interface ChannelRegistryService {
  /** every enabled channel, ordered by id; a plugin's tap that throws is left out (and logged) */
  list(): Promise<ChannelDescriptor[]>
  get(id: string): Promise<ChannelDescriptor | undefined>
}
