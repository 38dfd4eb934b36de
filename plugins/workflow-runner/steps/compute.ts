/**
 * `compute` steps: `outputs` is a map of name → template; each template is rendered (never
 * evaluated) and the map becomes the step's output_data (`${step.output_data.name}`) and, as
 * JSON, its output. A scalar written in the YAML stays that scalar.
 */
import { render } from '../interpolate.js'
import type { LeafExecutor } from '../step-runner.js'

export const computeExecutor: LeafExecutor = async ({ step, scope }) => {
  const outputs = (step.config.outputs ?? {}) as Record<string, unknown>
  const data = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, typeof v === 'string' ? render(v, scope) : v]))
  return { output: JSON.stringify(data), output_data: data }
}
