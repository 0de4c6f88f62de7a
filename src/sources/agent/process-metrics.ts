/**
 * The agent process's own CPU and memory in its metrics (its footprint, visible where it runs). prom-client
 * reads them from /proc/self, so this is machine I/O and lives here; src/agent stays pure. Its three
 * `nodejs_active_*_total` gauges go: promtool's lint rejects a gauge named `_total`.
 */
import { collectDefaultMetrics, type Registry } from 'prom-client';

export function addProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: 'netdoctor_' });
  for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total'])
    registry.removeSingleMetric(`netdoctor_nodejs_${name}`);
}
