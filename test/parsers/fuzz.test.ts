/** Every parser, fed arbitrary and mutated input, either answers or throws its own ParseError. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { portBitmap } from '../../src/facts/ephemeral.js';
import { ParseError } from '../../src/parsers/parse-error.js';
import { knownNodePorts } from '../../src/facts/nodeports.js';
import { parseIptablesSave } from '../../src/parsers/iptables-save.js';
import { parseIpvsConns, parseIpvsTable } from '../../src/parsers/ipvs.js';
import { addK8sJson, emptyClusterObjects } from '../../src/parsers/k8s-objects.js';
import { parseIptablesVersion, parseKubeProxyInfo } from '../../src/parsers/kube-proxy-info.js';
import { parseKubeProxyLog } from '../../src/parsers/kube-proxy-log.js';
import { parsePortList, parsePortRange } from '../../src/parsers/port-range.js';
import { parseConntrackStat, parseProcNetCounters, parseSockstat } from '../../src/parsers/proc-net-counters.js';
import { SocketTableScanner } from '../../src/parsers/proc-net-tcp.js';
import { parseSsListeners } from '../../src/parsers/ss-listeners.js';
import { parseSysctls } from '../../src/parsers/sysctl.js';
import { Redactor } from '../../src/redact/redactor.js';
import { parseNetstatS } from '../../src/parsers/netstat-s.js';
import { cleanPaste, cleanPasteLineByLine, pasteIsUntouched } from '../../src/parsers/paste.js';
import { sniffKind } from '../../src/parsers/sniff.js';
import { parseSocketText } from '../../src/parsers/socket-text.js';
import { parseTcpdumpLine } from '../../src/parsers/tcpdump-text.js';
import { newDecodedPacket } from '../../src/parsers/packet.js';
import { FIXTURES, bundleFixture } from '../helpers.js';

const fixture = (p: string) => readFileSync(join(bundleFixture('exhaustion'), 'netns/host', p), 'latin1');
const iptablesFixture = (p: string) => readFileSync(join(FIXTURES, 'iptables', p), 'latin1');
const ipvsFixture = (p: string) => readFileSync(join(FIXTURES, 'ipvs', p), 'latin1');
const corpus = (p: string) => readFileSync(join(FIXTURES, 'corpus', p), 'utf8');

function onlyParseErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    assert.ok(e.line >= 0 && e.source.length > 0);
  }
}

/** Real text with random edits: characters replaced, lines cut, bytes inserted. */
function mutated(real: string): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(fc.nat({ max: Math.max(real.length - 1, 0) }), fc.string({ maxLength: 4 }), fc.nat({ max: 3 })), {
      maxLength: 8,
    })
    .map((edits) => edits.reduce((s, [at, ins, del]) => s.slice(0, at) + ins + s.slice(at + del), real));
}

const text = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }));
const RUNS = { numRuns: 300 };

const parsers: [string, (s: string) => unknown, string][] = [
  ['sysctl', (s) => parseSysctls(s, 'sysctl.txt'), fixture('sysctl.txt')],
  ['netstat', (s) => parseProcNetCounters(s, 'netstat'), fixture('proc/net/netstat')],
  ['snmp', (s) => parseProcNetCounters(s, 'snmp'), fixture('proc/net/snmp')],
  ['sockstat', (s) => parseSockstat(s, 'sockstat'), fixture('proc/net/sockstat')],
  ['nf_conntrack stat', (s) => parseConntrackStat(s, 'nf_conntrack'), fixture('proc/net/stat/nf_conntrack')],
  ['ss -ltn', (s) => parseSsListeners(s, 'ss-ltn'), fixture('ss-ltn')],
  ['port range', (s) => parsePortRange(s), '32768\t60999'],
  [
    'iptables-save',
    (s) => {
      // the NodePort reader walks every rule the parser accepted
      const iptables = { 'iptables-nft-save': parseIptablesSave(s, 'iptables-nft-save') };
      return knownNodePorts({ iptables } as unknown as Parameters<typeof knownNodePorts>[0]);
    },
    iptablesFixture('kube-proxy.nft.save'),
  ],
  ['iptables-save -c', (s) => parseIptablesSave(s, 'c'), iptablesFixture('kube-proxy.legacy-counters.save')],
  ['kube-proxy log', (s) => parseKubeProxyLog(s, 'log'), iptablesFixture('kube-proxy-1.13.log')],
  [
    'host/kube-proxy',
    (s) => parseKubeProxyInfo(s),
    'pid: 812\ncommand: kube-proxy --proxy-mode=ipvs\nbackend: legacy\nimage: registry.k8s.io/kube-proxy:v1.13.10\n',
  ],
  ['iptables -V', (s) => parseIptablesVersion(s), 'iptables v1.8.9 (nf_tables)\n'],
  ['/proc/net/ip_vs', (s) => parseIpvsTable(s, 'ip_vs'), ipvsFixture('ip_vs.rolling-update')],
  ['ipvsadm -Ln', (s) => parseIpvsTable(s, 'ipvsadm-Ln'), ipvsFixture('ipvsadm-Ln.rolling-update')],
  ['ipvsadm -Ln --stats', (s) => parseIpvsTable(s, 'stats'), ipvsFixture('ipvsadm-Ln-stats.rolling-update')],
  ['/proc/net/ip_vs_conn', (s) => parseIpvsConns(s, 'ip_vs_conn'), ipvsFixture('ip_vs_conn.rolling-update')],
  ['ipvsadm -Lnc', (s) => parseIpvsConns(s, 'ipvsadm-Lnc'), ipvsFixture('ipvsadm-Lnc.rolling-update')],
  [
    'k8s JSON',
    (s) => addK8sJson(emptyClusterObjects(), s, 'k8s/x.json'),
    '{"kind":"List","items":[{"kind":"Service","metadata":{"name":"web","namespace":"default"},"spec":{"clusterIP":"10.96.0.100","ports":[{"port":80,"protocol":"TCP"}]}},{"kind":"Endpoints","metadata":{"name":"web","namespace":"default"},"subsets":[{"addresses":[{"ip":"10.244.2.3"}],"ports":[{"port":8080}]}]}]}',
  ],
  ['port list', (s) => parsePortList(s), '30000-32767,40000'],
  [
    '/proc/net/tcp',
    (s) => {
      const sc = new SocketTableScanner({
        ephemeral: portBitmap([{ lo: 40000, hi: 40009 }]),
        watched: portBitmap([{ lo: 30000, hi: 32767 }]),
      }).file('tcp');
      sc.push(Buffer.from(s, 'latin1'));
      return sc.result();
    },
    fixture('proc/net/tcp'),
  ],
  // what people paste: every shape goes through the paste cleaner and the sniffer first, as in `analyze`
  [
    'ss -tan (pasted)',
    (s) => pasted(s, (t) => parseSocketText(t, 'ss-tan', () => {})),
    corpus('ss-ant-netdata2169.txt'),
  ],
  [
    'netstat -an (pasted)',
    (s) => pasted(s, (t) => parseSocketText(t, 'netstat-an', () => {})),
    corpus('netstat-anltp-nacos2395.txt'),
  ],
  ['netstat -s (pasted)', (s) => pasted(s, (t) => parseNetstatS(t, 'netstat-s')), corpus('netstat-s-hiboma4.txt')],
  ['ipvsadm -Ln (pasted)', (s) => pasted(s, (t) => parseIpvsTable(t, 'ipvsadm-Ln')), corpus('ipvsadm-99162.md')],
  [
    'iptables-save (pasted, cut short)',
    (s) => pasted(s, (t) => parseIptablesSave(t, 'iptables-save')),
    corpus('iptables-save-66454.txt'),
  ],
  [
    'kube-proxy log (pasted)',
    (s) => pasted(s, (t) => parseKubeProxyLog(t, 'log')),
    corpus('kube-proxy-minikube8217.log'),
  ],
];

/** A pasted artefact: cleaned and sniffed (neither may throw at all), then parsed. */
function pasted(text: string, parse: (t: string) => unknown): unknown {
  const c = cleanPaste(text);
  assert.equal(c.text.split('\n').length, text.split('\n').length, 'line numbers are kept');
  sniffKind(c.text, 'x.txt', c.commands);
  return parse(c.text);
}

describe('fuzz: paste cleaning', () => {
  it('the shortcut for text with nothing to clean gives what looking at every line gives', () => {
    // lines of real output and every kind of wrapping a paste has, in any order and indent
    const line = fc.constantFrom(
      '',
      '# Generated by iptables-nft-save v1.8.9 (nf_tables) on Tue Dec  1 10:00:00 2026',
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      '-A KUBE-SERVICES -m comment --comment "a/b:c > $HOME 100%" -j KUBE-SVC-X',
      'COMMIT',
      '  sl  local_address rem_address   st',
      '```',
      '~~~text',
      'root@node-1:~# iptables-save',
      '[root@node-1 ~]# cat /proc/net/tcp',
      'node-1:~ $ ss -tan',
      '$ sysctl -a',
      '/ # netstat -s',
      '# iptables-save',
      '> -A KUBE-X -j DROP',
      '>',
      '* ',
      '*filter',
      'iptables-save',
      'ipvsadm -Ln',
      '\uFEFF*nat',
      '# Completed on Tue Dec  1 10:00:00 2026',
    );
    const paste = fc
      .tuple(
        fc.array(fc.tuple(line, fc.constantFrom('', ' ', '\t', '    ')), { maxLength: 12 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
      )
      .map(([lines, end, last]) => lines.map(([l, indent]) => indent + l).join(end) + (last ? end : ''));
    fc.assert(
      fc.property(paste, (text) => {
        const slow = cleanPasteLineByLine(text);
        assert.deepEqual(cleanPaste(text), slow);
        const untouched = pasteIsUntouched(Buffer.from(text, 'utf8'));
        assert.equal(untouched, pasteIsUntouched(text), 'bytes and text are judged alike');
        if (untouched) assert.deepEqual(slow, { text, commands: [], wrapping: [] });
      }),
      { numRuns: 3000 },
    );
  });
});

describe('fuzz: tcpdump text lines', () => {
  it('any line is a packet or not one, never an exception', () => {
    const sample =
      '01:45:50.565960 IP 10.77.0.1.45982 > 10.77.0.2.82: Flags [S], seq 2322365173, win 64240, options [mss 1460,sackOK,TS val 1753034701 ecr 0,nop,wscale 10], length 0';
    const p = newDecodedPacket();
    fc.assert(
      fc.property(fc.oneof(text, mutated(sample)), (line) => void parseTcpdumpLine(line, p)),
      RUNS,
    );
  });
});

describe('fuzz: parsers throw only ParseError', () => {
  for (const [name, parse, real] of parsers) {
    it(`${name}: arbitrary input`, () =>
      fc.assert(
        fc.property(text, (s) => onlyParseErrors(() => parse(s))),
        RUNS,
      ));
    it(`${name}: mutated real input`, () =>
      fc.assert(
        fc.property(mutated(real), (s) => onlyParseErrors(() => parse(s))),
        RUNS,
      ));
  }
});

describe('fuzz: redaction', () => {
  it('keeps a /proc/net/tcp line parseable and its ports intact', () => {
    const lines = fixture('proc/net/tcp').split('\n').slice(1).filter(Boolean);
    fc.assert(
      fc.property(fc.constantFrom(...lines), fc.ipV4(), (line, ip) => {
        const r = new Redactor('LE');
        r.ipv4(ip);
        const out = r.procNetTcpLine(line);
        assert.equal(out.length, line.length);
        assert.deepEqual(out.split(/\s+/).slice(4), line.split(/\s+/).slice(4));
        const ports = (l: string) => [...l.matchAll(/:([0-9A-F]{4}) /g)].slice(0, 2).map((m) => m[1]);
        assert.deepEqual(ports(out), ports(line));
      }),
      RUNS,
    );
  });
  it('maps distinct addresses to distinct stand-ins', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.ipV4(), { maxLength: 50 }), (ips) => {
        const r = new Redactor();
        const mapped = ips.map((ip) => r.ipv4(ip));
        assert.equal(new Set(mapped).size, new Set(ips).size);
      }),
      RUNS,
    );
  });
});
