/**
 * The agent runtime for a CLI command (`revka onboard`, `revka doctor`): a kernel started in this
 * process with only the agent-runtime plugin — plus auth-profiles when the operator has it enabled,
 * so `api_key_profile` resolves and onboard can store a key there — bound to 127.0.0.1:0. What the
 * command checks is then exactly what the gateway will run, without the CLI importing a plugin:
 * it reaches both through their SDK service refs.
 */
import { AgentRuntimeRef, AuthProfilesRef, RevkaError, type AgentRuntimeService, type AuthProfilesService } from '@revka/plugin-sdk'
import { Kernel } from '../lifecycle/kernel.js'
import { isEnabled, pluginsFilePath, readPluginsFile } from '../registry/plugins-file.js'

export const PROFILES_PLUGIN = 'auth-profiles'

export interface RuntimeSession {
  runtime: AgentRuntimeService
  /** the encrypted credential store, when it is enabled and can write */
  profiles?: AuthProfilesService
  stop(): Promise<void>
}

/**
 * Does the operator's plugins file leave auth-profiles on? Listed: its flag; unlisted: on with the
 * built-ins (its manifest enables it by default). Whether it is installed shows when the kernel starts.
 */
export function profilesEnabled(pluginsFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  const file = readPluginsFile(pluginsFilePath(pluginsFlag, env))
  return isEnabled(file, PROFILES_PLUGIN, file.builtins)
}

export async function openRuntime(o: { stateDir: string; pluginsFile?: string; withProfiles: boolean }): Promise<RuntimeSession> {
  const kernel = new Kernel({
    stateDir: o.stateDir,
    pluginsFile: o.pluginsFile,
    only: o.withProfiles ? ['agent-runtime', PROFILES_PLUGIN] : ['agent-runtime'],
    host: '127.0.0.1',
    port: 0,
    logStdout: false,
    logLevel: 'error',
  })
  const stop = () => kernel.stop('cli command done').catch(() => {})
  try {
    await kernel.start()
    const runtime = kernel.service(AgentRuntimeRef)
    const failed = kernel.pluginInfos().find((p) => p.id === 'agent-runtime' && p.status !== 'started')
    if (!runtime || failed) throw new RevkaError('REVKA_ERR_AGENT_RUNTIME', `the agent runtime did not start: ${failed?.diagnostic ?? 'not found'}`)
    const profiles = kernel.service(AuthProfilesRef)
    return { runtime, profiles: profiles?.put && profiles.remove ? profiles : undefined, stop }
  } catch (e) {
    await stop()
    throw e
  }
}
