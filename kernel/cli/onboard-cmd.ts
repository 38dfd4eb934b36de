/**
 * `revka onboard`: connect a model provider. Pick a provider, give its key, pick a model from the
 * provider's live list, see one streamed answer from it, and only then keep the config; then choose
 * the channels to run. The test call goes through the real agent runtime (runtime-session.ts), so
 * what onboarding checked is exactly what the gateway will run.
 *
 * Where the key goes: into the auth-profiles plugin's encrypted store as `<provider>:default`
 * (config.toml then says `api_key_profile`), through the SDK's AuthProfilesService.put — the store's
 * format and key stay the plugin's and the CLI imports no plugin. Only when that store is disabled
 * does the key go into config.toml (mode 0600) as `api_key`. A failed check or test call restores
 * config.toml byte for byte and the profile as it was. `--non-interactive` takes everything from
 * flags, for scripts; interactively, a flag given answers its prompt.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { parse, stringify } from 'smol-toml'
import { writeFileAtomicSync, type AgentRuntimeService, type AuthProfilesService } from '@revka/plugin-sdk'
import { ensureStateDirs, resolveStatePaths } from '../config/state-dir.js'
import { str, UsageError, type ParsedArgs } from './args.js'
import { openRuntime, profilesEnabled, type RuntimeSession } from './runtime-session.js'
import { applyChannels, channelCandidates, channelsFromFlag } from './onboard-channels.js'

/** provider choices; the agent runtime's presets fill in the base URLs of the OpenAI-compatible ones */
export const ONBOARD_PROVIDERS = [
  'anthropic',
  'openai',
  'gemini',
  'openrouter',
  'groq',
  'together',
  'mistral',
  'deepseek',
  'ollama',
  'lmstudio',
  'vllm',
  'openai-compatible',
] as const
const KEYLESS = new Set(['ollama', 'lmstudio', 'vllm'])
const TEST_PROMPT = 'Reply with one short sentence to confirm you can hear me.'
/** written while the live model list is read; replaced before onboarding ends */
const PENDING_MODEL = 'onboard-pending'
const PROFILE_NAME = 'default'

export interface OnboardAnswers {
  provider: string
  key?: string
  baseUrl?: string
  model?: string
}

interface Io {
  out: (s: string) => void
}

/** where the key lives: a profile id, the literal key, or none (keyless servers) */
type KeyRef = { profile: string } | { literal: string } | null

function providerTable(a: OnboardAnswers, model: string, key: KeyRef): Record<string, unknown> {
  const t: Record<string, unknown> =
    a.provider === 'anthropic' || a.provider === 'gemini' || a.provider === 'openai-compatible' ? { type: a.provider } : { preset: a.provider }
  if (a.baseUrl) t.base_url = a.baseUrl
  if (key && 'profile' in key) t.api_key_profile = key.profile
  if (key && 'literal' in key) t.api_key = key.literal
  t.model = model
  return t
}

/** config.toml with this provider as the default; every other key and table is kept */
function configText(previous: string | null, a: OnboardAnswers, model: string, key: KeyRef): string {
  const doc = (previous ? parse(previous) : {}) as Record<string, any>
  doc.default_provider = a.provider
  doc.providers = { ...(doc.providers ?? {}), [a.provider]: providerTable(a, model, key) }
  return stringify(doc) + '\n'
}

function fromFlags(args: ParsedArgs): OnboardAnswers {
  const provider = str(args.flags, 'provider')
  if (!provider) throw new UsageError(`onboard --non-interactive needs --provider (${ONBOARD_PROVIDERS.join(', ')})`)
  if (!(ONBOARD_PROVIDERS as readonly string[]).includes(provider))
    throw new UsageError(`--provider "${provider}" is not one of ${ONBOARD_PROVIDERS.join(', ')}`)
  const a: OnboardAnswers = { provider, key: str(args.flags, 'key'), baseUrl: str(args.flags, 'base-url'), model: str(args.flags, 'model') }
  if (!a.key && !KEYLESS.has(provider) && provider !== 'openai-compatible') throw new UsageError(`--provider ${provider} needs --key`)
  if (provider === 'openai-compatible' && !a.baseUrl) throw new UsageError('--provider openai-compatible needs --base-url')
  return a
}

/** The prompts, skipping whatever a flag already answered (`--provider`, `--base-url`, `--key`, `--model`). */
async function ask(args: ParsedArgs): Promise<OnboardAnswers> {
  const { select, password, input } = await import('@inquirer/prompts')
  const given = str(args.flags, 'provider')
  if (given && !(ONBOARD_PROVIDERS as readonly string[]).includes(given))
    throw new UsageError(`--provider "${given}" is not one of ${ONBOARD_PROVIDERS.join(', ')}`)
  const provider = given ?? (await select({ message: 'Model provider', choices: ONBOARD_PROVIDERS.map((p) => ({ name: p, value: p })) }))
  const baseUrl =
    str(args.flags, 'base-url') ??
    (provider === 'openai-compatible' ? await input({ message: 'Base URL (the API root, e.g. https://host/v1)', required: true }) : undefined)
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
    source: (term) =>
      entry.models
        .filter((m) => !term || m.id.toLowerCase().includes(term.toLowerCase()))
        .slice(0, 50)
        .map((m) => ({ name: m.name ? `${m.id} — ${m.name}` : m.id, value: m.id })),
  })
}

/** Store the key as the profile; returns how to put back what was there before. */
async function storeProfile(profiles: AuthProfilesService, a: OnboardAnswers, id: string): Promise<() => Promise<unknown>> {
  let before: string | null = null
  try {
    before = (await profiles.resolve(id))?.token ?? null
  } catch {
    /* undecryptable: replaced below, removed on undo */
  }
  await profiles.put!({ provider: a.provider, profile_name: PROFILE_NAME, token: a.key! })
  return () => (before === null ? profiles.remove!(id) : profiles.put!({ provider: a.provider, profile_name: PROFILE_NAME, token: before }))
}

/** the runtime, with the key's home decided: the encrypted store when it is enabled and writable, else config.toml */
async function connect(o: {
  stateDir: string
  configFile: string
  previous: string | null
  pluginsFile?: string
  a: OnboardAnswers
}): Promise<{ session: RuntimeSession; key: KeyRef }> {
  const profileId = `${o.a.provider}:${PROFILE_NAME}`
  const tryProfile = !!o.a.key && profilesEnabled(o.pluginsFile)
  if (tryProfile) {
    writeFileAtomicSync(o.configFile, configText(o.previous, o.a, o.a.model ?? PENDING_MODEL, { profile: profileId }), 0o600)
    const session = await openRuntime({ stateDir: o.stateDir, pluginsFile: o.pluginsFile, withProfiles: true }).catch(() => null)
    if (session?.profiles) return { session, key: { profile: profileId } }
    await session?.stop()
  }
  const key: KeyRef = o.a.key ? { literal: o.a.key } : null
  writeFileAtomicSync(o.configFile, configText(o.previous, o.a, o.a.model ?? PENDING_MODEL, key), 0o600)
  return { session: await openRuntime({ stateDir: o.stateDir, pluginsFile: o.pluginsFile, withProfiles: false }), key }
}

export async function onboard(args: ParsedArgs, io: Io = { out: (s) => void process.stdout.write(s) }): Promise<number> {
  const interactive = !args.flags['non-interactive']
  const pluginsFile = str(args.flags, 'plugins')
  const answers = interactive ? await ask(args) : fromFlags(args)
  // a wrong --channels is a usage error before anything is written
  const candidates = channelCandidates(pluginsFile)
  const channelFlag = str(args.flags, 'channels')
  const flagChoice = channelFlag === undefined ? undefined : channelsFromFlag(channelFlag, candidates.channels)
  const paths = resolveStatePaths({ stateDir: str(args.flags, 'state-dir') })
  ensureStateDirs(paths)
  const previous = existsSync(paths.configFile) ? readFileSync(paths.configFile, 'utf8') : null
  const restore = () => (previous === null ? rmSync(paths.configFile, { force: true }) : writeFileAtomicSync(paths.configFile, previous, 0o600))

  let session: RuntimeSession | undefined
  let undoProfile: () => Promise<unknown> = async () => {}
  let key: KeyRef
  let model: string
  try {
    ;({ session, key } = await connect({ stateDir: paths.stateDir, configFile: paths.configFile, previous, pluginsFile, a: answers }))
    if (key && 'profile' in key) undoProfile = await storeProfile(session.profiles!, answers, key.profile)
    const rt = session.runtime
    if (answers.model) {
      // the doctor's provider check, before a token is spent: key, base_url, and the model listed
      const check = (await rt.checkProviders?.())?.find((c) => c.provider === answers.provider)
      if (check && !check.ok) throw new Error(check.message)
    }
    model = answers.model ?? (await pickModel(rt, answers, interactive, io))
    io.out(`test call to ${answers.provider} (${model}):\n  `)
    await rt.runTurn(
      {
        sessionId: 'onboard',
        source: 'onboard',
        tools: false,
        model,
        signal: new AbortController().signal,
        messages: [{ role: 'user', content: TEST_PROMPT }],
      },
      (e) => {
        if (e.type === 'chunk') io.out(e.content)
      },
    )
    io.out('\n')
  } catch (e) {
    try {
      await undoProfile()
    } catch {
      /* the store refused: say what is left below */
    }
    restore()
    io.out(`\nonboarding failed: ${(e as Error).message}\n${previous === null ? 'config.toml was not written' : `${paths.configFile} is unchanged`}\n`)
    return 1
  } finally {
    await session?.stop()
  }
  writeFileAtomicSync(paths.configFile, configText(previous, answers, model, key), 0o600)
  const where =
    key && 'profile' in key
      ? `api_key_profile = "${key.profile}" (the key is encrypted in ${paths.stateDir}/plugins/auth-profiles/auth-profiles.json)`
      : key
        ? 'api_key = (hidden; the auth-profiles plugin is disabled, so the key is in this file)'
        : 'no key'
  io.out(
    [
      `wrote ${paths.configFile} (mode 0600):`,
      `  default_provider = "${answers.provider}"`,
      `  [providers.${answers.provider}] ${answers.baseUrl ? `base_url = "${answers.baseUrl}", ` : ''}model = "${model}", ${where}`,
      '',
    ].join('\n'),
  )

  const chosen = flagChoice ?? (interactive && candidates.channels.length ? await askChannels(candidates.channels) : undefined)
  if (chosen) {
    const changes = applyChannels(candidates.file, candidates.channels, chosen)
    const list = Object.entries(changes).map(([id, on]) => `${id} ${on ? 'enabled' : 'disabled'}`)
    io.out(list.length ? `wrote ${candidates.file.path}: ${list.join(', ')}\n` : `channels unchanged (${candidates.file.path} not written)\n`)
  }
  io.out(`start the gateway with: revka gateway${str(args.flags, 'state-dir') ? ` --state-dir ${paths.stateDir}` : ''}\n`)
  return 0
}

async function askChannels(channels: Array<{ id: string; name: string; description: string; enabled: boolean }>): Promise<Set<string>> {
  const { checkbox } = await import('@inquirer/prompts')
  const ids = await checkbox({
    message: 'Channels to run (space toggles, enter keeps)',
    choices: channels.map((c) => ({ name: `${c.name} — ${c.description}`, value: c.id, checked: c.enabled })),
  })
  return new Set(ids)
}
