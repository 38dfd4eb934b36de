/**
 * The delivery worker in cluster mode: the same attempt as the single-node worker (turn.ts), over
 * the kernel's shared `webhook-queue` instead of the journal on disk. Every node runs one; each
 * leases one delivery at a time (the queue's `SELECT … FOR UPDATE SKIP LOCKED`), renews the lease
 * while the turn and the send run, and looks for work after an enqueue on this node and every
 * `POLL_MS` (a delivery acknowledged by another node, or one whose node died and whose lease ran
 * out). Writes made after the lease was lost land nowhere, so a delivery finishes once.
 */
import type { PluginApi } from '../define.js'
import type { WebhookQueueService } from '../kernel-services.js'
import type { HistoryStore } from './history.js'
import type { ChannelMessage, WebhookProvider } from './provider.js'
import { turnAndSend } from './turn.js'
import { MAX_BACKOFF_MS } from './worker.js'

/** how often a node looks for deliveries it did not acknowledge itself */
export const POLL_MS = 500

export class ClusterDeliveryWorker {
  private draining?: Promise<void>
  private rerun = false
  private stopped = false
  private readonly poll: NodeJS.Timeout
  private readonly inflight = new AbortController()

  constructor(
    private readonly api: PluginApi<any>,
    private readonly p: WebhookProvider<any>,
    private readonly queue: WebhookQueueService,
    private readonly history: HistoryStore,
  ) {
    this.poll = setInterval(() => this.kick(), POLL_MS)
    this.poll.unref()
  }

  kick(): void {
    if (this.stopped) return
    if (this.draining) {
      this.rerun = true
      return
    }
    this.rerun = false
    this.draining = this.drain()
      .catch((e) => this.api.log.warn({ channel: this.p.channel, err: (e as Error).message }, 'webhook queue unreachable; retrying'))
      .finally(() => {
        this.draining = undefined
        if (this.rerun) this.kick()
      })
  }

  /** stop taking work; a delivery in flight keeps its lease until it runs out, then another node takes it */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.poll)
    this.inflight.abort(new Error('gateway stopping'))
    await this.draining
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const d = await this.queue.claim(this.p.channel)
      if (!d) return
      await this.deliver({ ...d, message: d.message as ChannelMessage })
    }
  }

  private async deliver(d: { id: string; attempts: number; message: ChannelMessage; reply?: string }): Promise<void> {
    const { api, p, queue } = this
    // renewed at a third of the lease: two missed renewals still leave it held
    const renew = setInterval(() => void queue.renew(d.id).catch(() => {}), Math.max(100, Math.floor(queue.leaseMs / 3)))
    try {
      const ctx = { api, p, history: this.history, signal: this.inflight.signal, stopped: () => this.stopped }
      if (!(await turnAndSend(ctx, d, (text) => queue.saveReply(d.id, text)))) return
      await queue.finish(d.id, true)
    } catch (e) {
      if (this.stopped) return
      const max = p.maxAttempts ?? 5
      const err = (e as Error)?.message ?? String(e)
      api.log.warn({ channel: p.channel, attempt: d.attempts, err }, 'webhook delivery failed')
      if (d.attempts >= max) {
        await queue.finish(d.id, false)
        api.events.emit('error', { component: `webhook:${p.channel}`, message: `delivery given up after ${d.attempts} attempts: ${err}` })
      } else {
        await queue.retry(d.id, Math.min(MAX_BACKOFF_MS, 500 * 2 ** d.attempts))
      }
    } finally {
      clearInterval(renew)
    }
  }
}
