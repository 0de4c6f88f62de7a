/**
 * The remediation meta-test (issue 14): every rule, run on the committed artefacts (fixture bundles, the
 * public corpus, manifests, captures, cluster dumps), must produce at least one finding, and every finding must carry a
 * concrete remediation, its docs page and evidence that says what it is. A rule no artefact reaches is named
 * here with the scenario test that proves it on the real kernel instead.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Finding } from '../../src/model/finding.js';
import { analyzeBundles, analyzeClusterDump } from '../../src/engine.js';
import { DEFAULT_NODEPORT_RANGE } from '../../src/model/port-range.js';
import { ALL_RULES, CLUSTER_RULES, NODE_RULES } from '../../src/rules/index.js';
import { assertFindingContract } from './rule-tester.js';
import {
  analyzeEdited,
  analyzeFixture,
  analyzePcapFixture,
  bundleFixture,
  FIXTURES,
  lintFixture,
  CLUSTER_DUMPS,
} from '../helpers.js';

/** Rules that only the kernel scenarios reach, with the test that proves them there (none today). */
const SCENARIO_ONLY: Record<string, string> = {};

/** No committed artefact holds TIME_WAIT pressure: the exhaustion bundle's sockets, closed (state 06). */
const timeWaitEdit = () => {
  const tcp = readFileSync(join(bundleFixture('exhaustion'), 'netns/host/proc/net/tcp'), 'latin1');
  return {
    'netns/host/proc/net/tcp': tcp.replace(/^(\s*\d+: 0100007F:9C4[0-9A-F]) 0100007F:1F90 01/gm, '$1 0200000A:1F90 06'),
    'netns/host/sysctl.txt': 'net.ipv4.ip_local_port_range = 40000\t40009\nnet.ipv4.tcp_tw_reuse = 0\n',
  };
};

const BUNDLES = readdirSync(join(FIXTURES, 'bundles')).filter((d) => d !== 'README.md');
const MANIFESTS = ['incidents.yaml', 'more-rules.yaml', 'incidents-list.yaml'];
const CAPTURES = readdirSync(join(FIXTURES, 'pcap')).filter((f) => /\.pcap(ng)?$/.test(f));

interface CorpusCase {
  command?: string;
  files?: string[];
}
const corpus = JSON.parse(readFileSync(join(FIXTURES, 'corpus', 'corpus.json'), 'utf8')) as CorpusCase[];

describe('every rule: remediation and evidence on real artefacts', () => {
  const findings: Finding[] = [];
  before(async () => {
    for (const b of BUNDLES) findings.push(...(await analyzeFixture(bundleFixture(b))).findings);
    findings.push(...(await lintFixture(MANIFESTS)).findings);
    for (const c of CAPTURES) findings.push(...(await analyzePcapFixture(c)).findings);
    findings.push(...(await analyzeEdited('exhaustion', timeWaitEdit())).findings);
    for (const dump of CLUSTER_DUMPS) {
      const report = await analyzeClusterDump([join(FIXTURES, dump)], {
        rules: CLUSTER_RULES,
        nodePortRange: DEFAULT_NODEPORT_RANGE,
      }).catch(() => ({ findings: [] }));
      findings.push(...report.findings);
    }
    for (const c of corpus.filter((c) => c.files)) {
      const paths = (c.files ?? []).map((f) => join(FIXTURES, 'corpus', f));
      const command = c.command ?? 'analyze';
      // Corpus cases that end in exit 2 (nothing checkable) are the corpus test's business, not this one's.
      if (command === 'analyze')
        findings.push(...(await analyzeBundles(paths, { rules: NODE_RULES }).catch(() => ({ findings: [] }))).findings);
      if (command === 'pcap') findings.push(...(await analyzePcapFixture(paths)).findings);
    }
  });

  it('each rule is reached by at least one artefact (or is named as scenario-only, with its test)', () => {
    const seen = new Set(findings.map((f) => f.rule));
    const unreached = ALL_RULES.map((r) => r.id).filter((id) => !seen.has(id) && !(id in SCENARIO_ONLY));
    assert.deepEqual(unreached, [], 'add an artefact that makes the rule fire, or a scenario test and an entry');
  });

  for (const rule of ALL_RULES) {
    it(`${rule.id}: remediation, docs and evidence of each finding`, (t) => {
      const own = findings.filter((f) => f.rule === rule.id);
      if (own.length === 0) return t.skip(SCENARIO_ONLY[rule.id] ?? 'not reached (the test above fails)');
      for (const f of own) {
        assertFindingContract(f);
        assert.ok(f.remediation.trim().length > 20, `${f.rule}: remediation too short: ${f.remediation}`);
        assert.ok(f.message.length > 20, `${f.rule}: message`);
        for (const e of f.evidence) assert.ok(e.detail.trim() !== '', `${f.rule}: evidence without detail`);
        const order = ['info', 'warning', 'error'];
        assert.ok(
          order.indexOf(f.severity) <= order.indexOf(rule.severity),
          `${f.rule}: ${f.severity} above the rule's ${rule.severity}`,
        );
      }
    });
  }
});
