/**
 * Findings with a place: each check names the dotted field (`steps[2].retry`) and the YAML path
 * it came from, and the line is looked up in the parsed document (the `yaml` package's node
 * ranges through its LineCounter), so an editor can point at the line.
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
  constructor(private readonly doc: Document, private readonly lines: LineCounter) {}

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

  // typed field checks: each returns the value when it is acceptable (or absent), else reports

  str(obj: Record<string, unknown>, key: string, path: YamlPath, stepId: string | undefined, opts: { required?: boolean; max?: number } = {}): string | undefined {
    const v = obj[key]
    if (v === undefined || v === null) {
      if (opts.required) this.error(`${key} is required`, [...path, key], stepId)
      return undefined
    }
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      this.error(`${key} must be a string`, [...path, key], stepId)
      return undefined
    }
    const s = String(v)
    if (opts.max && s.length > opts.max) this.error(`${key} is longer than ${opts.max} characters`, [...path, key], stepId)
    return s
  }

  num(obj: Record<string, unknown>, key: string, path: YamlPath, stepId: string | undefined, min: number, max: number, integer = false): number | undefined {
    const v = obj[key]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
      this.error(`${key} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${JSON.stringify(v)})`, [...path, key], stepId)
      return undefined
    }
    return v
  }

  bool(obj: Record<string, unknown>, key: string, path: YamlPath, stepId: string | undefined): boolean | undefined {
    const v = obj[key]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'boolean') { this.error(`${key} must be true or false`, [...path, key], stepId); return undefined }
    return v
  }

  oneOf(obj: Record<string, unknown>, key: string, path: YamlPath, stepId: string | undefined, allowed: string[]): string | undefined {
    const v = obj[key]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'string' || !allowed.includes(v)) {
      this.error(`${key} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`, [...path, key], stepId)
      return undefined
    }
    return v
  }

  strList(obj: Record<string, unknown>, key: string, path: YamlPath, stepId: string | undefined, max = 100): string[] | undefined {
    const v = obj[key]
    if (v === undefined || v === null) return undefined
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) { this.error(`${key} must be a list of strings`, [...path, key], stepId); return undefined }
    if (v.length > max) { this.error(`${key} has more than ${max} entries`, [...path, key], stepId); return undefined }
    return v as string[]
  }

  map(obj: Record<string, unknown>, key: string, path: YamlPath, stepId: string | undefined, required = false): Record<string, unknown> | undefined {
    const v = obj[key]
    if (v === undefined || v === null) {
      if (required) this.error(`${key} is required`, [...path, key], stepId)
      return undefined
    }
    if (typeof v !== 'object' || Array.isArray(v)) { this.error(`${key} must be a mapping`, [...path, key], stepId); return undefined }
    return v as Record<string, unknown>
  }
}
