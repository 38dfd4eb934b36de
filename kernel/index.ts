/**
 * The kernel's public surface, for the CLI and the SDK's test harness. Plugins never import this.
 */
export { Kernel, PROJECT_ROOT, KERNEL_VERSION } from './lifecycle/kernel.js'
export type { KernelOptions } from './lifecycle/kernel.js'
export { flushLog } from './log/logger.js'
