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

export interface ToolResult {
  output: string
  success: boolean
}

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

export interface ToolRegistryService {
  /** every tool contributed right now, de-duplicated by name (first wins, a diagnostic logged) */
  list(): Promise<AgentTool[]>
}
