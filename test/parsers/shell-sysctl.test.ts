/** The shell reader on its own: what each command form writes, where, and under which guard. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sysctlWritesOfArgv, sysctlWritesOfScript, tokenize } from '../../src/parsers/shell-sysctl.js';

const brief = (script: string, env?: Map<string, string>) =>
  sysctlWritesOfScript(script, env).map((w) => ({
    key: w.key,
    value: w.value,
    via: w.via,
    at: `${w.line}:${w.column}`,
    guard: w.guard ? `${w.guard.left}/${w.guard.right}` : undefined,
    pid1: w.viaNsenterPid1,
  }));

describe('shell sysctl reader', () => {
  it('tokenizes quotes: escapes only inside double quotes, positions of each word', () => {
    const t = tokenize(`echo "a \\"b\\" \\$x" 'c \\d' e\nf`).filter((x) => !x.op);
    assert.deepEqual(
      t.map((x) => x.text),
      ['echo', 'a "b" $x', 'c \\d', 'e', 'f'],
    );
    assert.deepEqual(
      t.map((x) => `${x.line}:${x.column}`),
      ['0:0', '0:5', '0:19', '0:26', '1:0'],
    );
  });

  it('finds every write form with its key position', () => {
    assert.deepEqual(
      brief(
        'sysctl -w a.b=1 net/ipv4/tcp_tw_reuse=1\nsysctl -q -p /etc/x.conf\necho 4096 > /proc/sys/net/core/somaxconn\nprintf 1 | tee -a /proc/sys/net/ipv4/ip_forward\nsysctl net.core.somaxconn',
      ),
      [
        { key: 'a.b', value: '1', via: 'sysctl', at: '0:10', guard: undefined, pid1: false },
        { key: 'net.ipv4.tcp_tw_reuse', value: '1', via: 'sysctl', at: '0:16', guard: undefined, pid1: false },
        { key: undefined, value: undefined, via: 'sysctl -p', at: '1:10', guard: undefined, pid1: false },
        { key: 'net.core.somaxconn', value: '4096', via: '/proc/sys', at: '2:12', guard: undefined, pid1: false },
        { key: 'net.ipv4.ip_forward', value: undefined, via: '/proc/sys', at: '3:18', guard: undefined, pid1: false },
      ],
    );
  });

  it('substitutes literal env values and leaves unknown variables as written', () => {
    const env = new Map([['RANGE', '10240 60999']]);
    assert.deepEqual(
      brief('sysctl -w net.ipv4.ip_local_port_range="$RANGE"; sysctl -w net.core.somaxconn=${MAX}', env).map(
        (w) => w.value,
      ),
      ['10240 60999', '${MAX}'],
    );
  });

  it('guards: inside if, after an early exit, and not after the if closes', () => {
    const w = brief(
      'if [ "$P" != "$H" ]; then sysctl -w a.b=1; fi\nsysctl -w c.d=1\n[ "$P" = "$H" ] && exit 0\nsysctl -w e.f=1',
    );
    assert.deepEqual(
      w.map((x) => [x.key, x.guard]),
      [
        ['a.b', 'P/H'],
        ['c.d', undefined],
        ['e.f', 'P/H'],
      ],
    );
  });

  it('nsenter into pid 1 and nested sh -c, in exec form', () => {
    const { writes } = sysctlWritesOfArgv([
      'nsenter',
      '--target=1',
      '--net',
      '--',
      'sh',
      '-c',
      'sysctl -w net.core.somaxconn=1',
    ]);
    assert.deepEqual(
      writes.map((w) => [w.key, w.viaNsenterPid1]),
      [['net.core.somaxconn', true]],
    );
    const own = sysctlWritesOfArgv(['nsenter', '-t', '42', '-n', 'sysctl', '-w', 'net.core.somaxconn=1']).writes;
    assert.deepEqual(
      own.map((w) => w.viaNsenterPid1),
      [false],
    );
  });

  it('a shell script given in args after command [sh, -c] is found, with its argv index', () => {
    const r = sysctlWritesOfArgv(['/bin/sh', '-ec', 'sysctl -w net.core.somaxconn=1']);
    assert.equal(r.scriptIndex, 2);
    assert.equal(r.writes[0]?.key, 'net.core.somaxconn');
  });
});
