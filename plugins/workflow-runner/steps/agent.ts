/**
 * `agent` steps: one turn through the agent runtime. The system prompt is the assigned agent's
 * identity, soul, expertise, tone, role and hint (an `agent` item of `/<harness>/AgentPool`,
 * published-else-latest revision), then the bodies of the step's skills (SKILL.md artifacts of
 * `/<memory>/Skills`, or the krefs named); only the tools the step names are offered
 * (`tools: [a, b]` → allowedTools; `all`; anything else: no tools). Everything the turn does goes
 * to the agent's run log.
 */
import { readFile } from 'node:fs/promises'
import { slugify, type AgentRuntimeService, type DomainStore, type Metadata } from '@revka/plugin-sdk'
import { agentIdFor, type RunLogs } from '../activity.js'
import { render } from '../interpolate.js'
import type { LeafExecutor, StepContext } from '../step-runner.js'

export interface AgentSettings {
  runtime: () => AgentRuntimeService
  store: () => DomainStore
  projects: () => { harness: string; memory: string }
  logs: RunLogs
}

const SKILL_CAP = 64 * 1024

async function agentProfile(s: AgentSettings, assign: string): Promise<Metadata> {
  const kref = `kref://${s.projects().harness}/AgentPool/${slugify(assign)}.agent`
  const item = await s.store().getItem(kref)
  if (!item || item.kind !== 'agent') throw new Error(`agent '${assign}' is not in the agent pool (${kref})`)
  const rev = await s.store().currentRevision(item.kref)
  return { ...(rev?.metadata ?? {}), display_name: rev?.metadata.display_name || item.item_name }
}

async function skillBody(s: AgentSettings, ref: string): Promise<{ name: string; body: string }> {
  const store = s.store()
  const kref = ref.startsWith('kref://') ? ref : `kref://${s.projects().memory}/Skills/${slugify(ref)}.skill`
  const rev = kref.includes('?') ? await store.getRevision(kref) : await store.currentRevision(kref)
  if (!rev) throw new Error(`skill '${ref}' was not found (${kref})`)
  const art = await store.getArtifact(`${rev.kref}&a=SKILL.md`)
  const path = art ? await store.containedArtifactPath(art.location) : null
  const body = path ? await readFile(path, 'utf8') : (rev.metadata.content ?? rev.metadata.description ?? '')
  return {
    name: rev.item_kref
      .split('/')
      .pop()!
      .replace(/\.[^.]+$/, ''),
    body: body.length > SKILL_CAP ? body.slice(0, SKILL_CAP) + '\n…' : body,
  }
}

function systemPrompt(ctx: StepContext, agent: Metadata | null, skills: Array<{ name: string; body: string }>, role: string, fields: string[]): string {
  const parts: string[] = []
  if (agent) {
    parts.push(`You are ${agent.display_name}.`)
    if (agent.identity) parts.push(`Identity: ${agent.identity}`)
    if (agent.soul) parts.push(`Soul: ${agent.soul}`)
    if (agent.expertise) parts.push(`Expertise: ${agent.expertise}`)
    if (agent.tone) parts.push(`Tone: ${agent.tone}`)
    if (agent.system_hint) parts.push(agent.system_hint)
  }
  if (role) parts.push(`Your role in this step: ${role}`)
  for (const sk of skills) parts.push(`## Skill: ${sk.name}\n${sk.body}`)
  parts.push(`You are running step '${ctx.step.id}' of the workflow '${ctx.workflow_name}' (run ${ctx.run_id}).`)
  if (fields.length) parts.push(`End your answer with one JSON object holding the fields: ${fields.join(', ')}.`)
  return parts.join('\n\n')
}

/** the named fields from the last JSON object in the reply, if there is one */
function fieldsFrom(text: string, fields: string[]): Record<string, unknown> {
  if (!fields.length) return {}
  for (const m of [...text.matchAll(/\{[\s\S]*?\}(?=[^}]*$)|\{[\s\S]*\}/g)].reverse()) {
    try {
      const o = JSON.parse(m[0])
      if (o && typeof o === 'object') return Object.fromEntries(fields.filter((f) => f in o).map((f) => [f, o[f]]))
    } catch {
      /* not JSON: try the next candidate */
    }
  }
  return {}
}

export function agentExecutor(s: AgentSettings): LeafExecutor {
  return async (ctx) => {
    const { step, scope, signal } = ctx
    const cfg = step.config
    const agentId = agentIdFor(ctx.run_id, step.id)
    const log = (e: Parameters<RunLogs['append']>[1]) => s.logs.append(agentId, e)
    const profile = step.assign ? await agentProfile(s, step.assign) : null
    const skills = await Promise.all(step.skills.map((k) => skillBody(s, k)))
    const role = String(cfg.role ?? profile?.role ?? '')
    const agentType = String(cfg.agent_type ?? profile?.agent_type ?? 'agent')
    const fields: string[] = cfg.output_fields ?? []
    const prompt = render(String(cfg.prompt ?? step.action ?? step.description ?? ''), scope)
    const named: string[] = Array.isArray(cfg.tools) ? [...cfg.tools, ...(cfg.required_tools ?? [])] : (cfg.required_tools ?? [])
    const tools = cfg.tools === 'all' || named.length > 0
    log({
      type: 'start',
      title: `${ctx.workflow_name} / ${step.name ?? step.id}`,
      agent_type: agentType,
      run_id: ctx.run_id,
      step_id: step.id,
      assign: step.assign ?? null,
      skills: step.skills,
    })
    log({ type: 'message', role: 'user', content: prompt })
    try {
      const r = await s.runtime().runTurn(
        {
          sessionId: `workflow_${ctx.run_id}_${step.id}`,
          messages: [
            { role: 'system', content: systemPrompt(ctx, profile, skills, role, fields) },
            { role: 'user', content: prompt },
          ],
          signal,
          source: 'workflow',
          tools,
          ...(named.length ? { allowedTools: named } : {}),
          ...(cfg.model || profile?.model ? { model: String(cfg.model || profile?.model) } : {}),
        },
        (e) => {
          if (e.type === 'tool_call') log({ type: 'tool_call', id: e.id, name: e.name, args: e.args })
          else if (e.type === 'tool_result') log({ type: 'tool_result', id: e.id, name: e.name, success: e.success, output: e.output.slice(0, 4000) })
        },
      )
      log({ type: 'message', role: 'assistant', content: r.content })
      log({
        type: 'usage',
        input_tokens: r.usage.input_tokens,
        output_tokens: r.usage.output_tokens,
        cost_usd: r.cost_usd,
        model: r.model,
        provider: r.provider,
      })
      if (r.timedOut) throw new Error('the agent turn timed out')
      if (r.stopped) throw new Error('the agent turn was stopped')
      return { output: r.content, output_data: fieldsFrom(r.content, fields), agent_id: agentId, agent_type: agentType, role, skills: step.skills }
    } catch (e) {
      log({ type: 'error', message: (e as Error)?.message ?? String(e) })
      throw e
    }
  }
}
