/**
 * Typed service references. A plugin names the services it `requires`/`provides` in its manifest
 * and reaches them through `api.services.get(ref)`; the kernel resolves them from its container.
 */
import type {
  GatewayConfigService,
  PairingService,
  PluginRegistryService,
  AuthStreamsService,
  GatewayStatusService,
  GatewayControlService,
  AuthLimiterService,
  ClusterClaimService,
  WebhookQueueService,
  RouteTableService,
} from './kernel-services.js'
import type { ToolRegistryService } from './tools.js'
import type { OpsService } from './ops.js'
import type { AuditLogService } from './audit.js'
import type { ChannelRegistryService } from './channels.js'
import type { SharedSqlService } from './shared-sql.js'
import { serviceRef } from './service-ref.js'

export { serviceRef } from './service-ref.js'
export type { ServiceRef } from './service-ref.js'

/** Services the kernel itself provides; a plugin still has to list them under `requires`. */
export const KernelServices = Object.freeze({
  /** config.toml: read masked, replace with validation (the config plugin) */
  config: serviceRef<GatewayConfigService>('gateway-config'),
  /** pairing codes and the device registry (the pairing plugin) */
  pairing: serviceRef<PairingService>('pairing'),
  /** plugin statuses and diagnostics (status, health) */
  plugins: serviceRef<PluginRegistryService>('plugin-registry'),
  /** live-connection bookkeeping for long-lived streams */
  streams: serviceRef<AuthStreamsService>('auth-streams'),
  /** health snapshot and the status document (the status plugin) */
  status: serviceRef<GatewayStatusService>('gateway-status'),
  /** graceful shutdown on request (POST /admin/shutdown) */
  control: serviceRef<GatewayControlService>('gateway-control'),
  /** the agent tools every plugin contributes through the `tools` hook (the agent runtime) */
  tools: serviceRef<ToolRegistryService>('tool-registry'),
  /** the doctor, the CLI tools on PATH, every discovered plugin described (the ops plugin) */
  ops: serviceRef<OpsService>('kernel-ops'),
  /** reading and verifying the audit log (the audit plugin); recording is `api.audit` */
  audit: serviceRef<AuditLogService>('audit-log'),
  /**
   * The auth limiter for credential-minting routes (auth-profile create): every attempt counts,
   * successful ones too; 10 per minute per key, then a 5-minute lockout (contract §14)
   */
  authLimiter: serviceRef<AuthLimiterService>('auth-limiter'),
  /** every enabled channel plugin's descriptor, from the `channels` hook (GET /api/channels, cron delivery) */
  channels: serviceRef<ChannelRegistryService>('channel-registry'),
  /** every enabled plugin's routes as declared and enforced, read-only (GET /api/openapi.json) */
  routes: serviceRef<RouteTableService>('route-table'),
  /** one node of a cluster does something (a cron fire); a single node is always granted (issue 18) */
  claims: serviceRef<ClusterClaimService>('cluster-claims'),
  /** the shared webhook delivery queue; only in cluster mode (`defineWebhook` uses it when its plugin lists it) */
  webhookQueue: serviceRef<WebhookQueueService>('webhook-queue'),
  /** the cluster's PostgreSQL for plugin state every node must see; only in cluster mode (list it under `uses`) */
  sharedSql: serviceRef<SharedSqlService>('shared-sql'),
})
