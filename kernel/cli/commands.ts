/**
 * Every `revka` command and subcommand: its usage, its options, its help and how to run it. The one
 * place a command is added: main.ts parses against the matching entry's options (strictly, so an
 * unknown flag is exit 2 with that entry's help), `--help` prints that entry's help, and the global
 * help lists every entry. Implementations are imported only when run: `revka --help` and
 * `revka --version` must not load Fastify and the kernel.
 */
import type { OptionTable, ParsedArgs } from './args.js'

export interface CommandSpec {
  /** words after `revka` (`plugins info`) */
  name: string
  /** what follows the name in the usage line (`ID`, `[--json]`) */
  usage?: string
  /** one line, for the global help and the parent's list */
  summary: string
  /** what the command's own --help adds below the usage */
  details?: string
  /** positional arguments after the name: [required…], then up to `optional` more */
  args?: { required?: string[]; optional?: number }
  options?: OptionTable
  /** a command with subcommands and no run of its own needs one of them */
  subcommands?: CommandSpec[]
  /** subcommand used when none is given (`revka gateway` = `revka gateway start`) */
  defaultSub?: string
  run?: (args: ParsedArgs) => Promise<number>
}

const HELP: OptionTable = { help: { type: 'boolean', short: 'h', help: 'show this help' } }
const STATE: OptionTable = { 'state-dir': { type: 'string', value: 'DIR', help: 'state folder (REVKA_STATE_DIR wins; default ~/.revka)' } }
const PLUGINS: OptionTable = { plugins: { type: 'string', value: 'FILE', help: 'operator plugin file (else REVKA_PLUGINS_FILE, else ./revka.plugins.json)' } }
const BIND: OptionTable = {
  host: { type: 'string', value: 'H', help: 'address to listen on (default from config.toml)' },
  port: { type: 'string', short: 'p', value: 'N', help: 'port to listen on, 0 for any free one' },
}
/** how a command finds a running gateway */
const TARGET: OptionTable = {
  url: {
    type: 'string',
    value: 'URL',
    help: "address of the running gateway (default: config.toml's host, port, path prefix; the admin socket when configured)",
  },
  host: { type: 'string', value: 'H', help: 'host of the running gateway (forces TCP over the admin socket)' },
  port: { type: 'string', short: 'p', value: 'N', help: 'port of the running gateway (forces TCP over the admin socket)' },
}
const JSON_OUT: OptionTable = { json: { type: 'boolean', help: 'print JSON' } }

const gatewayCmd = () => import('./gateway-cmd.js')
const remoteCmd = () => import('./remote-cmd.js')
const pluginsCmd = () => import('./plugins-cmd.js')
const serviceCmd = () => import('./service-cmd.js')

const runGateway = (mode: 'gateway' | 'daemon') => async (a: ParsedArgs) => (await gatewayCmd()).runGateway(a, mode)

const gatewayStart: CommandSpec = {
  name: 'gateway start',
  usage: '[--host H] [--port N]',
  summary: 'run the gateway in the foreground (prints its address and pairing code)',
  details: 'Runs until SIGINT, SIGTERM or `revka stop`. `revka start` and `revka gateway` are the same.',
  options: { ...BIND, ...STATE, ...PLUGINS },
  run: runGateway('gateway'),
}

const serviceSub = (sub: string, summary: string, options: OptionTable = {}, usage?: string): CommandSpec => ({
  name: `service ${sub}`,
  usage,
  summary,
  options: { ...STATE, ...options },
  run: async (a) => (await serviceCmd()).serviceCommand(a),
})

const pluginSwitch = (verb: 'enable' | 'disable'): CommandSpec => ({
  name: `plugins ${verb}`,
  usage: 'ID',
  args: { required: ['ID'] },
  summary:
    verb === 'enable'
      ? 'enable a plugin: live in a running gateway, else in revka.plugins.json'
      : 'disable a plugin: live in a running gateway, else in revka.plugins.json',
  details:
    verb === 'enable'
      ? 'With a gateway running, it asks it over loopback (POST /admin/plugins/ID/enable): the plugin is set\nup and started, its routes appear, and the gateway rewrites its plugins file. Refused when a\nservice it requires has no running provider. With no gateway running, it edits the plugins file.'
      : 'With a gateway running, it asks it over loopback (POST /admin/plugins/ID/disable): its routes answer\n503 plugin_disabled while it drains, then 404; its hooks, services and timers stop; the gateway\nrewrites its plugins file. Refused, naming them, while other enabled plugins require it. With no\ngateway running, it edits the plugins file.',
  options: { ...PLUGINS, ...STATE, ...TARGET },
  run: async (a) => (await pluginsCmd()).pluginsCommand(a),
})

/** The command table. New commands go here (and their implementation in a file of their own). */
export const COMMANDS: CommandSpec[] = [
  {
    name: 'gateway',
    summary: 'run or reach the gateway',
    defaultSub: 'start',
    subcommands: [
      gatewayStart,
      {
        name: 'gateway restart',
        usage: '[--host H] [--port N]',
        summary: 'stop a running gateway, then run one in the foreground',
        options: { ...BIND, ...STATE, ...PLUGINS },
        run: async (a) => {
          await (await remoteCmd()).stopGateway(a).catch(() => 0)
          await new Promise((r) => setTimeout(r, 1000))
          return (await gatewayCmd()).runGateway(a, 'gateway')
        },
      },
      {
        name: 'gateway get-paircode',
        usage: '[--new] [--json]',
        summary: 'show (or mint) the pairing code of a running gateway',
        options: { new: { type: 'boolean', help: 'mint a fresh code (the old one stops working)' }, ...JSON_OUT, ...TARGET, ...STATE },
        run: async (a) => (await remoteCmd()).getPaircode(a),
      },
    ],
  },
  { ...gatewayStart, name: 'start', summary: 'the same as revka gateway start' },
  {
    name: 'daemon',
    usage: '[--host H] [--port N]',
    summary: "the gateway plus the plugins' daemon-mode services",
    details: 'One daemon per state dir (a lock file), so no cron job fires twice.',
    options: { ...BIND, ...STATE, ...PLUGINS },
    run: runGateway('daemon'),
  },
  {
    name: 'stop',
    summary: 'ask a running gateway to shut down (POST /admin/shutdown, loopback)',
    options: { ...TARGET, ...STATE },
    run: async (a) => (await remoteCmd()).stopGateway(a),
  },
  {
    name: 'service',
    summary: 'the daemon as a systemd user service (Linux)',
    subcommands: [
      serviceSub('install', 'write the unit (runs revka daemon with this state dir and plugins file) and enable it', PLUGINS),
      serviceSub('start', 'start the installed service'),
      serviceSub('stop', 'stop the service'),
      serviceSub('restart', 'restart the service'),
      serviceSub('status', 'systemctl status of the service'),
      serviceSub('uninstall', 'stop, disable and remove the unit'),
      serviceSub(
        'logs',
        "the service's journal",
        {
          lines: { type: 'string', short: 'n', value: 'N', help: 'how many lines (default 50)' },
          follow: { type: 'boolean', short: 'f', help: 'keep printing new lines' },
        },
        '[-n N] [-f]',
      ),
    ],
  },
  {
    name: 'pair',
    usage: '--code C [--url U] [--name N] [--json]',
    summary: 'exchange a pairing code for a token (shown once)',
    options: {
      code: { type: 'string', value: 'C', help: 'the 6-digit pairing code the gateway printed' },
      name: { type: 'string', value: 'N', help: 'device name (default revka-cli)' },
      'device-type': { type: 'string', value: 'T', help: 'device type (default cli)' },
      hardware: { type: 'string', value: 'H', help: 'hardware description' },
      ...JSON_OUT,
      ...TARGET,
      ...STATE,
    },
    run: async (a) => (await remoteCmd()).pair(a),
  },
  {
    name: 'plugins',
    summary: 'list, inspect, enable, disable and scaffold plugins',
    defaultSub: 'list',
    subcommands: [
      {
        name: 'plugins list',
        usage: '[--json]',
        summary: 'discovered plugins and their state, without importing any',
        options: { ...JSON_OUT, ...PLUGINS, ...STATE },
        run: async (a) => (await pluginsCmd()).pluginsCommand(a),
      },
      {
        name: 'plugins info',
        usage: 'ID',
        args: { required: ['ID'] },
        summary: "one plugin's manifest, state and options (secrets masked)",
        details: "Options marked secret by the plugin's schema (x-secret, writeOnly) or by name (token, secret,\nkey, password…) print as ***MASKED***.",
        options: { ...PLUGINS, ...STATE },
        run: async (a) => (await pluginsCmd()).pluginsCommand(a),
      },
      pluginSwitch('enable'),
      pluginSwitch('disable'),
      {
        name: 'plugins new',
        usage: 'ID [--webhook] [--dir DIR]',
        args: { required: ['ID'] },
        summary: 'scaffold a plugin folder: manifest, TypeScript entry, a passing test',
        details:
          "Writes DIR/ID/ (default ./ID/): revka.plugin.json, index.ts, ID.test.ts, package.json (npm test runs\nthe test with Node's runner through @revka/plugin-testing), tsconfig.json and a README. The plain\nplugin has one bearer route; --webhook makes a signed webhook channel (defineWebhook). Nothing\nis written over an existing folder.",
        options: {
          webhook: { type: 'boolean', help: 'a webhook channel: HMAC-signed POSTs answered by the agent' },
          dir: { type: 'string', value: 'DIR', help: 'the folder to create the plugin in (default: the current one)' },
        },
        run: async (a) => (await import('./plugins-new.js')).pluginsNew(a),
      },
    ],
  },
  {
    name: 'onboard',
    usage: '[--non-interactive --provider P --key K --model M --base-url U --channels LIST]',
    summary: 'connect a model provider: key, model, one test call',
    details: 'Interactively, a flag given answers its prompt. The config is kept only after a streamed test answer.',
    options: {
      'non-interactive': { type: 'boolean', help: 'take everything from flags (for scripts)' },
      provider: {
        type: 'string',
        value: 'P',
        help: 'anthropic, openai, gemini, openrouter, groq, together, mistral, deepseek, ollama, lmstudio, vllm, openai-compatible',
      },
      key: { type: 'string', value: 'K', help: "the provider's API key" },
      model: { type: 'string', value: 'M', help: 'model id (default: pick from the live list)' },
      'base-url': { type: 'string', value: 'U', help: 'API root of an OpenAI-compatible provider' },
      channels: { type: 'string', value: 'LIST', help: 'channel plugins to run, comma-separated, or "none" (default: asked interactively, else unchanged)' },
      ...STATE,
      ...PLUGINS,
    },
    run: async (a) => (await import('./onboard-cmd.js')).onboard(a),
  },
  {
    name: 'doctor',
    summary: 'check config, state dir, environment, CLI tools (exit 1 on an error)',
    options: { ...STATE, ...PLUGINS, offline: { type: 'boolean', help: 'skip the provider check (no network call)' } },
    run: async (a) => (await import('./doctor-cmd.js')).doctor(a),
  },
  {
    name: 'audit',
    summary: 'the audit log',
    subcommands: [
      {
        name: 'audit verify',
        usage: '[--json]',
        summary: "check the audit log's hash chain offline (exit 1 if broken)",
        options: { ...JSON_OUT, ...STATE },
        run: async (a) => (await import('./audit-cmd.js')).auditCommand(a),
      },
    ],
  },
  {
    name: 'routes',
    usage: '[--json]',
    summary: 'the route table: method, path, auth, limits, owning plugin',
    details:
      "Boots the kernel without listening (in a scratch state dir with a copy of config.toml), so it works\nwith no gateway running and touches no running gateway's files. Lists what config.toml and the\nplugins file would mount at the next start; a plugin that fails setup is named on stderr.",
    options: { ...JSON_OUT, ...STATE, ...PLUGINS },
    run: async (a) => (await import('./routes-cmd.js')).routesCommand(a),
  },
]

/** The options a command accepts: its own plus --help. */
export function optionsOf(spec: CommandSpec): OptionTable {
  return { ...spec.options, ...HELP }
}

/** every string option of every command, so a first pass can tell option values from words */
export function allStringOptions(commands: CommandSpec[] = COMMANDS): Set<string> {
  const out = new Set<string>()
  const walk = (c: CommandSpec) => {
    for (const [name, o] of Object.entries(c.options ?? {}))
      if (o.type === 'string') {
        out.add(`--${name}`)
        if (o.short) out.add(`-${o.short}`)
      }
    c.subcommands?.forEach(walk)
  }
  commands.forEach(walk)
  return out
}
