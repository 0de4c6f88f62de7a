/**
 * What a workload's pod does to sysctls, read from a manifest object: the facts the lint rules judge.
 */
import { canonicalSysctl, isNodeWideNetSysctl } from '../knowledge/k8s-sysctls.js';
import type { ManifestFile, Position, YamlView } from '../parsers/manifests.js';
import { sysctlWritesOfArgv, type SysctlWrite } from '../parsers/shell-sysctl.js';

/** Where each workload kind keeps its pod template (the pod spec's parent: metadata + spec). */
const POD_TEMPLATE_PATH: Record<string, string[]> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
  PodTemplate: ['template'],
};

export const WORKLOAD_KINDS = Object.keys(POD_TEMPLATE_PATH);

const IGNORE_ANNOTATION = 'netdoctor.io/ignore';
const IGNORE_REASON_ANNOTATION = 'netdoctor.io/ignore-reason';

export interface Located<T> {
  value: T;
  position: Position;
}

export interface ContainerSysctlWrite extends SysctlWrite {
  position: Position;
  /** the guard compares a pod-IP variable with a host-IP variable, both from the downward API */
  guardValid: boolean;
}

export interface ContainerFacts {
  name: string;
  init: boolean;
  position: Position;
  /** securityContext.privileged: true */
  privileged: boolean;
  /** capabilities.add, upper case, without CAP_ */
  capabilitiesAdded: string[];
  writes: ContainerSysctlWrite[];
  /** env name → downward API fieldPath (status.podIP, status.hostIP, …) */
  fieldRefs: Map<string, string>;
}

export interface Workload {
  file: ManifestFile;
  kind: string;
  name: string;
  namespace?: string;
  helmSource?: string;
  position: Position;
  hostNetwork: Located<boolean>;
  hostPID: boolean;
  /** pod securityContext.sysctls */
  sysctls: Located<{ name: string; value: string }>[];
  containers: ContainerFacts[];
  ignore?: { rules: string[]; reason?: string; position: Position };
}

/** The workload an object is, or undefined for objects without a pod template (Services, ConfigMaps, …). */
export function workloadOf(object: YamlView): Workload | undefined {
  const list = containerListOf(object);
  if (list) return list;
  const declared = object.get('kind').text();
  const path =
    declared !== undefined && declared in POD_TEMPLATE_PATH
      ? POD_TEMPLATE_PATH[declared]
      : fragmentTemplatePath(object);
  if (!path) return undefined;
  const kind = declared ?? 'patch';
  const template = object.path(...path);
  const spec = template.get('spec');
  if (!spec.exists) return undefined;
  const meta = object.get('metadata');
  const hostNetwork = spec.get('hostNetwork');
  const hostPID = spec.get('hostPID').bool();
  const containers = [
    ...spec
      .get('initContainers')
      .items()
      .map((c) => containerOf(c, true)),
    ...spec
      .get('containers')
      .items()
      .map((c) => containerOf(c, false)),
  ];
  return {
    file: object.file,
    kind,
    name: meta.get('name').text() ?? meta.get('generateName').text() ?? '(unnamed)',
    namespace: meta.get('namespace').text(),
    helmSource: object.helmSource,
    position: object.position(),
    hostNetwork: { value: hostNetwork.bool(), position: hostNetwork.exists ? hostNetwork.position() : spec.position() },
    hostPID,
    sysctls: spec
      .path('securityContext', 'sysctls')
      .items()
      .flatMap((s) => {
        const name = s.get('name').text();
        return name
          ? [
              {
                value: { name: canonicalSysctl(name), value: s.get('value').text() ?? '' },
                position: s.get('name').position(),
              },
            ]
          : [];
      }),
    containers,
    ignore: ignoreOf(meta) ?? ignoreOf(template.get('metadata')),
  };
}

/**
 * A bare list of containers, as people paste an initContainers section (neondatabase/helm-charts#176):
 * linted as a pod's init containers, with what the pod around them would add (hostNetwork) unknown.
 */
function containerListOf(object: YamlView): Workload | undefined {
  const items = object.items();
  const isContainer = (c: YamlView) =>
    c.get('name').exists && (c.get('image').exists || c.get('command').exists || c.get('args').exists);
  if (items.length === 0 || !items.every(isContainer)) return undefined;
  return {
    file: object.file,
    kind: 'containers',
    name: '(a list of containers)',
    position: object.position(),
    hostNetwork: { value: false, position: object.position() },
    hostPID: false,
    sysctls: [],
    containers: items.map((c) => containerOf(c, true)),
  };
}

/**
 * Strategic-merge and kustomize patches carry a pod template without always naming a workload kind (or
 * name a CRD that embeds one): where containers sit under spec.template.spec or spec, lint them too.
 */
function fragmentTemplatePath(object: YamlView): string[] | undefined {
  const hasContainers = (spec: YamlView) => spec.get('containers').exists || spec.get('initContainers').exists;
  if (hasContainers(object.path('spec', 'template', 'spec'))) return ['spec', 'template'];
  if (hasContainers(object.path('template', 'spec'))) return ['template'];
  if (hasContainers(object.get('spec'))) return [];
  return undefined;
}

function ignoreOf(meta: YamlView): Workload['ignore'] {
  const annotations = meta.get('annotations');
  const value = annotations.get(IGNORE_ANNOTATION);
  const text = value.text();
  if (text === undefined) return undefined;
  return {
    rules: text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    reason: annotations.get(IGNORE_REASON_ANNOTATION).text(),
    position: value.position(),
  };
}

function containerOf(c: YamlView, init: boolean): ContainerFacts {
  const sc = c.get('securityContext');
  const fieldRefs = new Map<string, string>();
  const literalEnv = new Map<string, string>();
  for (const e of c.get('env').items()) {
    const name = e.get('name').text();
    if (!name) continue;
    const fieldPath = e.path('valueFrom', 'fieldRef', 'fieldPath').text();
    if (fieldPath) fieldRefs.set(name, fieldPath);
    const value = e.get('value').text();
    if (value !== undefined) literalEnv.set(name, value);
  }
  const argvNodes = [...c.get('command').items(), ...c.get('args').items()];
  const argv = argvNodes.map((n) => n.text() ?? '');
  const { writes, scriptIndex } = sysctlWritesOfArgv(argv, literalEnv);
  const scriptNode = scriptIndex !== undefined ? argvNodes[scriptIndex] : undefined;
  return {
    name: c.get('name').text() ?? '(unnamed)',
    init,
    position: c.get('name').exists ? c.get('name').position() : c.position(),
    privileged: sc.get('privileged').bool(),
    capabilitiesAdded: sc
      .path('capabilities', 'add')
      .strings()
      .map((s) => s.toUpperCase().replace(/^CAP_/, '')),
    fieldRefs,
    writes: writes.map((w) => ({
      ...w,
      position: scriptNode ? scriptNode.positionInValue(w.line, w.column) : (argvNodes[0]?.position() ?? c.position()),
      guardValid: w.guard !== undefined && isPodHostGuard(w.guard, fieldRefs),
    })),
  };
}

const POD_IP_FIELDS = new Set(['status.podIP', 'status.podIPs']);

/** The guard only means "not on the host network" when it compares the pod's IP with the node's. */
function isPodHostGuard(guard: { left: string; right: string }, fieldRefs: Map<string, string>): boolean {
  const a = fieldRefs.get(guard.left);
  const b = fieldRefs.get(guard.right);
  return (POD_IP_FIELDS.has(a ?? '') && b === 'status.hostIP') || (POD_IP_FIELDS.has(b ?? '') && a === 'status.hostIP');
}

/** A container that can write /proc/sys: the runtime mounts it read-only unless the container is privileged. */
export function canWriteSysctls(c: ContainerFacts): boolean {
  return c.privileged || c.capabilitiesAdded.includes('SYS_ADMIN') || c.capabilitiesAdded.includes('ALL');
}

/** Writes that change the node's network namespace when they run. */
export function writesReachingNode(w: Workload, c: ContainerFacts): ContainerSysctlWrite[] {
  if (!canWriteSysctls(c)) return [];
  return c.writes.filter((write) => {
    // Node-wide parameters (nf_conntrack_max, module parameters) change the node from any pod's namespace.
    if (write.key !== undefined && isNodeWide(write.key)) return true;
    if (write.key !== undefined && !write.key.startsWith('net.')) return false;
    if (write.viaNsenterPid1 && w.hostPID) return true;
    return w.hostNetwork.value && !write.guardValid;
  });
}

/** A kernel parameter no network namespace has its own copy of. */
export function isNodeWide(key: string): boolean {
  return key.startsWith('/sys/module/') || isNodeWideNetSysctl(key);
}
