import { NETSTAT_S_SENTENCES, NSTAT_GROUPS } from '../knowledge/netstat-s.js';
import { ParseError, UnreadLines, forEachLine } from './parse-error.js';
import type { Counters } from './proc-net-counters.js';

/**
 * `netstat -s` (net-tools; sections "TcpExt:" with sentences or "Name: value") and `nstat -az`
 * ("TcpExtListenOverflows 12 0.0") → counters by the names /proc/net/netstat and snmp use
 * ("TcpExt.ListenOverflows"), so the rules read either. Sentences this tool has no use for are read past.
 */
export function parseNetstatS(text: string, source: string, unread = new UnreadLines()): Counters {
  const out: Counters = new Map();
  let group: string | undefined;
  let lines = 0;
  forEachLine(text, (line, n) => {
    const t = line.trim();
    if (t === '' || t === '#kernel') return;
    lines++;
    const section = /^([A-Za-z][A-Za-z0-9]*):$/.exec(t);
    if (section && !/^\s/.test(line)) {
      group = section[1];
      return;
    }
    const nstat = /^([A-Z][A-Za-z0-9]+)\s+(\d+)(\s+[\d.]+)?$/.exec(t);
    if (nstat) {
      const [, name = '', value = ''] = nstat; // both groups are mandatory
      const g = NSTAT_GROUPS.find((p) => name.startsWith(p) && name.length > p.length);
      if (g) return void out.set(`${g}.${name.slice(g.length)}`, Number(value));
    }
    unread.guard(n, () => {
      // `netstat -s | grep -i listen` keeps the sentences and loses their section: their wording names the counter.
      if (!group) {
        const sentence = NETSTAT_S_SENTENCES.find((s) => s.text.test(t));
        if (sentence) return void out.set(`${sentence.group}.${sentence.name}`, Number(sentence.text.exec(t)![1]));
        throw new ParseError(source, n, `a counter outside any section ("Tcp:", "TcpExt:"): "${t.slice(0, 60)}"`);
      }
      const named = /^([A-Za-z][\w]*):\s*(\d+)$/.exec(t);
      if (named) return void out.set(`${group}.${named[1]}`, Number(named[2]));
      const sentence = NETSTAT_S_SENTENCES.find((s) => s.group === group && s.text.test(t));
      if (sentence) return void out.set(`${group}.${sentence.name}`, Number(sentence.text.exec(t)![1]));
      // A sentence with a number this tool does not read ("Quick ack mode was activated 3 times"): fine.
      if (/\d/.test(t) || /histogram:$/.test(t)) return;
      throw new ParseError(source, n, `not a netstat -s line: "${t.slice(0, 60)}"`);
    });
  });
  if (out.size === 0 && lines > 0)
    throw new ParseError(source, unread.kept[0]?.line ?? 1, 'no counters read: not netstat -s or nstat output');
  return out;
}
