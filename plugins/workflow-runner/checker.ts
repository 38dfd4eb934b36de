/**
 * Findings with a place: each names the dotted field (`steps[2].retry`) of the YAML path it came
 * from, and the line is looked up in the parsed document (the `yaml` package's node ranges
 * through its LineCounter), so an editor can point at the line.
 */
import type { Document, LineCounter } from 'yaml'
import type { WorkflowFinding } from '@revka/plugin-sdk'

export type YamlPath = Array<string | number>

export function fieldName(path: YamlPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')
}

export class Checker {
  readonly errors: WorkflowFinding[] = []
  readonly warnings: WorkflowFinding[] = []
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** 1-based line of the node at `path`, else of its nearest ancestor that exists */
  lineOf(path: YamlPath): number | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined
      if (node && typeof node === 'object' && node.range) return this.lines.linePos(node.range[0]).line
    }
    return undefined
  }

  private finding(message: string, path: YamlPath, stepId?: string): WorkflowFinding {
    const f: WorkflowFinding = { message, severity: 'error' }
    if (stepId) f.step_id = stepId
    if (path.length) f.field = fieldName(path)
    const line = this.lineOf(path)
    if (line) f.line = line
    return f
  }

  error(message: string, path: YamlPath, stepId?: string): void {
    this.errors.push(this.finding(message, path, stepId))
  }

  warn(message: string, path: YamlPath, stepId?: string): void {
    this.warnings.push({ ...this.finding(message, path, stepId), severity: 'warning' })
  }
}
