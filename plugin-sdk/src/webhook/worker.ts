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
import { AgentRuntimeRef } from '../agent.js'
import type { DeliveryJournal, QueuedDelivery } from './journal.js'
import type { ConversationHistory } from './history.js'
import type { ChannelMessage, WebhookProvider } from './provider.js'

/** how long one send to the provider API may take before it counts as failed */
export const SEND_TIMEOUT_MS = 30_000
const MAX_BACKOFF_MS = 30_000

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
    const m = d.message
    journal.attempt(d.id)
    try {
      let text = d.reply
      if (text === undefined) {
        const sessionId = `${m.channel}_${m.thread ? `${m.thread}_` : ''}${m.sender}`
        const result = await api.services.get(AgentRuntimeRef).runTurn(
          {
            sessionId,
            // the conversation so far with this contact (in this thread), then the new message
            messages: [...this.history.messages(sessionId, d.id), { role: 'user', content: m.text }],
            signal: this.inflight.signal,
            source: m.channel,
          },
          () => {},
        )
        if (this.stopped) return // the turn may have been cut short: run it again at the next start
        if (result.stopped || result.timedOut) throw new Error(result.timedOut ? 'agent turn timed out' : 'agent turn was stopped')
        text = result.content
        // before the reply is journalled: a crash in between runs the turn again, and the history
        // (keyed by delivery) records it once
        this.history.record(sessionId, d.id, m.text, text)
        journal.saveReply(d.id, text)
      }
      if (text.trim()) {
        const signal = AbortSignal.any([this.inflight.signal, AbortSignal.timeout(SEND_TIMEOUT_MS)])
        await p.send(m, text, { options: api.config as Record<string, unknown>, signal, env: (name: string) => api.gateway.env(name) })
      }
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
