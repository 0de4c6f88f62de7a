/** IPVS is not in the kernel here: the bundle holds captured-format text (see test/fixtures/ipvs/README.md). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeBundles } from '../../src/engine.js';
import { NODE_RULES } from '../../src/rules/index.js';
import { FIXTURES, analyzeEdited, analyzeFixture, bundleFixture, byRule, nonEmpty } from '../helpers.js';
import ipvsStaleRealServer from '../../src/rules/ipvs-stale-real-server.js';
import { ruleTester, fixtureText } from './rule-tester.js';

const RULE = 'ipvs-stale-real-server';
const ipvs = (name: string) => readFileSync(join(FIXTURES, 'ipvs', name), 'utf8');

describe(RULE, () => {
  it('invalid: a rolling update left 10.244.1.2 at weight 0, and reused source ports reach it → error', async () => {
    const findings = byRule(await analyzeFixture(bundleFixture('ipvs-rolling-update')), RULE);
    const [f] = nonEmpty(findings);
    assert.deepEqual(
      {
        severity: f.severity,
        service: f.subject.service,
        real: f.subject.realServer,
        connections: f.subject.connections,
        pinned: f.subject.newHandshakes,
      },
      { severity: 'error', service: '10.96.0.100:80', real: '10.244.1.2:8080', connections: 25, pinned: 2 },
    );
    assert.ok(
      f.evidence.some(
        (e) => e.source === 'proc/net/ip_vs' && e.line === 5 && /^ {2}-> 0AF40102:1F90 +Masq +0 +0 +25/.test(e.detail),
      ),
    );
    assert.ok(f.evidence.some((e) => e.source === 'later/proc/net/ip_vs' && /Masq +0 +0 +19/.test(e.detail)));
    assert.ok(
      f.evidence.some(
        (e) => e.source === 'samples' && e.detail === 'weight 0 in both samples 2.0 s apart; connections 25 → 19',
      ),
    );
    assert.ok(f.evidence.some((e) => e.source === 'proc/net/ip_vs_conn' && / SYN_RECV +59 $/.test(e.detail)));
    // the IPv6 one only drains, but conn_reuse_mode=0 puts it at risk
    const v6 = findings.find((x) => x.subject.realServer === '[fd00:10:244:1::2]:8080');
    assert.equal(v6?.severity, 'warning');
  });

  it('the same from ipvsadm -Ln / -Lnc when the proc files are absent', async () => {
    const report = await analyzeEdited('ipvs-rolling-update', {
      'netns/host/proc/net/ip_vs': null,
      'netns/host/proc/net/ip_vs_conn': null,
      'netns/host/later/proc/net/ip_vs': null,
      'netns/host/ipvsadm-Ln': ipvs('ipvsadm-Ln.rolling-update'),
      'netns/host/ipvsadm-Lnc': ipvs('ipvsadm-Lnc.rolling-update'),
    });
    const [f] = nonEmpty(byRule(report, RULE));
    assert.deepEqual(
      { severity: f.severity, real: f.subject.realServer, pinned: f.subject.newHandshakes },
      { severity: 'error', real: '10.244.1.2:8080', pinned: 1 },
    );
    assert.ok(f.evidence.some((e) => e.source === 'ipvsadm-Ln' && /10\.244\.1\.2:8080 +Masq +0 +0 +25/.test(e.detail)));
  });

  it('draining only, on a 5.10 kernel with conn_reuse_mode=1 → info', async () => {
    const report = await analyzeEdited('ipvs-rolling-update', {
      'host/kernel-release': '5.10.0-23-amd64\n',
      'netns/host/sysctl.txt': 'net.ipv4.vs.conn_reuse_mode = 1\nnet.ipv4.vs.expire_nodest_conn = 1\n',
      'netns/host/proc/net/ip_vs_conn': null,
    });
    assert.deepEqual(
      byRule(report, RULE).map((f) => f.severity),
      ['info', 'info'],
    );
  });

  it('valid: a clean table → nothing', async () => {
    const report = await analyzeEdited('ipvs-rolling-update', {
      'netns/host/proc/net/ip_vs': ipvs('ip_vs.clean'),
      'netns/host/later/proc/net/ip_vs': null,
      'netns/host/proc/net/ip_vs_conn': null,
    });
    assert.deepEqual(byRule(report, RULE), []);
  });

  it('skipped with the reason on a node without IPVS (a real capture)', async () => {
    const report = await analyzeFixture(bundleFixture('exhaustion'));
    assert.ok(report.skipped.some((s) => s.rule === RULE && /ip_vs/.test(s.reason)));
  });
});

describe(`${RULE}: real servers that are not endpoints (Endpoints in the bundle)`, () => {
  const cluster = (ready: string[]) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'web', namespace: 'default' },
          spec: {
            clusterIP: '10.96.0.100',
            clusterIPs: ['10.96.0.100'],
            ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }],
          },
        },
        {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name: 'web-abcde', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
          ports: [{ port: 8080, protocol: 'TCP' }],
          endpoints: [
            ...ready.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
            { addresses: ['10.244.1.2'], conditions: { ready: false, serving: false, terminating: true } },
          ],
        },
      ],
    });

  it('the weight-0 real server is named as no longer an endpoint', async () => {
    const [f] = nonEmpty(
      byRule(
        await analyzeEdited('ipvs-rolling-update', { 'k8s/web.json': cluster(['10.244.2.3', '10.244.3.4']) }),
        RULE,
      ),
    );
    assert.equal(f.subject.realServer, '10.244.1.2:8080');
    assert.ok(
      f.evidence.some(
        (e) =>
          e.source === 'k8s/web.json' &&
          /^10\.244\.1\.2:8080 is not an endpoint of Service default\/web/.test(e.detail),
      ),
    );
  });

  it('a live real server (weight 1) that is not an endpoint → error naming the Service', async () => {
    const findings = byRule(
      await analyzeEdited('ipvs-rolling-update', { 'k8s/web.json': cluster(['10.244.2.3', '10.244.6.7']) }),
      RULE,
    );
    const f = findings.find((x) => x.subject.realServer === '10.244.3.4:8080');
    assert.deepEqual(
      { severity: f?.severity, k8s: f?.subject.k8sService, weight: f?.subject.weight },
      { severity: 'error', k8s: 'default/web', weight: 1 },
    );
    assert.ok(
      f!.evidence.some(
        (e) => e.source === 'k8s/web.json' && e.detail === 'endpoints of default/web: 10.244.2.3:8080, 10.244.6.7:8080',
      ),
    );
    assert.equal(
      findings.filter((x) => x.subject.realServer === '10.244.2.3:8080').length,
      0,
      'a real endpoint is fine',
    );
  });
});

describe('ipvs-stale-real-server: a busy weight-0 server is a warning', () => {
  it('14,058 entries (kubernetes#81775), reuse mode and kernel unknown → warning, saying why', async () => {
    const report = await analyzeBundles([join(FIXTURES, 'corpus', 'ipvsadm-81775.txt')], { rules: NODE_RULES });
    const [f] = report.findings.filter((x) => x.rule === 'ipvs-stale-real-server');
    assert.equal(f?.severity, 'warning');
    assert.equal(f?.subject.connections, 14058);
    assert.ok(
      f?.evidence.some(
        (e) => e.source === 'judgement' && /conn_reuse_mode was not read .*14,058 entries/.test(e.detail),
      ),
    );
  });
});

const weightOne = (path: string) => fixtureText('ipvs-rolling-update', path).replace(/Masq {4}0 /g, 'Masq    1 ');

ruleTester(ipvsStaleRealServer, {
  valid: [
    {
      name: 'every real server weighted in both samples',
      bundle: 'ipvs-rolling-update',
      edits: {
        'netns/host/proc/net/ip_vs': weightOne('netns/host/proc/net/ip_vs'),
        'netns/host/later/proc/net/ip_vs': weightOne('netns/host/later/proc/net/ip_vs'),
      },
    },
  ],
  invalid: [
    {
      name: 'a weight-0 pod still taking new handshakes after a rollout (ipvs-rolling-update bundle)',
      bundle: 'ipvs-rolling-update',
      findings: [
        {
          severity: 'error',
          subject: {
            netns: 'host',
            service: '10.96.0.100:80',
            realServer: '10.244.1.2:8080',
            weight: 0,
            connections: 25,
            newHandshakes: 2,
          },
          evidence: [
            'proc/net/ip_vs: TCP  0A600064:0050 rr  ',
            /^proc\/net\/ip_vs: {3}-> 0AF40102:1F90 {6}Masq {4}0 {6}0 {10}25/,
            /^later\/proc\/net\/ip_vs: {3}-> 0AF40102:1F90 .* 19/,
            'samples: weight 0 in both samples 2.0 s apart; connections 25 → 19',
            'proc/net/ip_vs_conn: 21 entries toward 10.244.1.2:8080: TIME_WAIT 19, SYN_RECV 2; the last expires in 108 s',
          ],
        },
        {
          severity: 'warning',
          subject: {
            netns: 'host',
            service: '[fd00:10:96::64]:80',
            realServer: '[fd00:10:244:1::2]:8080',
            weight: 0,
            connections: 3,
          },
          evidence: [/^proc\/net\/ip_vs: TCP  \[fd00:0010:0096:/],
        },
      ],
    },
  ],
});
