/**
 * What a loose file is, from its content (and the command typed before it, and its name, when those say
 * more): `netdoctor analyze` takes what customers send as it is and files each into the bundle layout.
 * Pure: the text in, a kind out, with the reason it was chosen, so the report can say what was assumed.
 */

export const LOOSE_KINDS = {
  'iptables-save': 'netns/host/iptables-legacy-save',
  'iptables-nft-save': 'netns/host/iptables-nft-save',
  'ip6tables-save': 'netns/host/ip6tables-legacy-save',
  'ip6tables-nft-save': 'netns/host/ip6tables-nft-save',
  'ipvsadm-Ln': 'netns/host/ipvsadm-Ln',
  'ipvsadm-Lnc': 'netns/host/ipvsadm-Lnc',
  'ipset-save': 'netns/host/ipset-save',
  'ip-route': 'netns/host/ip-route',
  'ip6-route': 'netns/host/ip6-route',
  'netstat-s': 'netns/host/netstat-s',
  'ss-tan': 'netns/host/ss-tan',
  'netstat-an': 'netns/host/netstat-an',
  sysctl: 'netns/host/sysctl.txt',
  ip_local_port_range: 'netns/host/proc/sys/net/ipv4/ip_local_port_range',
  ip_local_reserved_ports: 'netns/host/proc/sys/net/ipv4/ip_local_reserved_ports',
  'proc-net-tcp': 'netns/host/proc/net/tcp',
  'proc-net-tcp6': 'netns/host/proc/net/tcp6',
  'proc-net-netstat': 'netns/host/proc/net/netstat',
  'proc-net-snmp': 'netns/host/proc/net/snmp',
  'proc-net-sockstat': 'netns/host/proc/net/sockstat',
  'proc-net-ip_vs': 'netns/host/proc/net/ip_vs',
  'proc-net-ip_vs_conn': 'netns/host/proc/net/ip_vs_conn',
  'kube-proxy-log': 'logs/kube-proxy.log',
  'k8s-json': 'k8s/',
  'k8s-yaml': 'k8s/',
  'iptables-version': 'host/iptables-version',
  'kernel-release': 'host/kernel-release',
  'os-release': 'host/os-release',
  'kernel-log': 'logs/kernel.log',
} as const;

/**
 * Output people paste that holds no evidence these rules can judge: recognised, so the report can say
 * precisely what to send instead rather than "could not tell what this file is".
 */
export const UNUSABLE_KINDS: Record<string, { test: RegExp; advice: string }> = {
  "another component's log": {
    test: /\b(kubelet|kube-apiserver|kube-controller-manager|kube-scheduler|containerd)\[\d+\]|\b(kubelet|prober|pod_workers|kuberuntime_\w+)\.go:\d+\]/,
    advice:
      "a kubelet (or other component's) log, not kube-proxy's: for the connection errors in it run `netdoctor explain FILE`; `analyze` reads kube-proxy's log (journalctl -u kube-proxy, or kubectl -n kube-system logs kube-proxy-…)",
  },
  'iptables -L': {
    test: /^Chain [A-Z][\w-]* \((policy \w+|\d+ references?)/m,
    advice:
      'iptables -L output: rules are shown without the chains they jump between, per backend; send `iptables-legacy-save` and `iptables-nft-save` (or `iptables-save`) output instead',
  },
  'ss -s': {
    test: /^Total: \d+\s*\n(TCP:|.*\n)*Transport Total/m,
    advice: '`ss -s` gives totals only; send `ss -tan` (sockets per destination) and `netstat -s` (counters) instead',
  },
};

export type LooseKind = keyof typeof LOOSE_KINDS;

export const LOOSE_KIND_NAMES = Object.keys(LOOSE_KINDS) as LooseKind[];

interface Sniffed {
  kind: LooseKind;
  /** why: "the header line", "the command typed before it (ipvsadm -Ln)", "its name" */
  how: string;
}

/** The first lines that carry something: enough to tell every kind apart, cheap on a large file. */
function head(text: string, max = 40): string[] {
  const out: string[] = [];
  let start = 0;
  while (out.length < max && start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, Math.min(end, start + 2000));
    if (line.trim() !== '') out.push(line);
    start = end + 1;
  }
  return out;
}

const KLOG = /(^|[\s"'])[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [\w.-]+\.go:\d+\]/;

/** From the command the user typed before the output, when the paste kept its prompt. */
function fromCommand(command: string): LooseKind | undefined {
  const c = command.replace(/^sudo\s+/, '').trim();
  const argv = c.split(/\s+/);
  const prog = argv[0]?.split('/').pop() ?? '';
  const flags = argv
    .slice(1)
    .filter((a) => a.startsWith('-'))
    .join('');
  if (prog === 'ipvsadm') return /c/.test(flags) ? 'ipvsadm-Lnc' : 'ipvsadm-Ln';
  if (prog === 'ipset' && /^(save|list|-L|-S)/.test(argv[1] ?? '')) return 'ipset-save';
  if (prog === 'ip' && argv.slice(1).some((a) => /^r(o(u(te?)?)?)?$/.test(a)))
    return flags.includes('6') ? 'ip6-route' : 'ip-route';
  if (/^ip6tables(-nft)?-save$/.test(prog)) return prog.includes('nft') ? 'ip6tables-nft-save' : 'ip6tables-save';
  if (/^iptables(-nft|-legacy)?-save$/.test(prog)) return prog.includes('nft') ? 'iptables-nft-save' : 'iptables-save';
  if (prog === 'netstat') return /s/.test(flags) ? 'netstat-s' : 'netstat-an';
  if (prog === 'nstat') return 'netstat-s';
  if (prog === 'ss') return 'ss-tan';
  if (prog === 'sysctl') return 'sysctl';
  if (prog === 'uname') return 'kernel-release';
  if (prog === 'cat') {
    const file = argv[1] ?? '';
    const byPath: Record<string, LooseKind> = {
      '/proc/net/tcp': 'proc-net-tcp',
      '/proc/net/tcp6': 'proc-net-tcp6',
      '/proc/net/netstat': 'proc-net-netstat',
      '/proc/net/snmp': 'proc-net-snmp',
      '/proc/net/sockstat': 'proc-net-sockstat',
      '/proc/net/ip_vs': 'proc-net-ip_vs',
      '/proc/net/ip_vs_conn': 'proc-net-ip_vs_conn',
      '/proc/sys/net/ipv4/ip_local_port_range': 'ip_local_port_range',
      '/proc/sys/net/ipv4/ip_local_reserved_ports': 'ip_local_reserved_ports',
      '/etc/os-release': 'os-release',
    };
    return byPath[file.replace(/^\/proc\/\d+\/net\//, '/proc/net/').replace('/proc/self/net/', '/proc/net/')];
  }
  return undefined;
}

/** What a detector sees: the first lines, the first of them trimmed, and the lines joined. */
interface Shape {
  lines: string[];
  first: string;
  all: string;
}

/** /proc/net/tcp and tcp6, by header or by rows. */
function procNetTcp({ lines, first }: Shape): Sniffed | undefined {
  if (/^\s*sl\s+local_address\s+rem_address\s+st\b/.test(first)) {
    const row = lines.find((l) => /^\s*\d+:\s+[0-9A-Fa-f]+:/.test(l));
    const v6 = row ? /^\s*\d+:\s+[0-9A-Fa-f]{32}:/.test(row) : false;
    return { kind: v6 ? 'proc-net-tcp6' : 'proc-net-tcp', how: 'the /proc/net/tcp header' };
  }
  if (/^\s*\d+:\s+[0-9A-F]{8}:[0-9A-F]{4}\s+[0-9A-F]{8}:[0-9A-F]{4}\s+[0-9A-F]{2}\s/.test(first))
    return { kind: 'proc-net-tcp', how: '/proc/net/tcp rows' };
  if (/^\s*\d+:\s+[0-9A-F]{32}:[0-9A-F]{4}\s/.test(first)) return { kind: 'proc-net-tcp6', how: '/proc/net/tcp6 rows' };
  return undefined;
}

/** /proc/net/ip_vs, ip_vs_conn and ipvsadm -Ln / -Lnc. */
function ipvs({ lines, first, all }: Shape): Sniffed | undefined {
  if (/^IP Virtual Server version/.test(first)) {
    if (lines.some((l) => /^Pro\s+FromIP\s+FPrt/.test(l)))
      return { kind: 'proc-net-ip_vs_conn', how: 'the /proc/net/ip_vs_conn header' };
    if (
      lines.some(
        (l) =>
          /^Prot\s+LocalAddress:Port\s+Scheduler/.test(l) && /^(TCP|UDP|FWM)\s+[0-9A-F]{8}:[0-9A-F]{4}\b/m.test(all),
      )
    )
      return { kind: 'proc-net-ip_vs', how: 'hexadecimal addresses under the IPVS header' };
    return { kind: 'ipvsadm-Ln', how: 'the ipvsadm header' };
  }
  if (/^Pro\s+FromIP\s+FPrt\s+ToIP/.test(first))
    return { kind: 'proc-net-ip_vs_conn', how: 'the /proc/net/ip_vs_conn header' };
  if (
    /^IPVS connection entries/.test(first) ||
    lines.slice(0, 3).some((l) => /^pro\s+expire\s+state\s+source\s+virtual\s+destination/i.test(l))
  ) {
    return { kind: 'ipvsadm-Lnc', how: 'the ipvsadm -Lnc header' };
  }
  if (/^Prot\s+LocalAddress:Port\s+Scheduler/.test(first) || /^\s*->\s+RemoteAddress:Port\s+Forward/.test(first))
    return { kind: 'ipvsadm-Ln', how: 'the ipvsadm -Ln header' };
  if (
    /^pro\s+expire\s+state\s+source\s+virtual\s+destination/i.test(first) ||
    /^(TCP|UDP)\s+\d\d:\d\d\s+[A-Z_]+\s+\S+:\S+\s+\S+:\S+\s+\S+:\S+\s*$/.test(first)
  ) {
    return { kind: 'ipvsadm-Lnc', how: 'the ipvsadm -Lnc columns' };
  }
  return undefined;
}

const ROUTE_LINE =
  /^(?:(?:unicast|local|broadcast|multicast|anycast|blackhole|unreachable|prohibit|throw)\s+)?(?:default|[\d.]+(?:\/\d+)?|[0-9a-f]*:[0-9a-f:]*(?:\/\d+)?)(?:\s+(?:via|dev|proto|table|metric|scope|nhid|src)\b.*)?$/;

/** `ipset save` / `ipset list`, and `ip route show [table all]` (either family): what `netdoctor trace` reads. */
function routesAndSets({ lines, first }: Shape): Sniffed | undefined {
  if (/^create \S+ (hash|bitmap|list):/.test(first)) return { kind: 'ipset-save', how: 'an ipset save "create" line' };
  if (/^Name: \S+$/.test(first) && lines.some((l) => /^Type: (hash|bitmap|list):/.test(l)))
    return { kind: 'ipset-save', how: 'ipset list headers' };
  const routes = lines.filter((l) => l.trim() !== '' && !/^\s+nexthop\b/.test(l));
  if (
    routes.length > 0 &&
    routes.every((l) => ROUTE_LINE.test(l.trim())) &&
    routes.some((l) => /\s(dev|via)\s/.test(l))
  ) {
    const v6 = routes.some((l) => /^(?:\w+\s+)?[0-9a-f]*:[0-9a-f:]*(\/\d+)?\s/.test(l.trim()));
    return { kind: v6 ? 'ip6-route' : 'ip-route', how: 'ip route lines (destination, dev/via)' };
  }
  return undefined;
}

/** iptables-save of either backend and family; the backend from the header's own words. */
function iptablesSave({ lines, first, all }: Shape): Sniffed | undefined {
  if (
    lines.some((l) => /^\*(nat|filter|mangle|raw|security)\s*$/.test(l.trim())) ||
    /^# Generated by ip6?tables/.test(first)
  ) {
    const v6 = /^# Generated by ip6tables/m.test(all) || /-[sd] [0-9a-f]*:[0-9a-f:]*\/\d+/.test(all);
    const nft = /nf_tables|-nft-save|# Warning: iptables-legacy tables present/.test(all);
    const kind = v6 ? (nft ? 'ip6tables-nft-save' : 'ip6tables-save') : nft ? 'iptables-nft-save' : 'iptables-save';
    return {
      kind,
      how: nft
        ? 'iptables-save format, nf_tables named in its header'
        : 'iptables-save format; its header names no nf_tables, so the legacy backend is assumed',
    };
  }
  return undefined;
}

/** /proc/net/netstat, snmp and sockstat, netstat -s and nstat. */
function counters({ lines, first }: Shape): Sniffed | undefined {
  if (/^(TcpExt|Tcp|Ip|IpExt|Udp|Icmp):\s+[A-Z]/.test(first)) {
    if (lines.some((l) => /^TcpExt:/.test(l)))
      return { kind: 'proc-net-netstat', how: '/proc/net/netstat header lines' };
    return { kind: 'proc-net-snmp', how: '/proc/net/snmp header lines' };
  }
  if (/^(sockets: used|TCP: inuse)/.test(first)) return { kind: 'proc-net-sockstat', how: '/proc/net/sockstat lines' };
  if (
    /^(Ip|Tcp|TcpExt|Icmp|IcmpMsg|Udp|UdpLite|IpExt|MPTcpExt):\s*$/.test(first) &&
    lines.some((l) => /^\s+\d+ [a-z]/.test(l))
  ) {
    return { kind: 'netstat-s', how: 'the section headers of netstat -s' };
  }
  if (/^#kernel\s*$/.test(first) || /^(TcpExt|Tcp|Ip)[A-Z]\w*\s+\d+\s+[\d.]+\s*$/.test(first))
    return { kind: 'netstat-s', how: 'nstat output' };
  return undefined;
}

/** ss and netstat -an. */
function socketListings({ first }: Shape): Sniffed | undefined {
  if (
    /^(Netid\s+)?State\s+Recv-Q\s+Send-Q\s+Local Address:Port/.test(first) ||
    /^(tcp\s+)?(ESTAB|LISTEN|TIME-WAIT|SYN-SENT|SYN-RECV|CLOSE-WAIT|FIN-WAIT-[12]|LAST-ACK|CLOSING|UNCONN)\s+\d+\s+\d+\s/.test(
      first,
    )
  ) {
    return { kind: 'ss-tan', how: 'the columns of ss' };
  }
  if (
    /^Active (Internet|UNIX domain) connections/.test(first) ||
    /^Proto\s+Recv-Q\s+Send-Q\s+Local Address\s+Foreign Address/.test(first) ||
    /^tcp6?\s+\d+\s+\d+\s+\S+:\S+\s+\S+:\S+\s+[A-Z_12]+/.test(first)
  ) {
    return { kind: 'netstat-an', how: 'the columns of netstat -an' };
  }
  return undefined;
}

/** iptables -V, uname -r, os-release, the port range and sysctl lines. */
function hostSettings({ lines, first }: Shape): Sniffed | undefined {
  if (/^iptables v\d+\.\d+/.test(first)) return { kind: 'iptables-version', how: 'iptables -V output' };
  if (/^\d+\.\d+\.\d+[-\w.+]*\s*$/.test(first) && lines.length === 1)
    return { kind: 'kernel-release', how: 'a kernel release string (uname -r)' };
  if (/^(NAME|PRETTY_NAME|ID)=/.test(first) && lines.some((l) => /^ID=/.test(l)))
    return { kind: 'os-release', how: 'os-release fields' };
  if (/^\d+\s+\d+\s*$/.test(first) && lines.length === 1) {
    const [lo = 0, hi = 0] = first.trim().split(/\s+/).map(Number); // two numbers, matched above
    if (lo >= 1 && hi <= 65535 && lo < hi)
      return { kind: 'ip_local_port_range', how: 'two port numbers on one line (the contents of ip_local_port_range)' };
  }
  if (
    lines.some(
      (l) =>
        /^[a-z][\w.-]*\.[\w.-]+\s*=\s*/.test(l.trim()) &&
        /^(net|kernel|vm|fs|user|dev|abi|debug|crypto|sunrpc)\./.test(l.trim()),
    )
  ) {
    return { kind: 'sysctl', how: '"key = value" sysctl lines' };
  }
  return undefined;
}

/** kube-proxy's log and the kernel's. */
function logs({ lines }: Shape): Sniffed | undefined {
  if (lines.some((l) => KLOG.test(l)) && isKubeProxyLog(lines))
    return { kind: 'kube-proxy-log', how: 'klog lines (kube-proxy log)' };
  if (
    lines.some((l) => /nf_conntrack: (nf_conntrack: )?table full, dropping packet|kernel: \[|^\[\s*\d+\.\d+\] /.test(l))
  )
    return { kind: 'kernel-log', how: 'kernel log lines (dmesg or journalctl -k)' };
  return undefined;
}

/** Kubernetes objects, JSON or YAML. */
function k8sObjects({ lines, first, all }: Shape): Sniffed | undefined {
  if (/^[{[]/.test(first) && /"apiVersion"\s*:/.test(all) && /"kind"\s*:/.test(all))
    return { kind: 'k8s-json', how: 'Kubernetes objects in JSON' };
  if (lines.some((l) => /^apiVersion:\s*\S/.test(l)) && lines.some((l) => /^\s*kind:\s*\S/.test(l)))
    return { kind: 'k8s-yaml', how: 'Kubernetes objects in YAML' };
  return undefined;
}

/** From the content alone. Order matters: the most distinctive shapes first. */
const DETECTORS: ((shape: Shape) => Sniffed | undefined)[] = [
  procNetTcp,
  ipvs,
  iptablesSave,
  routesAndSets,
  counters,
  socketListings,
  hostSettings,
  logs,
  k8sObjects,
];

function fromContent(lines: string[]): Sniffed | undefined {
  const shape: Shape = { lines, first: lines[0]?.trim() ?? '', all: lines.join('\n') };
  for (const detect of DETECTORS) {
    const found = detect(shape);
    if (found) return found;
  }
  return undefined;
}

/**
 * klog lines are every Kubernetes component's. They are kube-proxy's when the journal names it or the
 * source files are its own; kubelet's and others' are not read as kube-proxy's (that would "check" the
 * restore rules on a log that cannot show a restore).
 */
const KUBE_PROXY_MARK =
  /kube-proxy\[\d+\]|\b(proxier|server_others|server_linux|iptables|graceful_termination|ipset|conntrack)\.go:\d+\]|iptables-restore|Using (iptables|ipvs|nftables) [Pp]rox/;
const OTHER_COMPONENT =
  /\b(kubelet|kube-apiserver|kube-controller-manager|kube-scheduler|etcd|containerd|coredns)\[\d+\]|\b(kubelet|prober|pod_workers|kuberuntime_\w+|kubelet_\w+|eviction_manager|reconciler\w*)\.go:\d+\]/;

function isKubeProxyLog(lines: string[]): boolean {
  return lines.some((l) => KUBE_PROXY_MARK.test(l)) || !lines.some((l) => OTHER_COMPONENT.test(l));
}

/** From the file name, the last resort (a customer's "ip_local_port_range.txt"). */
function fromName(name: string): LooseKind | undefined {
  const base = name.split('/').pop()?.toLowerCase() ?? '';
  if (base.includes('ip_local_reserved_ports')) return 'ip_local_reserved_ports';
  if (base.includes('ip_local_port_range')) return 'ip_local_port_range';
  if (base.includes('kube-proxy')) return 'kube-proxy-log';
  return undefined;
}

export function sniffKind(text: string, name: string, commands: { command: string }[]): Sniffed | undefined {
  for (const { command } of commands) {
    const kind = fromCommand(command);
    if (kind) return { kind, how: `the command typed before it (${command.slice(0, 60)})` };
  }
  const lines = head(text);
  const content = fromContent(lines);
  if (content) return content;
  const byName = fromName(name);
  if (byName) return { kind: byName, how: 'its file name' };
  // A single reserved-ports list: "30000-32767" or "30000-32767,40000".
  if (lines.length === 1 && /^\d+(-\d+)?(,\d+(-\d+)?)*\s*$/.test(lines.join('').trim()))
    return { kind: 'ip_local_reserved_ports', how: 'a list of ports (the contents of ip_local_reserved_ports)' };
  return undefined;
}
