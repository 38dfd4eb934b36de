// autocannon in-process; each measurement samples the server's CPU time around the run.
import autocannon from 'autocannon'
import { cpuMs } from './proc.js'

export async function load(url, { pid, headers = {}, connections = 20, duration = 5 } = {}) {
  const c0 = pid ? cpuMs(pid) : 0
  const r = await autocannon({ url, connections, duration, headers, pipelining: 1 })
  const cpu = pid ? cpuMs(pid) - c0 : 0
  const requests = r.requests.total
  return {
    rps: r.requests.average,
    requests,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    p99ms: r.latency.p99,
    cpuPerReqUs: requests ? (cpu * 1000) / requests : NaN,
  }
}
