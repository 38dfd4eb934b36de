/**
 * Telling people: `notify` steps, and the announcement of a paused `human_approval` /
 * `human_input` step. The dashboard hears both on the event bus (`channel_event`, and
 * `human_approval_request` as `/api/channel-events` emits it — in process, with no loopback HTTP
 * call); every other named channel gets the text through the channel registry's `send` (the
 * enabled channel plugins), addressed to `channel_id`. A channel that is missing, cannot send or
 * fails is reported in the step's output_data, never thrown: nobody is left waiting silently.
 */
import type { ChannelRegistryService, EventBus } from '@revka/plugin-sdk'
import { render } from '../interpolate.js'
import type { Scope } from '../interpolate.js'
import type { StepDef } from '../model.js'
import type { LeafExecutor } from '../step-runner.js'

export interface NotifySettings {
  bus: EventBus
  channels: () => ChannelRegistryService | undefined
  sendTimeoutMs: number
}

type Delivery = Record<string, 'delivered' | string>

function channelList(cfg: Record<string, any>): string[] {
  const list: string[] = Array.isArray(cfg.channels) ? cfg.channels : cfg.channel ? [String(cfg.channel)] : []
  return list.length ? [...new Set(list)] : ['dashboard']
}

async function deliver(s: NotifySettings, names: string[], to: string | undefined, text: string, signal: AbortSignal): Promise<Delivery> {
  const out: Delivery = {}
  for (const name of names) {
    if (name === 'dashboard') {
      out[name] = 'delivered'
      continue
    }
    const ch = await s.channels()?.get(name)
    if (!ch?.send) {
      out[name] = `channel '${name}' is not enabled or cannot send`
      continue
    }
    if (!to && !ch.notificationTargetConfigured) {
      out[name] = `channel '${name}' needs channel_id (no default target configured)`
      continue
    }
    try {
      await ch.send(to ?? '', text, AbortSignal.any([signal, AbortSignal.timeout(s.sendTimeoutMs)]))
      out[name] = 'delivered'
    } catch (e) {
      out[name] = `failed: ${(e as Error)?.message ?? String(e)}`
    }
  }
  return out
}

export function notifyExecutor(s: NotifySettings): LeafExecutor {
  return async ({ step, scope, signal, run_id, workflow_name }) => {
    const names = channelList(step.config)
    const title = render(String(step.config.title ?? workflow_name), scope)
    const message = render(String(step.config.message ?? ''), scope)
    const to = step.config.channel_id ? render(String(step.config.channel_id), scope) : undefined
    s.bus.emit('channel_event', { payload: { type: 'workflow_notify', channels: names, content: { title, message }, run_id, step_id: step.id, workflow_name } })
    const delivery = await deliver(s, names, to, `${title}\n\n${message}`, signal)
    const ok = Object.values(delivery).filter((v) => v === 'delivered').length
    if (!ok)
      throw new Error(
        `notify reached no channel: ${Object.entries(delivery)
          .map(([k, v]) => `${k}: ${v}`)
          .join('; ')}`,
      )
    return { output: `notified ${ok} of ${names.length} channels`, output_data: { delivery, title, message } }
  }
}

/** The announcement of a paused human step (§7.4 approval gate, steps 2–3). */
export async function announcePause(
  s: NotifySettings,
  run: { run_id: string; workflow_name: string },
  step: StepDef,
  scope: Scope,
): Promise<Record<string, unknown>> {
  const cfg = step.config
  const names = channelList(cfg)
  const title = render(String(cfg.title ?? (step.type === 'human_approval' ? 'Approval required' : 'Input required')), scope)
  const message = render(String(cfg.message ?? ''), scope)
  const timeout = typeof cfg.timeout === 'number' ? cfg.timeout : step.type === 'human_input' ? 3600 : 0
  const to = cfg.channel_id ? render(String(cfg.channel_id), scope) : undefined
  const payload = {
    type: 'human_approval_request',
    channels: names,
    content: { title, message },
    run_id: run.run_id,
    step_id: step.id,
    timeout,
    workflow_name: run.workflow_name,
    approve_keywords: cfg.approve_keywords ?? ['approve', 'yes'],
    reject_keywords: cfg.reject_keywords ?? ['reject', 'no'],
    input: step.type === 'human_input',
    ...(to ? { channel_id: to } : {}),
  }
  s.bus.emit('channel_event', { payload })
  s.bus.emit('human_approval_request', { run_id: run.run_id, step_id: step.id, workflow_name: run.workflow_name, title, message })
  const text = `${title}\n\n${message}\n\nWorkflow ${run.workflow_name}, run ${run.run_id}, step ${step.id}: answer in the dashboard.`
  return deliver(s, names, to, text, AbortSignal.timeout(s.sendTimeoutMs * 2))
}
