/**
 * `revka onboard`: connect a model provider. Pick a provider, give its key, pick a model from the
 * provider's live list, see one streamed answer from it, and only then keep the config. The test
 * call goes through the real agent runtime (a kernel started in-process with only that plugin, on
 * 127.0.0.1:0), so what onboarding checked is exactly what the gateway will run.
 *
 * The key is written into config.toml (mode 0600) as `api_key`; a failed test call restores the
 * previous config.toml byte for byte. `--non-interactive` takes everything from flags, for scripts;
 * interactively, a flag given answers its prompt.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { parse, stringify } from 'smol-toml'
import { AgentRuntimeRef, writeFileAtomicSync, type AgentRuntimeService } from '@revka/plugin-sdk'
import { Kernel } from '../lifecycle/kernel.js'
import { ensureStateDirs, resolveStatePaths } from '../config/state-dir.js'
import { str, UsageError, type ParsedArgs } from './args.js'

/** provider choices; the agent runtime's presets fill in the base URLs of the OpenAI-compatible ones */
export const ONBOARD_PROVIDERS = ['anthropic', 'openai', 'gemini', 'openrouter', 'groq', 'together', 'mistral', 'deepseek', 'ollama', 'lmstudio', 'vllm', 'openai-compatible'] as const
const KEYLESS = new Set(['ollama', 'lmstudio', 'vllm'])
const TEST_PROMPT = 'Reply with one short sentence to confirm you can hear me.'
/** written while the live model list is read; replaced before onboarding ends */
const PENDING_MODEL = 'onboard-pending'

export interface OnboardAnswers {
  provider: string
  key?: string
  baseUrl?: string
  model?: string
}

interface Io { out: (s: string) => void }

function providerTable(a: OnboardAnswers, model: string): Record<string, unknown> {
  const t: Record<string, unknown> = a.provider === 'anthropic' || a.provider === 'gemini' || a.provider === 'openai-compatible'
    ? { type: a.provider }
    : { preset: a.provider }
  if (a.baseUrl) t.base_url = a.baseUrl
  if (a.key) t.api_key = a.key
  t.model = model
  return t
}

/** config.toml with this provider as the default; every other key and table is kept */
function configText(previous: string | null, a: OnboardAnswers, model: string): string {
  const doc = (previous ? parse(previous) : {}) as Record<string, any>
  doc.default_provider = a.provider
  doc.providers = { ...(doc.providers ?? {}), [a.provider]: providerTable(a, model) }
  return stringify(doc) + '\n'
}

function fromFlags(args: ParsedArgs): OnboardAnswers {
  const provider = str(args.flags, 'provider')
  if (!provider) throw new UsageError(`onboard --non-interactive needs --provider (${ONBOARD_PROVIDERS.join(', ')})`)
  if (!(ONBOARD_PROVIDERS as readonly string[]).includes(provider)) throw new UsageError(`--provider "${provider}" is not one of ${ONBOARD_PROVIDERS.join(', ')}`)
  const a: OnboardAnswers = { provider, key: str(args.flags, 'key'), baseUrl: str(args.flags, 'base-url'), model: str(args.flags, 'model') }
  if (!a.key && !KEYLESS.has(provider) && provider !== 'openai-compatible') throw new UsageError(`--provider ${provider} needs --key`)
  if (provider === 'openai-compatible' && !a.baseUrl) throw new UsageError('--provider openai-compatible needs --base-url')
  return a
}

/** The prompts, skipping whatever a flag already answered (`--provider`, `--base-url`, `--key`, `--model`). */
async function ask(args: ParsedArgs): Promise<OnboardAnswers> {
  const { select, password, input } = await import('@inquirer/prompts')
  const given = str(args.flags, 'provider')
  if (given && !(ONBOARD_PROVIDERS as readonly string[]).includes(given)) throw new UsageError(`--provider "${given}" is not one of ${ONBOARD_PROVIDERS.join(', ')}`)
  const provider = given ?? await select({ message: 'Model provider', choices: ONBOARD_PROVIDERS.map((p) => ({ name: p, value: p })) })
  const baseUrl = str(args.flags, 'base-url') ?? (provider === 'openai-compatible' ? await input({ message: 'Base URL (the API root, e.g. https://host/v1)', required: true }) : undefined)
  const key = str(args.flags, 'key') ?? (KEYLESS.has(provider) ? undefined : (await password({ message: `API key for ${provider}`, mask: '*' })) || undefined)
  return { provider, key, baseUrl, model: str(args.flags, 'model') }
}

async function pickModel(rt: AgentRuntimeService, a: OnboardAnswers, interactive: boolean, io: Io): Promise<string> {
  const entry = (await rt.listModels?.())?.find((p) => p.provider === a.provider)
  if (!entry || entry.error || !entry.models.length) {
    throw new Error(`could not read the model list of ${a.provider}: ${entry?.error?.message ?? 'it lists no models'}${interactive ? '' : '; pass --model'}`)
  }
  if (!interactive) {
    io.out(`model: ${entry.models[0].id} (the first of ${entry.models.length} listed; pass --model to choose)\n`)
    return entry.models[0].id
  }
  const { search } = await import('@inquirer/prompts')
  return search({
    message: `Model (${entry.models.length} available; type to filter)`,
    source: (term) => entry.models.filter((m) => !term || m.id.toLowerCase().includes(term.toLowerCase())).slice(0, 50).map((m) => ({ name: m.name ? `${m.id} — ${m.name}` : m.id, value: m.id })),
  })
}

export async function onboard(args: ParsedArgs, io: Io = { out: (s) => void process.stdout.write(s) }): Promise<number> {
  const interactive = !args.flags['non-interactive']
  const answers = interactive ? await ask(args) : fromFlags(args)
  const paths = resolveStatePaths({ stateDir: str(args.flags, 'state-dir') })
  ensureStateDirs(paths)
  const previous = existsSync(paths.configFile) ? readFileSync(paths.configFile, 'utf8') : null
  const restore = () => (previous === null ? rmSync(paths.configFile, { force: true }) : writeFileAtomicSync(paths.configFile, previous, 0o600))

  writeFileAtomicSync(paths.configFile, configText(previous, answers, answers.model ?? PENDING_MODEL), 0o600)
  const kernel = new Kernel({ stateDir: paths.stateDir, only: ['agent-runtime'], host: '127.0.0.1', port: 0, logStdout: false, logLevel: 'error' })
  let model: string
  try {
    await kernel.start()
    const rt = kernel.service(AgentRuntimeRef)
    const failed = kernel.pluginInfos().find((p) => p.id === 'agent-runtime' && p.status !== 'started')
    if (!rt || failed) throw new Error(`the agent runtime did not start: ${failed?.diagnostic ?? 'not found'}`)
    model = answers.model ?? await pickModel(rt, answers, interactive, io)
    io.out(`test call to ${answers.provider} (${model}):\n  `)
    await rt.runTurn({ sessionId: 'onboard', source: 'onboard', tools: false, model, signal: new AbortController().signal, messages: [{ role: 'user', content: TEST_PROMPT }] },
      (e) => { if (e.type === 'chunk') io.out(e.content) })
    io.out('\n')
  } catch (e) {
    restore()
    io.out(`\nonboarding failed: ${(e as Error).message}\n${previous === null ? 'config.toml was not written' : `${paths.configFile} is unchanged`}\n`)
    return 1
  } finally {
    await kernel.stop('onboard done').catch(() => {})
  }
  writeFileAtomicSync(paths.configFile, configText(previous, answers, model), 0o600)
  io.out([
    `wrote ${paths.configFile} (mode 0600):`,
    `  default_provider = "${answers.provider}"`,
    `  [providers.${answers.provider}] ${answers.baseUrl ? `base_url = "${answers.baseUrl}", ` : ''}model = "${model}"${answers.key ? ', api_key = (hidden)' : ''}`,
    `start the gateway with: revka gateway${str(args.flags, 'state-dir') ? ` --state-dir ${paths.stateDir}` : ''}`,
    '',
  ].join('\n'))
  return 0
}
