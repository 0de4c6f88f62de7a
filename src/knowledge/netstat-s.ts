/**
 * How net-tools `netstat -s` words the kernel counters the rules read (net-tools statistics.c, the
 * tables `Tcpexttab` and `Tcptab`; older releases' wordings too). Counters without a sentence there are
 * printed as "Name: value" and need no entry. Checked here against /proc/net/netstat and /proc/net/snmp
 * read in the same network namespace (test/parsers/netstat-s.test.ts).
 */
export const NETSTAT_S_SENTENCES: { group: 'TcpExt' | 'Tcp'; name: string; text: RegExp }[] = [
  { group: 'TcpExt', name: 'ListenOverflows', text: /^(\d+) times the listen queue of a socket overflowed$/ },
  { group: 'TcpExt', name: 'ListenDrops', text: /^(\d+) SYNs to LISTEN sockets (dropped|ignored)$/ },
  { group: 'TcpExt', name: 'PAWSPassive', text: /^(\d+) passive connections rejected because of time stamp$/ },
  { group: 'TcpExt', name: 'PAWSActive', text: /^(\d+) active connections rejected because of time stamp$/ },
  {
    group: 'TcpExt',
    name: 'PAWSEstab',
    text: /^(\d+) packets rejects in established connections because of timestamp$/,
  },
  { group: 'TcpExt', name: 'TW', text: /^(\d+) TCP sockets finished time wait in fast timer$/ },
  { group: 'TcpExt', name: 'TWRecycled', text: /^(\d+) time wait sockets recycled by time stamp$/ },
  { group: 'TcpExt', name: 'TWKilled', text: /^(\d+) TCP sockets finished time wait in slow timer$/ },
  { group: 'TcpExt', name: 'SyncookiesSent', text: /^(\d+) SYN cookies sent$/ },
  { group: 'Tcp', name: 'ActiveOpens', text: /^(\d+) active connections? openings$/ },
  { group: 'Tcp', name: 'PassiveOpens', text: /^(\d+) passive connection openings$/ },
  { group: 'Tcp', name: 'AttemptFails', text: /^(\d+) failed connection attempts$/ },
  { group: 'Tcp', name: 'EstabResets', text: /^(\d+) connection resets received$/ },
  { group: 'Tcp', name: 'CurrEstab', text: /^(\d+) connections established$/ },
  { group: 'Tcp', name: 'RetransSegs', text: /^(\d+) segments retransmit+ed$/ },
  { group: 'Tcp', name: 'OutRsts', text: /^(\d+) resets sent$/ },
];

/** nstat prints "TcpExtListenOverflows": the group is the longest of these that starts the name. */
export const NSTAT_GROUPS = [
  'TcpExt',
  'IpExt',
  'IcmpMsg',
  'UdpLite',
  'MPTcpExt',
  'Icmp6',
  'Udp6',
  'Ip6',
  'Tcp',
  'Udp',
  'Icmp',
  'Ip',
];
