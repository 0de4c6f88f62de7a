import type { Finding } from './finding.js';

export interface Skipped {
  rule: string;
  reason: string;
  /** the namespaces the reason applies to */
  netns?: string[];
  /**
   * true when the machine has no such thing (no IPVS in the kernel, no kube-proxy): the failure cannot
   * happen here, so the rule is answered, not left unchecked
   */
  notApplicable?: boolean;
}

/** What was judged where: per namespace, the rules that ran, that could not run, and that do not apply. */
export interface Coverage {
  node?: string;
  netns: string;
  ran: string[];
  skipped: string[];
  notApplicable: string[];
}

export interface RuleRun {
  findings: Finding[];
  skipped: Skipped[];
  coverage: Coverage[];
}
