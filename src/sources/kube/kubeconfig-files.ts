/** Which kubeconfig files a command reads, found as client-node and kubectl find them. */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ToolError } from '../../model/errors.js';

export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
}

/** The kubeconfig files client-node would read, in its order; none when no file exists. */
export function kubeconfigFiles(target: KubeTarget): string[] {
  if (target.kubeconfig) return [target.kubeconfig];
  const envFiles = (process.env.KUBECONFIG ?? '').split(':').filter(Boolean);
  if (envFiles.length > 0) return envFiles.filter((f) => existsSync(f));
  const home = join(homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

/** The error client-node would not give: it falls back to http://localhost:8080 when it finds nothing. */
export function noKubeconfig(): ToolError {
  const envFiles = (process.env.KUBECONFIG ?? '').split(':').filter(Boolean);
  const home = join(homedir(), '.kube', 'config');
  return new ToolError(
    `no kubeconfig: ${envFiles.length > 0 ? `KUBECONFIG names no existing file (${envFiles.join(':')})` : `no $KUBECONFIG and no ${home}`}; pass --kubeconfig FILE (or, for cluster, --from-dump DIR with recorded kubectl get -o json output)`,
  );
}
