import type { ErrnoName } from './errnos.js';

/**
 * What a failed connection means, and what on a Kubernetes node usually causes it, most likely first.
 * Each cause names the rules that confirm it (a finding) or exclude it (the rule ran, with its evidence
 * collected, and found nothing). Sources: FACTS.md (the five failures and the kernel behaviour behind
 * them: §1 ports, §2 NodePorts, §4 iptables, §5 IPVS, §6 timestamps), connect(2), tcp(7), and what
 * test/fixtures/explain/capture.sh reproduced.
 */
export interface Cause {
  /** the cause, in plain words */
  cause: string;
  /** rule ids (node or pcap rules) whose result confirms or excludes this cause */
  rules: readonly string[];
  /** a check to do by hand where no rule covers the cause, or one that sharpens the rules' answer */
  check?: string;
}

export interface ConnectionFailure {
  id: FailureId;
  /** the call that failed, as a user would look it up */
  syscall: string;
  errno?: ErrnoName;
  title: string;
  meaning: string;
  causes: readonly Cause[];
}

export type FailureId =
  | 'connect-eaddrnotavail'
  | 'bind-eaddrinuse'
  | 'listen-eaddrinuse'
  | 'connect-econnrefused'
  | 'connect-ehostunreach'
  | 'connect-enetunreach'
  | 'connect-etimedout'
  | 'connect-timeout'
  | 'connect-failed'
  | 'connection-reset'
  | 'empty-reply'
  | 'response-timeout'
  | 'request-timeout'
  | 'upstream-502'
  | 'upstream-504'
  | 'tls-handshake'
  | 'dns-unreachable'
  | 'dns-no-such-name'
  | 'dns-failed';

const PORTS_HELD: Cause = {
  cause:
    'All ephemeral ports for this destination (local IP, remote IP, remote port) are in use: many open connections to one Service or pod, or short connections whose ports wait 60 s in TIME_WAIT.',
  rules: ['ephemeral-port-exhaustion', 'time-wait-pressure'],
  check:
    "ss -tan state all dst ADDR:PORT | wc -l, in the client pod's network namespace, against its ip_local_port_range.",
};
/** EADDRNOTAVAIL toward IPv6 with the local address still "::": no source address, not no port (FACTS.md §8). */
export const NO_IPV6_SOURCE: Cause = {
  cause:
    'No usable IPv6 source address: the namespace has no global IPv6 address (or no IPv6 route) for this destination, so the kernel cannot pick a local address at all; "Local (:::0)" means it never got one. Port exhaustion toward IPv6 is rare next to this.',
  rules: [],
  check:
    "ip -6 addr show scope global; ip -6 route get ADDR, in the client's network namespace: an error or no address means the pod has no IPv6 to send from (single-stack IPv4 cluster, or a dual-stack pod without its IPv6).",
};

/**
 * Addresses that are not Service VIPs, so kube-proxy's Service rules are not on the path: loopback, and the
 * default pod networks of common CNIs (flannel and kubeadm docs 10.244.0.0/16, k3s 10.42.0.0/16, MicroK8s
 * 10.1.0.0/16, Calico 192.168.0.0/16). Service ranges differ (kubeadm 10.96.0.0/12, k3s 10.43.0.0/16).
 */
export const NOT_A_SERVICE_VIP: readonly { prefix: string; what: string }[] = [
  { prefix: '127.', what: 'loopback: the connection never leaves the namespace, and no Service rule is on its path' },
  {
    prefix: 'localhost',
    what: 'loopback: the connection never leaves the namespace, and no Service rule is on its path',
  },
  { prefix: '::1', what: 'loopback: the connection never leaves the namespace, and no Service rule is on its path' },
  {
    prefix: '10.244.',
    what: 'in 10.244.0.0/16, the default pod network of flannel and the kubeadm docs: a pod IP, so Service rules are not on the path (unless your cluster uses this range for Services)',
  },
  {
    prefix: '10.42.',
    what: "in 10.42.0.0/16, k3s's default pod network: a pod IP, so Service rules are not on the path (unless your cluster uses this range for Services)",
  },
  {
    prefix: '10.1.',
    what: "in 10.1.0.0/16, MicroK8s's default pod network: a pod IP, so Service rules are not on the path (unless your cluster uses this range for Services)",
  },
  {
    prefix: '192.168.',
    what: "in 192.168.0.0/16, Calico's default pod network: a pod IP, so Service rules are not on the path (unless your cluster uses this range for Services)",
  },
];

export const KUBE_PROXY_CAUSE_RULES = [
  'iptables-backend-split',
  'iptables-missing-chain',
  'kube-proxy-restore-failure',
] as const;

const RANGE_SMALL: Cause = {
  cause: 'The ephemeral port range is narrow, or ip_local_reserved_ports takes most of it, so few connections fill it.',
  rules: ['ephemeral-port-range'],
};
const NODEPORT_REPLY: Cause = {
  cause:
    "The client's source port is a NodePort: the node's ephemeral range overlaps the NodePort range, and the reply is taken by kube-proxy's NodePort rules instead of reaching the client (failure #2 of docs/failures.md, e.g. kubelet probes that flap).",
  rules: ['ephemeral-range-overlaps-nodeports', 'source-port-is-nodeport', 'synack-retransmitted'],
};
const KUBE_PROXY_RULES: Cause = {
  cause:
    "kube-proxy's rules for the Service are missing: iptables-restore failed, often because kube-proxy and kubelet write to different iptables backends (failure #3 of docs/failures.md). Service VIPs fail while pod IPs work.",
  rules: ['iptables-backend-split', 'iptables-missing-chain', 'kube-proxy-restore-failure'],
  check:
    'Connect to a pod IP behind the Service directly: if that works and the VIP does not, the Service rules are at fault.',
};
const TW_RECYCLE: Cause = {
  cause:
    'The server drops SYNs from clients behind one NAT address: tcp_tw_recycle with timestamps rejects SYNs whose TSval went backwards (failure #5 of docs/failures.md; kernels before 4.12).',
  rules: ['tcp-tw-recycle-nat', 'timestamps-non-monotonic-per-source', 'syn-unanswered'],
};
const LISTEN_QUEUE: Cause = {
  cause:
    "The server's accept queue is full: the kernel drops new handshakes until the application accepts (ListenOverflows rising).",
  rules: ['listen-queue-overflow'],
};
const CONNTRACK_FULL: Cause = {
  cause:
    'The conntrack table is full or losing inserts, so new flows are dropped (nf_conntrack: table full, insert_failed).',
  rules: ['conntrack-table-pressure'],
};
const IPVS_STALE: Cause = {
  cause:
    'IPVS sends the connection to a pod that no longer exists: a weight-0 real server kept for lingering connections, or a reused source port matching an old connection entry (failure #4 of docs/failures.md).',
  rules: ['ipvs-stale-real-server', 'ipvs-conn-reuse-mode', 'tuple-reused-in-time-wait'],
};
const IPVS_FIRST_SYN: Cause = {
  cause:
    'IPVS with conn_reuse_mode=1 drops the first SYN of a reused source port, so connecting takes 1 s more; clients with a connect timeout near 1 s fail.',
  rules: ['ipvs-conn-reuse-mode', 'syn-retransmit-1s'],
};
const FIREWALL_DROP: Cause = {
  cause: 'A firewall or NetworkPolicy drops the SYN on the way.',
  rules: ['syn-unanswered'],
  check:
    'iptables-save | grep -i -e DROP -e REJECT on both nodes, and the NetworkPolicies that select the destination pod.',
};

export const CONNECTION_FAILURES: readonly ConnectionFailure[] = [
  {
    id: 'connect-eaddrnotavail',
    syscall: 'connect()',
    errno: 'EADDRNOTAVAIL',
    title: 'no free local port for a new connection',
    meaning:
      'The kernel refused to start the connection: it found no free local (ephemeral) port for this destination. Nothing was sent.',
    causes: [
      PORTS_HELD,
      RANGE_SMALL,
      {
        cause:
          'The program binds a source address that is not on this host (a pod IP or VIP that moved), which bind() and connect() refuse with the same error.',
        rules: [],
        check: "ip -br addr, in the client's network namespace: is the source address there?",
      },
    ],
  },
  {
    id: 'bind-eaddrinuse',
    syscall: 'bind()',
    errno: 'EADDRINUSE',
    title: 'the local port is taken',
    meaning: 'bind() found the requested local port (or, for port 0, every ephemeral port) already in use.',
    causes: [
      {
        cause:
          'A client binds before it connects (nc -p, bind(0), some RPC clients): each such socket holds its port for every destination, so the whole range runs out at once (failure #1 of docs/failures.md).',
        rules: ['ephemeral-port-exhaustion', 'ephemeral-port-range'],
      },
      {
        cause:
          'A server cannot listen because its port was handed out as an ephemeral source port: the node range overlaps NodePorts or hostPorts.',
        rules: ['ephemeral-range-overlaps-nodeports', 'source-port-is-nodeport'],
        check: "ss -tanp 'sport = :PORT' shows who holds the port.",
      },
    ],
  },
  {
    id: 'listen-eaddrinuse',
    syscall: 'bind() of a listening socket',
    errno: 'EADDRINUSE',
    title: 'a server cannot listen: its port is taken',
    meaning:
      'The program tried to listen on a port that another socket in the same network namespace already holds. This is the server side failing to start, not a client running out of ports.',
    causes: [
      {
        cause:
          'Another process (or a second container of the pod, or an earlier instance still shutting down) already listens on this port in the same network namespace; with hostNetwork: true that is any process on the node, kubelet, kube-proxy and other hostNetwork pods included.',
        rules: [],
        check:
          "ss -tlnp 'sport = :PORT' in the pod's (or, with hostNetwork, the node's) network namespace shows who holds it.",
      },
      {
        cause:
          'The port was handed out as an ephemeral source port to an outgoing connection: the range covers it (widened to 1024-65535, or overlapping NodePorts or hostPorts).',
        rules: ['ephemeral-range-overlaps-nodeports', 'source-port-is-nodeport', 'ephemeral-port-range'],
        check:
          "ss -tanp 'sport = :PORT' shows a connection, not a listener, holding it; reserve the port with ip_local_reserved_ports.",
      },
    ],
  },
  {
    id: 'connect-econnrefused',
    syscall: 'connect()',
    errno: 'ECONNREFUSED',
    title: 'connection refused',
    meaning:
      'The SYN reached something that answered with a reset (or ICMP port unreachable): nothing accepts connections on that address and port.',
    causes: [
      {
        cause:
          'Nothing listens on the port at the destination: the pod is starting or restarting, the application listens on 127.0.0.1 only, or the Service targetPort is wrong.',
        rules: [],
        check:
          "kubectl get endpointslices -l kubernetes.io/service-name=SERVICE, and ss -ltn in the destination pod's network namespace.",
      },
      {
        cause:
          'The Service has no ready endpoints: kube-proxy installs a REJECT rule for it, which clients see as "connection refused".',
        rules: [],
        check: "iptables-save | grep 'has no endpoints' on the client's node.",
      },
      {
        ...IPVS_STALE,
        cause:
          'IPVS sends the connection to a deleted pod whose IP now belongs to another pod that does not listen on the port (failure #4 of docs/failures.md).',
      },
    ],
  },
  {
    id: 'connect-ehostunreach',
    syscall: 'connect()',
    errno: 'EHOSTUNREACH',
    title: 'no route to host',
    meaning:
      'The destination address did not answer at the link layer (no ARP/neighbour reply, about 3 s), or a router or firewall sent ICMP host unreachable.',
    causes: [
      {
        ...IPVS_STALE,
        cause:
          'The destination pod is gone but traffic is still sent to its IP: IPVS keeps weight-0 real servers, or a reused source port matches an old IPVS connection entry (failure #4 of docs/failures.md: 502s from nginx after a rolling update).',
      },
      {
        cause: 'A firewall or NetworkPolicy rejects the SYN with icmp-host-unreachable.',
        rules: ['icmp-unreachable-on-syn'],
      },
      {
        cause: "The route to the pod CIDR of the destination's node is missing or stale (CNI).",
        rules: [],
        check: "ip route get ADDR and ip neigh show ADDR, on the client's node.",
      },
    ],
  },
  {
    id: 'connect-enetunreach',
    syscall: 'connect()',
    errno: 'ENETUNREACH',
    title: 'network is unreachable',
    meaning: "The client's network namespace has no route at all to the destination. Nothing was sent.",
    causes: [
      {
        cause:
          'The pod has no default route or no route for that family: the CNI did not finish setting up the pod, or the address is IPv6 in an IPv4-only pod (or the reverse).',
        rules: [],
        check: "ip route get ADDR, in the client pod's network namespace (nsenter -t PID -n).",
      },
    ],
  },
  {
    id: 'connect-etimedout',
    syscall: 'connect()',
    errno: 'ETIMEDOUT',
    title: 'the kernel gave up on the handshake',
    meaning:
      'No answer to the SYN and its retries (tcp_syn_retries, about 127 s by default): the SYN or its reply was lost on the way.',
    causes: [KUBE_PROXY_RULES, NODEPORT_REPLY, TW_RECYCLE, LISTEN_QUEUE, CONNTRACK_FULL, FIREWALL_DROP],
  },
  {
    id: 'connect-timeout',
    syscall: 'connect()',
    title: "the client's connect timeout expired",
    meaning:
      "The handshake did not finish within the client's own connect timeout: the SYN or its reply was lost, or came too late.",
    causes: [KUBE_PROXY_RULES, NODEPORT_REPLY, IPVS_FIRST_SYN, TW_RECYCLE, LISTEN_QUEUE, CONNTRACK_FULL, FIREWALL_DROP],
  },
  {
    id: 'connect-failed',
    syscall: 'connect()',
    title: 'could not connect (the program did not say why)',
    meaning:
      'connect() failed, but the message hides the errno: EADDRNOTAVAIL (no free local port), ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, or the kernel\'s own ETIMEDOUT. curl 7.88 and later print this for all of them; `curl -v` prints the errno on its "connect to … failed:" line, and the time it took narrows it down.',
    causes: [
      PORTS_HELD,
      {
        ...IPVS_STALE,
        cause:
          'The destination pod is gone (EHOSTUNREACH after about 3 s) or replaced by one that does not listen (ECONNREFUSED) (failure #4 of docs/failures.md).',
      },
      {
        cause: 'Nothing listens on the port at the destination, or the Service has no ready endpoints (ECONNREFUSED).',
        rules: [],
        check: 'Run the client again with -v and read the "connect to … failed:" line.',
      },
      RANGE_SMALL,
    ],
  },
  {
    id: 'connection-reset',
    syscall: 'read() / recv()',
    errno: 'ECONNRESET',
    title: 'connection reset by the peer',
    meaning:
      'An established connection was ended by a reset: the other side (or something in between) sent RST instead of an answer.',
    causes: [
      {
        cause:
          'The server closed the connection abruptly: it crashed, was killed (pod deleted, OOM), or closed with unread data.',
        rules: [],
        check: "kubectl get pods -o wide and the server's logs around the time of the reset.",
      },
      {
        ...CONNTRACK_FULL,
        cause:
          "The connection's conntrack entry was lost (table full, or expired while idle), so its packets became INVALID and were answered with a reset.",
      },
      {
        ...LISTEN_QUEUE,
        cause: "The server's accept queue overflowed with tcp_abort_on_overflow=1, which resets the new connection.",
      },
      IPVS_STALE,
    ],
  },
  {
    id: 'empty-reply',
    syscall: 'read() / recv()',
    title: 'the peer closed the connection without an answer',
    meaning:
      'The connection was established and the request sent, then the other side closed it (FIN) before a byte of response.',
    causes: [
      {
        cause:
          'The server (or a proxy in between) closed an idle keep-alive connection just as the client reused it, or closed it on purpose (crash, restart, request limits). This is above TCP: no node rule covers it.',
        rules: [],
        check: "Compare the client's keep-alive idle timeout with the server's: the client's must be shorter.",
      },
      {
        ...LISTEN_QUEUE,
        cause: 'The server accepted the connection late because its accept queue was full, then dropped it.',
      },
    ],
  },
  {
    id: 'response-timeout',
    syscall: 'read() / recv()',
    title: 'connected, but no answer in time',
    meaning: "The connection was established, but the response did not arrive within the client's read timeout.",
    causes: [
      {
        cause: 'The server is slow to answer (busy, blocked on its own dependencies). This is above TCP.',
        rules: [],
        check: "The server's own latency metrics for the same minutes.",
      },
      {
        ...LISTEN_QUEUE,
        cause:
          "The server's accept queue is full: the handshake completed but the application has not accepted the connection yet.",
      },
      {
        ...CONNTRACK_FULL,
        cause: 'Packets of the established connection are dropped: the conntrack table is full or losing inserts.',
      },
    ],
  },
  {
    id: 'request-timeout',
    syscall: 'connect() or read()',
    title: "the client's overall timeout expired",
    meaning:
      "The whole request (connect, send, wait for the response headers) did not finish within the client's timeout. The message does not say which step was slow.",
    causes: [
      KUBE_PROXY_RULES,
      NODEPORT_REPLY,
      IPVS_FIRST_SYN,
      LISTEN_QUEUE,
      TW_RECYCLE,
      CONNTRACK_FULL,
      {
        cause: 'The server is slow to answer. This is above TCP.',
        rules: [],
        check:
          'A capture shows which: an unanswered SYN (network) or a connection that waits for the response (server).',
      },
    ],
  },
  {
    id: 'upstream-502',
    syscall: 'connect() or read(), in the proxy',
    title: 'the proxy could not get a response from the upstream (502)',
    meaning:
      "The proxy's connection to the upstream failed or broke: refused, reset, unreachable, no free local port, or closed early. The proxy's error log has the line with the errno.",
    causes: [
      {
        ...IPVS_STALE,
        cause:
          'After a rolling update, traffic still reaches deleted pods through IPVS (failure #4 of docs/failures.md: a few percent of 502s for minutes).',
      },
      {
        ...PORTS_HELD,
        cause:
          'The proxy has used up the ephemeral ports towards one upstream (no upstream keep-alive): connect() fails with EADDRNOTAVAIL, logged at [crit].',
      },
      {
        cause: 'The upstream pod is not ready or restarting, or closed the connection early.',
        rules: [],
        check: "The proxy's error.log line for the same request (upstream and errno).",
      },
    ],
  },
  {
    id: 'upstream-504',
    syscall: 'connect() or read(), in the proxy',
    title: 'the upstream did not answer in time (504)',
    meaning: "The proxy's connect or read timeout towards the upstream expired.",
    causes: [
      KUBE_PROXY_RULES,
      NODEPORT_REPLY,
      IPVS_STALE,
      TW_RECYCLE,
      LISTEN_QUEUE,
      {
        cause: 'The upstream is slow to answer. This is above TCP.',
        rules: [],
        check:
          'The error.log line says "while connecting to upstream" (network) or "while reading response header" (server).',
      },
    ],
  },
  {
    id: 'tls-handshake',
    syscall: 'TLS handshake (after connect())',
    title: 'the TLS handshake failed',
    meaning: 'TCP connected, but TLS could not be set up on top of it.',
    causes: [
      {
        cause:
          'The port speaks plain HTTP, not TLS ("wrong version number", "server gave HTTP response to HTTPS client"): a wrong port, scheme or Service targetPort.',
        rules: [],
        check: 'curl -v http://ADDR/ (plain HTTP) answers: the scheme is wrong.',
      },
      {
        cause:
          'The connection was reset or closed during the handshake (SSL_ERROR_SYSCALL): a proxy or firewall in between, or a path MTU problem with large certificates.',
        rules: [],
        check: 'A capture on both ends: who sends the RST or FIN, and do large segments arrive?',
      },
    ],
  },
  {
    id: 'dns-unreachable',
    syscall: 'getaddrinfo() / DNS query',
    title: 'the DNS server did not answer',
    meaning:
      'The name could not be looked up because no DNS server answered (EAI_AGAIN, "Temporary failure in name resolution"): the query or its reply was lost.',
    causes: [
      {
        ...KUBE_PROXY_RULES,
        cause:
          "The kube-dns Service VIP is not reachable because kube-proxy's rules for it are missing (failure #3 of docs/failures.md).",
      },
      {
        ...CONNTRACK_FULL,
        cause:
          'DNS queries over UDP are dropped by conntrack: the table is full, or parallel A/AAAA queries race on insert (insert_failed).',
      },
      {
        cause: 'CoreDNS pods are down or overloaded.',
        rules: [],
        check: 'kubectl -n kube-system get pods -l k8s-app=kube-dns, and its logs.',
      },
    ],
  },
  {
    id: 'dns-no-such-name',
    syscall: 'getaddrinfo() / DNS query',
    title: 'the name does not exist',
    meaning:
      'A DNS server answered that the name does not exist (NXDOMAIN). The network worked; the name is wrong for where it was looked up.',
    causes: [
      {
        cause: 'The name is misspelt, in another namespace (use service.namespace), or the Service does not exist yet.',
        rules: [],
        check: 'kubectl get svc -A | grep NAME, and the search line of /etc/resolv.conf in the pod.',
      },
    ],
  },
  {
    id: 'dns-failed',
    syscall: 'getaddrinfo() / DNS query',
    title: 'the name could not be resolved',
    meaning: 'The lookup failed; the message does not say whether no server answered or the name does not exist.',
    causes: [
      {
        ...KUBE_PROXY_RULES,
        cause:
          "The kube-dns Service VIP is not reachable because kube-proxy's rules for it are missing (failure #3 of docs/failures.md).",
      },
      { ...CONNTRACK_FULL, cause: 'DNS queries over UDP are dropped by conntrack (table full, insert races).' },
      {
        cause: 'The name does not exist where it was looked up.',
        rules: [],
        check:
          'nslookup NAME in the same pod tells which: "server can\'t find" (no such name) or "timed out" (unreachable).',
      },
    ],
  },
];

const BY_ID = new Map(CONNECTION_FAILURES.map((f) => [f.id, f]));
export function connectionFailure(id: FailureId): ConnectionFailure {
  return BY_ID.get(id)!;
}

/** The failure a connect() errno means. */
export const CONNECT_FAILURE_OF_ERRNO: Record<ErrnoName, FailureId> = {
  EADDRNOTAVAIL: 'connect-eaddrnotavail',
  EADDRINUSE: 'bind-eaddrinuse',
  ECONNREFUSED: 'connect-econnrefused',
  EHOSTUNREACH: 'connect-ehostunreach',
  ENETUNREACH: 'connect-enetunreach',
  ETIMEDOUT: 'connect-etimedout',
  ECONNRESET: 'connection-reset',
};
