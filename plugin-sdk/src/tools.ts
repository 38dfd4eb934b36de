/**
 * Agent tools. Any plugin contributes tools by tapping the `tools` hook (a waterfall over the list);
 * the agent runtime collects them per turn through the `tool-registry` kernel service, so a tool
 * that appears (a node connects) or disappears (it leaves) is seen by the next turn.
 */
export interface ToolContext {
  /** aborted when the turn is stopped or times out */
  signal: AbortSignal
  sessionId?: string
  /** progress for long tools (MCP progress notifications, UI) */
  progress?(progress: number, total?: number, message?: string): void
}

/** What a tool's `execute` returns to the agent. */
export interface ToolResult {
  output: string
  success: boolean
}

/** A tool the agent may call, contributed through the `tools` hook. */
export interface AgentTool {
  /** unique; `[a-zA-Z0-9_:.-]{1,128}` */
  name: string
  description: string
  /** JSON Schema of the arguments object */
  parameters: Record<string, unknown>
  /** which plugin contributed it (filled by the registry) */
  plugin?: string
  execute(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult | string>
}

/** Why the registry refuses a tool's `parameters` (see `ToolRegistryService.checkSchema`). */
export interface ToolSchemaProblem {
  code: 'tool_schema_too_deep' | 'tool_schema_too_large' | 'tool_schema_invalid'
  /** the reason, without the tool's name: "parameters nest deeper than 32 levels" */
  message: string
}

/** The kernel's `tool-registry` service: every tool plugins contribute, validated, for the agent runtime. */
export interface ToolRegistryService {
  /**
   * Every tool contributed right now, de-duplicated by name (first wins, a diagnostic logged).
   * A tool is left out, with a diagnostic, when its name, description or `execute` is missing or
   * when `checkSchema` refuses its parameters: one bad tool never breaks the list for the others.
   * At most 1,024 tools are listed.
   */
  list(): Promise<AgentTool[]>
  /**
   * Would `list()` accept these `parameters`? null when yes. A schema must be a JSON object that
   * nests at most 32 levels of objects and arrays and serialises to at most 64 KiB (UTF-8); it is
   * walked without recursion, so any value is safe to pass, however deep. Plugins whose tools
   * come from outside the process (nodes) call it when a tool is registered, to refuse it there
   * with a reason its author can act on.
   */
  checkSchema(parameters: unknown): ToolSchemaProblem | null
}
