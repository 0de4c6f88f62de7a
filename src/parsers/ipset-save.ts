/**
 * `ipset save` ("create NAME TYPE …" / "add NAME ENTRY …") and `ipset list` ("Name: … Type: … Members:")
 * output: the sets kube-proxy's IPVS mode matches with `-m set --match-set NAME dst,dst` (KUBE-CLUSTER-IP
 * hash:ip,port, KUBE-LOOP-BACK hash:ip,port,ip, KUBE-NODE-PORT-TCP bitmap:port, …). Pure; membership is
 * decided in trace/ipset.ts.
 */
import { ParseError, forEachLine } from './parse-error.js';

export interface IpSetMember {
  /** "10.96.0.1,tcp:443", "30080", "10.0.0.0/8", as printed */
  entry: string;
  /** `nomatch`: a hash:net exception inside a wider entry */
  nomatch: boolean;
  line: number;
  text: string;
}

export interface IpSet {
  name: string;
  /** "hash:ip,port", "bitmap:port", "list:set" */
  type: string;
  family?: 'inet' | 'inet6';
  line: number;
  text: string;
  members: IpSetMember[];
}

export interface IpSets {
  source: string;
  sets: Map<string, IpSet>;
}

const WORD = /^[\w.:-]+$/;

export function parseIpsetSave(text: string, source = 'ipset-save'): IpSets {
  const out: IpSets = { source, sets: new Map() };
  // `ipset list`: the set named by the last "Name:", its members after "Members:"
  let listed: IpSet | undefined;
  let inMembers = false;
  forEachLine(text, (raw, n) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      inMembers = false;
      return;
    }
    const header = /^(Name|Type|Header|Revision|Size in memory|References|Number of entries|Members):\s*(.*)$/.exec(
      line,
    );
    if (header) {
      const [, key = '', value = ''] = header;
      if (key === 'Name') {
        listed = { name: value, type: '', line: n, text: raw, members: [] };
        out.sets.set(value, listed);
      } else if (listed && key === 'Type') listed.type = value;
      else if (listed && key === 'Header') setFamily(listed, value.split(/\s+/));
      inMembers = key === 'Members';
      return;
    }
    const words = line.split(/\s+/);
    const [verb, name = '', third = ''] = words;
    if (verb === 'create' && WORD.test(name) && third !== '') {
      const set: IpSet = { name, type: third, line: n, text: raw, members: [] };
      setFamily(set, words.slice(3));
      out.sets.set(name, set);
      inMembers = false;
      return;
    }
    if (verb === 'add' && third !== '') {
      const set = out.sets.get(name);
      if (!set) throw new ParseError(source, n, `"add" to set "${name.slice(0, 40)}", which no "create" line made`);
      set.members.push({ entry: third, nomatch: words.includes('nomatch'), line: n, text: raw });
      return;
    }
    if (inMembers && listed) {
      listed.members.push({ entry: words[0] ?? '', nomatch: words.includes('nomatch'), line: n, text: raw });
      return;
    }
    throw new ParseError(source, n, `not ipset save or ipset list output: "${line.slice(0, 80)}"`);
  });
  return out;
}

function setFamily(set: IpSet, options: string[]): void {
  const i = options.indexOf('family');
  const family = i >= 0 ? options[i + 1] : undefined;
  if (family === 'inet' || family === 'inet6') set.family = family;
}
