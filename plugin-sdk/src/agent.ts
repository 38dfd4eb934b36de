/**
 * The agent runtime's service interface (provided by the `agent-runtime` plugin as `agent-runtime`).
 * It lives in the SDK so that consumers (chat, webhooks) and the provider agree on it without
 * importing each other.
 */
import { serviceRef } from './service-ref.js'

/** One part of a multi-part message: text or an image file. */
export type ContentPart =
  | { type: 'text'; text: string }
  /** an image file on disk (attachments); providers that accept images send it inline */
  | { type: 'image'; mime: string; path: string }

/** A tool call the model asked for. */
export interface ToolCallRequest {
  id: string
  name: string
  /** JSON text of the arguments object, as the model produced it */
  arguments: string
}

/** One message of a conversation passed to `runTurn`. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool'
  content: string | ContentPart[]
  /** assistant messages that asked for tools */
  tool_calls?: ToolCallRequest[]
  /** tool messages: which call they answer */
  tool_call_id?: string
  name?: string
}

/** The input of one agent turn. */
export interface TurnRequest {
  sessionId: string
  /** the conversation so far, ending with the new user message */
  messages: ChatMessage[]
  /** aborting it stops the turn (the `stop` frame); the result then has `stopped: true` */
  signal: AbortSignal
  /** called between model iterations; returned notes are added as user guidance (the `steer` frame) */
  takeSteering?: () => string[]
  /** who asked: `ws_chat`, `webhook`, a channel name… (recorded in events and the cost ledger) */
  source?: string
  /** offer tools to the model (default true) */
  tools?: boolean
  /** overrides `provider_timeout_secs × min(max(max_tool_iterations,1),4)` */
  timeoutMs?: number
  /** use this model instead of the configured one (a cron job's `model`) */
  model?: string
  /** offer only the tools with these names (a cron job's `allowed_tools`); absent or empty: all */
  allowedTools?: string[]
}

/** What `runTurn` streams to its `onEvent` callback while the turn runs. */
export type TurnEvent =
  | { type: 'chunk'; content: string }
  | { type: 'thinking'; content: string }
  | { type: 'tool_call'; id: string; name: string; args: unknown }
  | { type: 'tool_result'; id: string; name: string; output: string; success: boolean }
  | { type: 'status'; phase: string; detail?: string }

/** Tokens one turn consumed. */
export interface TurnUsage {
  input_tokens: number
  output_tokens: number
}

/** What a finished turn produced. */
export interface TurnResult {
  /** the final assistant text */
  content: string
  provider: string
  model: string
  usage: TurnUsage
  cost_usd: number
  duration_ms: number
  stopped: boolean
  timedOut: boolean
  /** messages the turn added after the user's (assistant tool requests, tool results, final answer) */
  messages: ChatMessage[]
}

/** Why a turn failed: the provider, the agent loop, or the provider's credentials. */
export type AgentErrorCode = 'PROVIDER_ERROR' | 'AGENT_ERROR' | 'AUTH_ERROR'

/** Thrown by `runTurn`; recognise it by `code` (module copies may differ). */
export class AgentTurnError extends Error {
  constructor(
    readonly code: AgentErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'AgentTurnError'
  }
}

/** The agent runtime: runs one model turn with tools and reports the configured provider and model. */
export interface AgentRuntimeService {
  readonly provider: string
  readonly model: string
  readonly temperature: number
  /** true when the current provider accepts image parts */
  supportsImages(): boolean
  /**
   * Run one turn: stream the model, run tool calls (per-turn iteration cap), apply steering notes,
   * honour stop and the turn timeout, and emit `llm_request`, `tool_call_start`, `tool_call`,
   * `agent_start`, `agent_end` (with duration, tokens and cost) and `error` on the event bus.
   */
  runTurn(req: TurnRequest, onEvent: (e: TurnEvent) => void): Promise<TurnResult>
  /**
   * Each configured provider's models, from its models endpoint (cached by the runtime); what
   * `GET /api/models` answers and `revka onboard` offers. Optional: a runtime without it lists none.
   */
  listModels?(): Promise<ProviderModelList[]>
  /**
   * Would the providers the turns use (the default, then each of fallback_providers) serve a turn?
   * Each one's model list is read fresh — that checks the key, base_url and rate limit without
   * spending tokens — and its configured model is looked for in it. A failure carries the same
   * reason code and one-line hint a turn error would. `revka doctor` and `revka onboard` run it.
   * Optional: a runtime without it checks nothing.
   */
  checkProviders?(): Promise<ProviderCheck[]>
}

/** One provider's verdict from `checkProviders`. */
export interface ProviderCheck {
  provider: string
  model: string
  ok: boolean
  /** when not ok: unreachable, auth, model_not_found, rate_limited, unavailable, bad_request or bad_stream */
  reason?: string
  /** what was found, or what failed with its hint — one line, never the key */
  message: string
}

/** One provider's entry in a model listing; a provider that could not be asked carries `error`. */
export interface ProviderModelList {
  provider: string
  type: string
  /** the model this provider is configured to use, if any */
  model: string | null
  source: 'endpoint' | 'builtin'
  models: Array<{ id: string; name?: string }>
  error?: { code: string; message: string }
}

/** The `agent-runtime` service, for `api.services.get`/`require` (provided by the agent-runtime plugin). */
export const AgentRuntimeRef = serviceRef<AgentRuntimeService>('agent-runtime')
