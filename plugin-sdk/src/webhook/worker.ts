/**
 * The delivery worker behind `defineWebhook`: takes journalled deliveries one at a time, runs the
 * agent turn, records the reply, sends it through the provider, and retries with backoff. It runs
 * off the request path, so a provider gets its 200 as soon as the delivery is on disk.
 *
 * Why one at a time: replies to one conversation must go out in order, and a personal gateway's
 * volume does not need more. Why a per-delivery "not before" instead of sleeping: a delivery whose
 * provider API is down must not hold back the others.
 */
import type { PluginApi } from '../define.js'
import type { DeliveryJournal, QueuedDelivery } from './journal.js'
import type { ConversationHistory } from './history.js'
import type { ChannelMessage, WebhookProvider } from './provider.js'
import { turnAndSend } from './turn.js'

export const MAX_BACKOFF_MS = 30_000

export class DeliveryWorker {
  private draining?: Promise<void>
  private rerun = false
  private stopped = false
  private timer?: NodeJS.Timeout
  private readonly inflight = new AbortController()
  /** in memory on purpose: after a restart every pending delivery is due at once */
  private readonly notBefore = new Map<string, number>()

  constructor(
    private readonly api: PluginApi<any>,
    private readonly p: WebhookProvider<any>,
    private readonly journal: DeliveryJournal<ChannelMessage>,
    private readonly history: ConversationHistory,
  ) {}

  /** look for due deliveries now (after an enqueue, at start, when a backoff ends) */
  kick(): void {
    if (this.stopped) return
    if (this.draining) {
      this.rerun = true
      return
    }
    this.rerun = false
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined
      if (this.stopped) return
      if (this.rerun) return this.kick()
      this.schedule()
    })
  }

  /** stop taking work, abort the turn or send in flight (it stays pending for the next start) */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.inflight.abort(new Error('gateway stopping'))
    await this.draining?.catch(() => {})
  }

  private schedule(): void {
    let next = Infinity
    for (const d of this.journal.list()) if (d.message) next = Math.min(next, this.notBefore.get(d.id) ?? 0)
    if (next === Infinity) return
    this.timer = setTimeout(
      () => {
        this.timer = undefined
        this.kick()
      },
      Math.max(50, next - Date.now()),
    )
    this.timer.unref()
  }

  private async drain(): Promise<void> {
    for (const d of this.journal.list()) {
      if (this.stopped) return
      if (!d.message) {
        this.journal.finish(d.id, true)
        continue
      } // an idempotency-only record
      if ((this.notBefore.get(d.id) ?? 0) > Date.now()) continue
      await this.deliver(d)
    }
  }

  private async deliver(d: QueuedDelivery<ChannelMessage>): Promise<void> {
    const { api, p, journal } = this
    journal.attempt(d.id)
    try {
      const ctx = { api, p, history: this.history, signal: this.inflight.signal, stopped: () => this.stopped }
      if (!(await turnAndSend(ctx, d, (text) => journal.saveReply(d.id, text)))) return
      journal.finish(d.id, true)
      this.notBefore.delete(d.id)
    } catch (e) {
      if (this.stopped) return
      const max = p.maxAttempts ?? 5
      const err = (e as Error)?.message ?? String(e)
      api.log.warn({ channel: p.channel, attempt: d.attempts, err }, 'webhook delivery failed')
      if (d.attempts >= max) {
        journal.finish(d.id, false)
        this.notBefore.delete(d.id)
        api.events.emit('error', { component: `webhook:${p.channel}`, message: `delivery given up after ${d.attempts} attempts: ${err}` })
      } else {
        this.notBefore.set(d.id, Date.now() + Math.min(MAX_BACKOFF_MS, 500 * 2 ** d.attempts))
      }
    }
  }
}
