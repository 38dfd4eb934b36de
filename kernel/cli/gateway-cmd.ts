/** `revka gateway` / `revka daemon`: run in the foreground until SIGINT/SIGTERM or /admin/shutdown. */
import { AgentRuntimeRef } from '@revka/plugin-sdk'
import { Kernel } from '../lifecycle/kernel.js'
import { port, str, type ParsedArgs } from './args.js'

function banner(code: string, ttlSecs: number): string {
  const line = '─'.repeat(44)
  return [
    `┌${line}┐`,
    `│  PAIRING CODE: ${code.padEnd(28)}│`,
    `│  pair with: revka pair --code ${code.padEnd(13)}│`,
    `│  ${`valid for ${Math.round(ttlSecs / 60)} minutes, single use`.padEnd(42)}│`,
    `└${line}┘`,
  ].join('\n')
}

export async function runGateway(args: ParsedArgs, mode: 'gateway' | 'daemon'): Promise<number> {
  const kernel = new Kernel({
    mode,
    stateDir: str(args.flags, 'state-dir'),
    pluginsFile: str(args.flags, 'plugins'),
    host: str(args.flags, 'host'),
    port: port(args.flags),
  })
  let exiting = false
  const shutdown = async (reason: string) => {
    if (exiting) return
    exiting = true
    process.stdout.write(`\nshutting down (${reason})…\n`)
    try {
      await kernel.stop(reason)
      process.exit(0)
    } catch (e) {
      process.stderr.write(`shutdown failed: ${(e as Error).message}\n`)
      process.exit(1)
    }
  }
  kernel.onShutdownRequested = (r) => void shutdown(r)
  process.once('SIGINT', () => void shutdown('SIGINT'))
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  try {
    const url = await kernel.start()
    process.stdout.write(`revka ${kernel.version} (${mode}) listening on ${url}\n`)
    process.stdout.write(`state: ${kernel.paths.stateDir}\n`)
    // a fresh install chats through the embedded responder: say so, and how to connect a real model
    if (kernel.service(AgentRuntimeRef)?.provider === 'offline') {
      process.stdout.write('no model provider is configured: the offline responder is answering. Connect one with: revka onboard\n')
    }
    for (const p of kernel.pluginInfos()) {
      if (p.status === 'failed' || p.status === 'incompatible') process.stdout.write(`plugin ${p.id}: ${p.status} — ${p.diagnostic}\n`)
    }
    const s = kernel.auth.pairing.status()
    if (kernel.auth.startupCode) process.stdout.write(banner(kernel.auth.startupCode, kernel.settings.pairingCodeTtlSecs) + '\n')
    else if (!s.requirePairing) process.stdout.write('pairing is OFF: every bearer route is open on this loopback host\n')
    return -1 // keep running
  } catch (e) {
    process.stderr.write(`revka: ${(e as Error).message}\n`)
    await kernel.stop('start failed').catch(() => {})
    return 1
  }
}
