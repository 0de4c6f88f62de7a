import { REQUIRED_CHAINS, minorVersion, versionBefore, type RequiredChain } from '../knowledge/kube-chains.js';
import type { Ruleset } from '../parsers/iptables-save.js';
import type { NodeFacts } from '../facts/types.js';
import { defineRule, type NodeRuleContext } from './define-rule.js';
import { derived, type Evidence, type FindingDraft } from '../model/finding.js';
import {
  FAMILIES,
  backendName,
  chainEvidence,
  findChain,
  isKubeProxyChain,
  kubeChains,
  kubeProxyBackend,
  logEvidence,
  other,
  proxyMode,
  restoreFailures,
  rulesetOf,
  serviceDestination,
  type KubeProxyBackend,
} from './lib/iptables.js';
import { isNonEmpty, type NonEmpty } from '../model/indexing.js';

interface Missing {
  chain: string;
  table: string;
  createdBy: RequiredChain['createdBy'] | 'unknown';
  why: string;
  /** where it does exist */
  elsewhere?: Evidence;
  fromLog?: Evidence[];
}

export default defineRule({
  id: 'iptables-missing-chain',
  title: "A chain kube-proxy's rules need is missing from the backend kube-proxy writes to",
  severity: 'error',
  needs: ['iptables'],
  scope: 'host',
  check({ node, netns }) {
    const out: FindingDraft[] = [];
    const version = node.kubeProxy?.version ?? node.kubeProxyLog?.version?.value;
    for (const family of FAMILIES) {
      const kp = kubeProxyBackend(node, netns, family);
      if (!kp) continue;
      const mine = rulesetOf(netns, family, kp.backend);
      const theirs = rulesetOf(netns, family, other(kp.backend));
      const failures = restoreFailures(node, family);
      // kube-proxy is at work in this family: its chains are there, or its restores fail.
      if (!mine || (!kubeChains(mine).some((c) => isKubeProxyChain(c.name)) && failures.length === 0)) continue;
      const missing = missingRequired({ node, netns }, mine, theirs, failures, version);
      missing.push(...missingFromFailures(node, mine, theirs, failures, missing));
      if (!isNonEmpty(missing)) continue;
      const demo = serviceDestination([mine, theirs]);
      out.push(finding(family, kp, missing, mine.source, theirs?.source, tableChains(mine, missing), version, demo));
    }
    return out;
  },
});

type Failure = ReturnType<typeof restoreFailures>[number];

/** Where a chain does exist, in the other backend's save. */
function foundElsewhere(theirs: Ruleset | undefined, chain: string): Evidence | undefined {
  const elsewhere = theirs ? findChain(theirs, chain) : undefined;
  return theirs && elsewhere ? chainEvidence(theirs, elsewhere) : undefined;
}

/** The chains kube-proxy (for its mode and version) needs that are not in the backend it writes to. */
function missingRequired(
  { node, netns }: NodeRuleContext<'iptables'>,
  mine: Ruleset,
  theirs: Ruleset | undefined,
  failures: Failure[],
  version: string | undefined,
): Missing[] {
  const mode = proxyMode(node, netns);
  const minor = minorVersion(version);
  const missing: Missing[] = [];
  for (const req of REQUIRED_CHAINS) {
    if (mode && !req.modes.includes(mode)) continue;
    if (!mode && req.modes.length < 2) continue; // mode unknown: only what both modes need
    if (findChain(mine, req.chain, req.table)) continue;
    const elsewhere = foundElsewhere(theirs, req.chain);
    const named = failures.filter((f) => f.chain === req.chain);
    // Modern kube-proxy no longer needs it; with no version known, only a trace of it elsewhere counts.
    if (req.neededBefore && minor && !versionBefore(minor, req.neededBefore)) continue;
    if (req.neededBefore && !minor && !elsewhere && named.length === 0) continue;
    const lastNamed = named.at(-1);
    missing.push({
      chain: req.chain,
      table: req.table,
      createdBy: req.createdBy,
      why: req.why,
      elsewhere,
      fromLog: lastNamed ? logEvidence(node, lastNamed) : undefined,
    });
  }
  return missing;
}

/** Chains a failed restore of kube-proxy's named that are not in the backend, beyond those `already` found. */
function missingFromFailures(
  node: NodeFacts,
  mine: Ruleset,
  theirs: Ruleset | undefined,
  failures: Failure[],
  already: Missing[],
): Missing[] {
  const missing: Missing[] = [];
  for (const f of failures) {
    if (!f.chain || findChain(mine, f.chain)) continue;
    if ([...already, ...missing].some((m) => m.chain === f.chain)) continue;
    missing.push({
      chain: f.chain,
      table: (theirs ? findChain(theirs, f.chain)?.table : undefined) ?? '?',
      createdBy: 'unknown',
      why: "kube-proxy's iptables-restore jumps to it",
      elsewhere: foundElsewhere(theirs, f.chain),
      fromLog: logEvidence(node, f),
    });
  }
  return missing;
}

function tableChains(ruleset: Ruleset, missing: Missing[]): Evidence[] {
  const tables = [...new Set(missing.map((m) => m.table))];
  return tables.map((t) => {
    const chains = [...(ruleset.tables.get(t)?.chains.keys() ?? [])];
    return derived(ruleset.source, `*${t} chains: ${chains.length > 0 ? chains.join(' ') : '(no such table)'}`);
  });
}

function finding(
  family: string,
  kp: KubeProxyBackend,
  missing: NonEmpty<Missing>,
  mineSource: string,
  theirsSource: string | undefined,
  chainSets: Evidence[],
  version: string | undefined,
  demo: string | undefined,
): FindingDraft {
  const b = backendName(kp.backend);
  const o = backendName(kp.backend === 'nft' ? 'legacy' : 'nft');
  const rootCauses = missing.filter((m) => m.createdBy !== 'kube-proxy');
  const first = rootCauses[0] ?? missing[0];
  const parts = missing.map((m) => `${m.chain} (*${m.table}${m.elsewhere ? `; only in ${o}` : ''})`);
  const ownOnes = missing.filter((m) => m.createdBy === 'kube-proxy').map((m) => m.chain);
  const basis = [
    'chain sets of both backends',
    missing.some((m) => m.fromLog) ? "the failed restore in kube-proxy's log" : undefined,
  ].filter(Boolean);
  const evidence: Evidence[] = [
    derived('kube-proxy backend', `${b}, from ${kp.how}`),
    ...kp.evidence,
    ...chainSets,
    ...missing.flatMap((m) => [
      derived('missing', `${m.chain} in ${b} *${m.table}: ${m.why}`),
      ...(m.elsewhere ? [m.elsewhere] : theirsSource ? [derived(theirsSource, `${m.chain}: not there either`)] : []),
      ...(m.fromLog ?? []),
    ]),
    derived('basis', basis.join(' + ')),
  ];
  if (version) evidence.push(derived('kube-proxy version', version));
  // the trace shows it on the node: which backend holds the Service's rules, and where a connection goes
  evidence.push(
    derived(
      'see it',
      demo
        ? `netdoctor trace --to ${demo}  (a new connection to this Service, through each backend)`
        : 'netdoctor trace --to SERVICE_IP:PORT  (no Service rule is installed in either backend: the connection goes on untranslated)',
    ),
  );
  return {
    evidence: once(evidence),
    message:
      `kube-proxy writes ${family} rules to the ${b} backend (${mineSource}), which lacks ${parts.join(', ')}. ` +
      (first.elsewhere && first.createdBy === 'kubelet'
        ? `kubelet created ${first.chain} in ${o}, which kube-proxy cannot see; `
        : '') +
      `iptables-restore rejects a whole batch that jumps to a missing chain, so Service rules are not installed` +
      (ownOnes.length > 0
        ? ` (kube-proxy's own ${ownOnes.join(', ')} being absent shows its restore has not succeeded)`
        : '') +
      '.',
    subject: {
      family,
      backend: b,
      chain: first.chain,
      table: first.table,
      missing: missing.map((m) => m.chain).join(','),
    },
    remediation: first.elsewhere
      ? `Align the backends so kube-proxy sees kubelet's chains: use a kube-proxy image with iptables-wrapper (Kubernetes 1.17+), upgrade kube-proxy (1.25+ no longer needs KUBE-MARK-DROP), or switch the host to ${b} (\`update-alternatives --set iptables /usr/sbin/iptables-${kp.backend}\`) and restart kubelet so it recreates ${first.chain} there. Verify with \`iptables-${kp.backend}-save -t ${first.table} | grep '^:${first.chain} '\` and that kube-proxy logs no more iptables-restore failures.`
      : `Create the chain in the ${b} backend as kubelet would (\`iptables-${kp.backend} -t ${first.table} -N ${first.chain}\`${first.chain === 'KUBE-MARK-DROP' ? ` and \`iptables-${kp.backend} -t nat -A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000\`` : ''}), or restart kubelet so it recreates its chains; for kube-proxy's own chains, restart kube-proxy and read its log for the restore error. Verify with \`iptables-${kp.backend}-save -t ${first.table} | grep '^:${first.chain} '\`.`,
  };
}

/** The same log line can back both the backend and a missing chain: show it once. */
function once(evidence: Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return evidence.filter((e) => {
    if (e.line === undefined) return true;
    const key = `${e.source}:${e.line}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
