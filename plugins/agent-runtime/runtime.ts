/**
 * The `agent-runtime` service object. It exists from setup (so dependents can hold a reference),
 * but serves turns only once `configure` has run in start with valid settings; after stop it
 * refuses again, so a turn never runs against a half-torn-down gateway.
 */
import {
  AgentTurnError,
  type AgentRuntimeService,
  type ProviderModelList,
  type ProviderCheck,
  type AgentTool,
  type EventBus,
  type Logger,
  type TurnEvent,
  type TurnRequest,
  type TurnResult,
} from '@revka/plugin-sdk'
import { OfflineProvider } from './offline.js'
import { OpenAiCompatibleProvider } from './openai-compatible.js'
import { AnthropicProvider } from './anthropic.js'
import type { ModelProvider } from './provider.js'
import type { ProviderSpec, RuntimeSettings } from './settings.js'
import type { ModelRoute } from './model-call.js'
import { runTurn } from './turn.js'
import { checkRoutes, ModelLister } from './models.js'

export function createProvider(spec: ProviderSpec): ModelProvider {
  if (spec.type === 'offline') return new OfflineProvider(spec)
  // gemini is Google's OpenAI-compatible endpoint: the same wire, its own default base_url
  return spec.type === 'anthropic' ? new AnthropicProvider(spec) : new OpenAiCompatibleProvider(spec)
}

export class AgentRuntime implements AgentRuntimeService {
  private active: { settings: RuntimeSettings; routes: ModelRoute[] } | undefined
  private readonly lister = new ModelLister()

  constructor(private readonly deps: { listTools: () => Promise<AgentTool[]>; events: EventBus; log: Logger }) {}

  configure(settings: RuntimeSettings): void {
    const routes = [{ spec: settings.provider, model: settings.model }, ...settings.fallbacks.map((f) => ({ spec: f.provider, model: f.model }))]
    this.active = { settings, routes: routes.map((r) => ({ ...r, provider: createProvider(r.spec) })) }
  }

  shutdown(): void {
    this.active = undefined
  }

  get settings(): RuntimeSettings | undefined {
    return this.active?.settings
  }
  get provider(): string {
    return this.active?.routes[0].provider.name ?? ''
  }
  get model(): string {
    return this.active?.settings.model ?? ''
  }
  get temperature(): number {
    return this.active?.settings.temperature ?? 0
  }
  supportsImages(): boolean {
    return this.active?.routes[0].provider.supportsImages ?? false
  }

  async listModels(): Promise<ProviderModelList[]> {
    const s = this.active?.settings
    return s ? this.lister.list(s.configured, s.model, s.provider.name) : []
  }

  async checkProviders(): Promise<ProviderCheck[]> {
    return this.active ? checkRoutes(this.active.routes) : []
  }

  async runTurn(req: TurnRequest, onEvent: (e: TurnEvent) => void): Promise<TurnResult> {
    const active = this.active
    if (!active) throw new AgentTurnError('AGENT_ERROR', 'the agent runtime is not running (see /health for plugin:agent-runtime)')
    return runTurn({ ...active, ...this.deps }, req, onEvent)
  }
}
