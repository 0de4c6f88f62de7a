import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  optionValues,
  IptablesSaveScanner,
  parseIptablesSave,
  ruleWords,
  rulesOf,
  type Ruleset,
  type IptablesRule,
} from '../../src/parsers/iptables-save.js';
import { ParseError } from '../../src/parsers/parse-error.js';
import { cleanPaste } from '../../src/parsers/paste.js';
import { FIXTURES, nonEmpty } from '../helpers.js';

/** The match modules of a rule, in order ("-m comment -m tcp" → comment, tcp). */
const modules = (rule: IptablesRule) => ruleWords(rule).flatMap((w, i, all) => (w === '-m' ? [all[i + 1]] : []));

/** Saved by real iptables 1.8.9 here from test/fixtures/iptables/kube-proxy.rules (see capture.sh). */
const saved = (name: string) => readFileSync(join(FIXTURES, 'iptables', name), 'utf8');

describe('iptables-save parser', () => {
  for (const [file, generatedBy] of [
    ['kube-proxy.nft.save', 'iptables-nft-save v1.8.9 (nf_tables)'],
    ['kube-proxy.legacy.save', 'iptables-save v1.8.9'],
  ] as const) {
    it(`${file}: tables, chains, rules and lines as printed`, () => {
      const text = saved(file);
      const r = parseIptablesSave(text, file);
      assert.equal(r.generatedBy, generatedBy);
      assert.deepEqual([...r.tables.keys()].sort(), ['filter', 'mangle', 'nat']);
      const nat = r.tables.get('nat')!;
      assert.equal(nat.chains.get('PREROUTING')?.policy, 'ACCEPT');
      assert.equal(nat.chains.get('PREROUTING')?.builtin, true);
      assert.equal(nat.chains.get('KUBE-SVC-WEB')?.policy, '-');
      assert.equal(nat.rules.length, 29);
      const lines = text.split('\n');
      for (const rule of nat.rules) assert.equal(lines[rule.line - 1], rule.text);
      for (const c of [...r.tables.values()].flatMap((t) => [...t.chains.values()]))
        assert.equal(lines[c.line - 1], c.text);

      const stat = nat.rules.find((x) => x.chain === 'KUBE-SVC-WEB' && optionValues(x, '--probability').length > 0)!;
      assert.equal(stat.comment, 'default/web:http -> 10.244.1.2:8080');
      assert.deepEqual(modules(stat), ['comment', 'statistic']);
      assert.deepEqual(optionValues(stat, '--probability'), [{ value: '0.33333333349', negated: false }]);
      assert.equal(stat.target, 'KUBE-SEP-WEB1');

      const masq = nat.rules.find((x) => x.chain === 'KUBE-SVC-WEB' && x.target === 'KUBE-MARK-MASQ')!;
      assert.deepEqual(optionValues(masq, '-s'), [{ value: '10.244.0.0/16', negated: true }]);
      const quoted = nat.rules.find((x) => x.chain === 'KUBE-SVL-WEBLOCAL')!;
      assert.equal(quoted.comment, 'say "local" only \\ no masq');

      const filter = r.tables.get('filter')!;
      const recent = filter.rules.find((x) => modules(x).includes('recent'))!;
      assert.deepEqual(optionValues(recent, '--name'), [{ value: 'ssh-guard', negated: false }]);
      assert.equal(recent.target, 'DROP');
      const notEstablished = filter.rules.find((x) => x.chain === 'KUBE-FIREWALL')!;
      assert.equal(optionValues(notEstablished, '--ctstate')[0]?.negated, true);
    });
  }

  it('-c counters on chains and rules', () => {
    const r = parseIptablesSave(saved('kube-proxy.legacy-counters.save'), 'c');
    const nat = r.tables.get('nat')!;
    assert.equal(nat.rules[0]?.chain, 'PREROUTING');
    assert.equal(nat.rules[0]?.target, 'KUBE-SERVICES');
    assert.match(nat.rules[0]?.text, /^\[\d+:\d+\] -A PREROUTING /);
  });

  it('ipset matches and gotos (lines printed by iptables 1.8.9 here, with the ipset package installed)', () => {
    const r = parseIptablesSave(
      [
        '*nat',
        ':PREROUTING ACCEPT [0:0]',
        ':KUBE-NODE-PORT - [0:0]',
        '-A PREROUTING -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT',
        '-A PREROUTING -m set ! --match-set KUBE-CLUSTER-IP dst,dst -g KUBE-NODE-PORT',
        'COMMIT',
      ].join('\n'),
      't',
    );
    const [a, b = assert.fail('two rules expected')] = nonEmpty(r.tables.get('nat')!.rules);
    assert.deepEqual(optionValues(a, '--match-set'), [{ value: 'KUBE-CLUSTER-IP', negated: false }]);
    assert.deepEqual(optionValues(b, '--match-set'), [{ value: 'KUBE-CLUSTER-IP', negated: true }]);
    assert.equal(b.target, 'KUBE-NODE-PORT');
    assert.equal(b.goto, true);
  });

  it('every rule gets its own chain: in declaration order, out of it, far ahead, and for a chain written oddly', () => {
    const chains = ['A', 'AB', 'B', 'C', 'D', 'E', 'F', 'G', 'KUBE-SEP-1', 'KUBE-SEP-10'];
    // D to G skips two declared chains; KUBE-SEP-10 comes after G with KUBE-SEP-1 (its prefix) declared between
    const order = ['A', 'AB', 'B', 'C', 'D', 'G', 'KUBE-SEP-10', 'A', 'KUBE-SEP-1', 'ODD'];
    const text = [
      '*nat',
      ...chains.map((c) => `:${c} - [0:0]`),
      ':ODD - [1:2] ', // a trailing space: read by the general path
      ...order.map((c, i) => `-A ${c} -m comment --comment "${i}" -j RETURN`),
      'COMMIT',
      '',
    ].join('\n');
    const rules = parseIptablesSave(text).tables.get('nat')?.rules ?? [];
    assert.deepEqual(
      rules.map((r) => [r.chain, r.comment]),
      order.map((c, i) => [c, String(i)]),
    );
    // a name that only starts like the last one is not it
    const prefix = parseIptablesSave('*nat\n:A - [0:0]\n-A A -j RETURN\n-A AB -j RETURN\nCOMMIT\n');
    assert.match(prefix.unread?.lines[0]?.reason ?? '', /chain AB, which table nat does not declare/);
  });

  it("rulesOf gives a chain's rules in order: from the range the parse kept, or by a scan when the dump scattered them", () => {
    const text = [
      '*nat',
      ':A - [0:0]',
      ':B - [0:0]',
      ':EMPTY - [0:0]',
      ':C - [0:0]',
      ':D - [0:0]',
      '-A A -m comment --comment a1 -j RETURN',
      '-A A -m comment --comment a2 -j RETURN',
      '-A B -m comment --comment b1 -j RETURN',
      '-A C -m comment --comment c1 -j RETURN',
      '-A B -m comment --comment b2 -j RETURN', // B again after C: no longer one range
      '-A D -m comment --comment d1 -j', // refused (no target): not one of D's rules
      '-A D -m comment --comment d2 -j C -g B', // a declared chain as target; the first target is the rule's
      ':A - [0:0]', // declared twice: rules after it belong to the same chain name
      '-A A -m comment --comment a3 -j RETURN',
      'COMMIT',
      '*filter',
      ':A - [0:0]',
      '-A A -m comment --comment f1 -j ACCEPT',
      'COMMIT',
      '',
    ].join('\n');
    const r = parseIptablesSave(text);
    const nat = r.tables.get('nat');
    const filter = r.tables.get('filter');
    assert.ok(nat && filter);
    // a rule is one object however it is reached: rulesOf before `rules` is read, `rules`, ruleAt
    const firstOfC = rulesOf(nat, 'C')[0];
    assert.equal(nat.ruleCount, 7);
    assert.equal(nat.rules[3], firstOfC);
    assert.equal(nat.ruleAt(3), firstOfC);
    assert.equal(nat.rules[6]?.target, 'RETURN');
    assert.deepEqual([nat.rules[5]?.comment, nat.rules[5]?.target, nat.rules[5]?.goto], ['d2', 'C', false]);
    assert.throws(() => nat.ruleAt(7), RangeError);
    const comments = (t: typeof nat, chain: string) => rulesOf(t, chain).map((rule) => rule.comment);
    assert.deepEqual(comments(nat, 'A'), ['a1', 'a2', 'a3']);
    assert.deepEqual(comments(nat, 'B'), ['b1', 'b2']);
    assert.deepEqual(comments(nat, 'C'), ['c1']);
    assert.deepEqual(comments(nat, 'D'), ['d2']);
    assert.deepEqual(comments(nat, 'EMPTY'), []);
    assert.deepEqual(comments(nat, 'NOT-DECLARED'), []);
    assert.deepEqual(comments(filter, 'A'), ['f1']);
    assert.equal(nat.chains.get('C')?.rulesScattered, false, 'C is one range');
    assert.equal(nat.chains.get('B')?.rulesScattered, true);
    // on every chain of real dumps (public issues' pastes, and iptables 1.8.9's own output of both backends),
    // the kept range is exactly what a scan of every rule finds
    const pastes = [
      'iptables-save-66454.txt',
      'iptables-save-kubeadm784.txt',
      'iptables-save-hostnames-debug-service.txt',
    ];
    const tables = [
      ...pastes.map((f) => cleanPaste(readFileSync(join(FIXTURES, 'corpus', f), 'utf8')).text),
      ...['kube-proxy.nft.save', 'kube-proxy.legacy.save', 'kube-proxy.legacy-counters.save'].map(saved),
    ].flatMap((text) => [...parseIptablesSave(text).tables.values()]);
    assert.ok(tables.reduce((n, t) => n + t.rules.length, 0) > 100);
    for (const table of tables) {
      for (const name of table.chains.keys()) {
        assert.deepEqual(
          rulesOf(table, name),
          table.rules.filter((rule) => rule.chain === name),
          `${table.name}/${name}`,
        );
      }
    }
  });

  it('a table of more rules than its first guess: the columns grow and every rule keeps its fields', () => {
    const n = 5000; // the scanner guesses 256 rules when it is not told the input's size
    const text = ['*filter', ':INPUT ACCEPT [0:0]', ':X - [0:0]']
      .concat(
        Array.from(
          { length: n },
          (_, i) => `-A ${i % 2 ? 'X' : 'INPUT'} -m comment --comment r${i} -j ${i % 3 ? 'ACCEPT' : 'X'}`,
        ),
      )
      .concat(['COMMIT', ''])
      .join('\n');
    const scanner = new IptablesSaveScanner('grown');
    for (let at = 0; at < text.length; at += 4096) scanner.push(Buffer.from(text.slice(at, at + 4096)));
    const filter = scanner.finish().tables.get('filter');
    assert.equal(filter?.ruleCount, n);
    filter.rules.forEach((rule, i) => {
      assert.deepEqual(
        [rule.line, rule.chain, rule.comment, rule.target],
        [i + 4, i % 2 ? 'X' : 'INPUT', `r${i}`, i % 3 ? 'ACCEPT' : 'X'],
      );
    });
    assert.equal(filter.chains.get('X')?.rulesScattered, true);
    // targets that are declared chains are found by their bytes: past the first 512 chains too
    const many = Array.from({ length: 1500 }, (_, i) => `KUBE-SEP-${i}`);
    const nat = parseIptablesSave(
      ['*nat', ':OUTPUT ACCEPT [0:0]', ...many.map((c) => `:${c} - [0:0]`)]
        .concat(
          many.map((c) => `-A OUTPUT -j ${c}`),
          ['-A OUTPUT -j KUBE-SEP-', '-A OUTPUT -j KUBE-SEP-15000', 'COMMIT', ''],
        )
        .join('\n'),
    ).tables.get('nat');
    assert.deepEqual(
      nat?.rules.map((r) => r.target),
      [...many, 'KUBE-SEP-', 'KUBE-SEP-15000'],
    );
    // only the two undeclared names were kept as strings of their own
    assert.deepEqual(nat?.columns.targetNames, ['KUBE-SEP-', 'KUBE-SEP-15000']);
  });

  it('a dump of many small tables keeps small columns: a generous first guess is cut when its table ends', () => {
    // 200 tables of one rule in a 40 MB input: each table first guesses room for a million rules
    const tables = Array.from(
      { length: 200 },
      (_, i) => `*t${String.fromCharCode(97 + (i % 26))}\n:A - [0:0]\n-A A -j ACCEPT\nCOMMIT\n`,
    );
    const text = tables.join('');
    const scanner = new IptablesSaveScanner('many', 40_000_000);
    scanner.push(Buffer.from(text));
    const r = scanner.finish();
    assert.ok(r.tables.size > 0);
    for (const t of r.tables.values()) {
      assert.equal(t.ruleCount, 1);
      assert.ok(t.columns.ints.length <= 40, `table ${t.name} keeps ${t.columns.ints.length} numbers for 1 rule`);
      assert.equal(t.rules[0]?.target, 'ACCEPT');
    }
  });

  it('warnings iptables-nft-save prints are kept', () => {
    const r = parseIptablesSave(
      '# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n',
      'w',
    );
    assert.deepEqual(r.warnings, [
      { line: 1, text: '# Warning: iptables-legacy tables present, use iptables-legacy-save to see them' },
    ]);
    assert.equal(r.tables.size, 0);
  });

  it('rejects input with no table at all, with the line', () => {
    assert.throws(
      () => parseIptablesSave('-A INPUT -j ACCEPT\n', 'x.save'),
      (e: unknown) =>
        e instanceof ParseError && e.source === 'x.save' && e.line === 1 && /no iptables-save table/.test(e.reason),
    );
  });

  for (const [name, text, line, reason] of [
    ['output cut short', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n', 3, /without COMMIT .*1 rules are kept/],
    [
      'an unterminated quote',
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "oops -j ACCEPT\nCOMMIT\n',
      3,
      /unterminated quote/,
    ],
    [
      'a rule for an undeclared chain',
      '*filter\n:INPUT ACCEPT [0:0]\n-A KUBE-X -j ACCEPT\nCOMMIT\n',
      3,
      /does not declare/,
    ],
    ['a stray line', '*filter\nhello\nCOMMIT\n', 2, /not an iptables-save line/],
    ['a jump without target', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j\nCOMMIT\n', 3, /without a target/],
  ] as const) {
    it(`reads past ${name} and reports it with the line`, () => {
      const r = parseIptablesSave(text, 'x.save');
      assert.equal(r.tables.get('filter')?.name, 'filter', 'the table is kept');
      assert.equal(r.unread?.count, 1);
      assert.equal(r.unread?.lines[0]?.line, line);
      assert.match(r.unread?.lines[0]?.reason ?? '', reason);
    });
  }

  /** Everything a rule or check reads from a ruleset, in plain values, to compare two parses. */
  const plain = (r: Ruleset) => ({
    generatedBy: r.generatedBy,
    warnings: r.warnings,
    unread: r.unread,
    tables: [...r.tables.values()].map((t) => ({
      name: t.name,
      line: t.line,
      committed: t.committed,
      chains: [...t.chains.values()].map((c) => [c.name, c.policy, c.builtin, c.packets, c.bytes, c.line, c.text]),
      rules: t.rules.map((x) => [x.chain, x.line, x.target, x.goto, x.text, x.comment, ruleWords(x)]),
    })),
  });

  it('streamed in small chunks reads exactly what the whole text reads (CRLF, UTF-8, no last line end)', () => {
    const real = saved('kube-proxy.legacy-counters.save');
    const odd =
      '*filter\r\n:INPUT ACCEPT [3:180]\r\n:KUBE-Ü - [0:0]\r\n' +
      '-A INPUT -m comment --comment "ns/svc:pört ünïcode" -j KUBE-Ü\r\nhello stray\r\n-A KUBE-Ü -j DROP';
    for (const text of [real, odd]) {
      const whole = parseIptablesSave(text, 'x.save');
      const bytes = Buffer.from(text, 'utf8');
      for (const size of [1, 7, 4096]) {
        const scanner = new IptablesSaveScanner('x.save');
        const reused = Buffer.alloc(size);
        for (let at = 0; at < bytes.length; at += size) {
          const n = bytes.copy(reused, 0, at, at + size);
          scanner.push(reused.subarray(0, n));
          reused.fill(0x41); // the caller reuses its buffer: nothing kept may point into it
        }
        assert.deepEqual(plain(scanner.finish()), plain(whole), `chunks of ${size} bytes`);
      }
    }
    const odd1 = parseIptablesSave(odd, 'x.save');
    const rules = odd1.tables.get('filter')?.rules ?? [];
    assert.deepEqual(
      rules.map((x) => [x.line, x.target, x.comment]),
      [
        [4, 'KUBE-Ü', 'ns/svc:pört ünïcode'],
        [6, 'DROP', undefined],
      ],
    );
    assert.equal(odd1.unread?.lines[0]?.line, 5, 'the stray line is counted with its number');
    assert.ok(odd1.unread?.lines.some((l) => /without COMMIT/.test(l.reason)));
  });

  it('a line over 1 MiB, ended or not, is counted as unread and the lines after it are read', () => {
    const long = 'x'.repeat(3 * 1024 * 1024);
    const head = '*filter\n:INPUT ACCEPT [0:0]\n';
    for (const text of [
      `${head}-A INPUT -m comment --comment "${long}" -j DROP\n-A INPUT -j ACCEPT\nCOMMIT\n`,
      `${head}${long}`,
    ]) {
      const whole = parseIptablesSave(text, 'x.save');
      const bytes = Buffer.from(text);
      const scanner = new IptablesSaveScanner('x.save');
      for (let at = 0; at < bytes.length; at += 65536) scanner.push(bytes.subarray(at, at + 65536));
      const streamed = scanner.finish();
      assert.deepEqual(plain(streamed), plain(whole), 'streamed as read whole');
      assert.equal(streamed.unread?.lines[0]?.line, 3);
      assert.match(streamed.unread?.lines[0]?.reason ?? '', /over 1 MiB/);
    }
    const ended = parseIptablesSave(`${head}${long}\n-A INPUT -j ACCEPT\nCOMMIT\n`, 'x.save');
    assert.deepEqual(
      ended.tables.get('filter')?.rules.map((r) => [r.line, r.target]),
      [[4, 'ACCEPT']],
    );
    assert.equal(ended.unread?.count, 1);
  });
});
