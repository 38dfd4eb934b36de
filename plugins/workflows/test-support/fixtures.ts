/** Workflow YAML the tests save, and the runner double's recorded calls. */
import { fileURLToPath } from 'node:url'
import type { DoubleState } from './runner-double/index.js'

export const DOUBLE_DIR = fileURLToPath(new URL('./runner-double', import.meta.url))
export const double = (): DoubleState => (globalThis as any).__wfRunnerDouble

export function wfYaml(name: string, o: { cron?: string[]; extraStep?: string; onKind?: string } = {}): string {
  const triggers = [...(o.cron ?? []).map((c) => `  - cron: "${c}"`), ...(o.onKind ? [`  - on_kind: ${o.onKind}`] : [])]
  return [
    `name: ${name}`,
    'description: test workflow',
    ...(triggers.length ? ['triggers:', ...triggers] : []),
    'steps:',
    '  - id: gather',
    '    type: agent',
    '    agent:',
    '      prompt: gather things',
    ...(o.extraStep ? [`  - id: ${o.extraStep}`, '    type: output', `    depends_on: [gather]`] : []),
    '',
  ].join('\n')
}

export const saveBody = (name: string, definition: string, tags?: string[]) => ({
  name,
  description: `${name} description`,
  definition,
  ...(tags ? { tags } : {}),
})
