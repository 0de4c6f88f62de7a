import { CONNECT_FAILURE_OF_ERRNO, type FailureId } from './connection-failures.js';
import { ERRNO_TEXTS, type Errno } from './errnos.js';

/**
 * Connection-failure messages as programs print them: one entry per wording, most specific first (a line
 * takes the first signature that matches). Named groups a pattern may capture:
 *   err    an errno text in glibc, musl or Go wording   errno  an errno number     code  an errno name (ECONNREFUSED)
 *   host, port  the destination                           inner  a message wrapped inside this one (kubelet)
 * `example` is a real line: from test/fixtures/explain (made by capture.sh on this project's machines)
 * where the tool is installed here, else from the source named. A test checks each example matches its own
 * signature.
 */
export interface Signature {
  id: string;
  /** who prints it */
  tool: string;
  pattern: RegExp;
  /** the failure, when the wording itself says it (else it follows from the errno, as for connect()) */
  failure?: FailureId | ((groups: Record<string, string | undefined>, errno?: Errno) => FailureId | undefined);
  /** the call that failed, when the wording says more than the failure does */
  syscall?: string;
  /** what this particular line adds (a timing, who connects from where) */
  note?: (groups: Record<string, string | undefined>, errno?: Errno) => string | undefined;
  example: string;
  source: string;
}

const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** any errno text this catalogue knows, in any runtime's wording */
const ERR = `(?<err>${ERRNO_TEXTS.map(re).join('|')})`;
/** host:port, IPv6 in brackets */
const HOSTPORT = String.raw`(?<host>\[[0-9a-fA-F:.%\w]+\]|[\w.-]+):(?<port>\d+)`;
const rx = (source: string, flags = '') => new RegExp(source, flags);

const FIXTURE = 'test/fixtures/explain/';
const KUBELET_PROBER = 'kubernetes pkg/kubelet/prober/prober.go ("%s probe failed: %s") and pkg/probe/http/http.go';
const CURL_ERRORS = 'curl lib/connect.c and lib/strerror.c (curl_easy_strerror), docs/libcurl/libcurl-errors.md';
const NGINX = 'nginx src/event/ngx_event_connect.c and src/http/ngx_http_upstream.c';
const GO_NET = 'Go src/net/net.go (OpError.Error) and src/net/http/client.go';
const JDK = 'OpenJDK java.base sun/nio/ch/Net.c (NET_ThrowNew with strerror) and java/net';
const PYTHON = 'CPython Modules/socketmodule.c and Lib/socket.py, Lib/http/client.py, urllib3';
const NODE = 'Node.js lib/internal/errors.js (exceptionWithHostPort) and lib/net.js';

const always = (id: FailureId) => () => id;

/** curl's exit codes (libcurl-errors): 6 COULDNT_RESOLVE_HOST, 7 COULDNT_CONNECT, 28 OPERATION_TIMEDOUT, 35 SSL_CONNECT_ERROR, 52 GOT_NOTHING, 56 RECV_ERROR */
const CURL_EXIT: Record<string, FailureId> = {
  '6': 'dns-failed',
  '7': 'connect-failed',
  '28': 'request-timeout',
  '35': 'tls-handshake',
  '52': 'empty-reply',
  '56': 'connection-reset',
};

/** curl 7.88+ hides the errno, but how long connect() took still tells the likely ones apart. */
function curlTiming(ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  if (ms <= 1)
    return `after ${ms} ms: connect() failed at once, so this host decided it (EADDRNOTAVAIL, ENETUNREACH) or a near peer refused (ECONNREFUSED).`;
  if (ms >= 2500 && ms <= 3600)
    return `after ${ms} ms: about the 3 s a failed neighbour (ARP) lookup takes, so most likely EHOSTUNREACH: nobody on the link has the destination IP (a deleted pod).`;
  if (ms >= 60_000)
    return `after ${ms} ms: the kernel ran out of SYN retries (ETIMEDOUT; 127 s with the default tcp_syn_retries=6): the SYN or its reply was lost.`;
  return undefined;
}
const readFailure = (_g: Record<string, string | undefined>, errno?: Errno): FailureId | undefined =>
  errno?.name === 'ETIMEDOUT' ? 'response-timeout' : errno ? CONNECT_FAILURE_OF_ERRNO[errno.name] : undefined;

/** The programs the catalogue knows, for help and for "not recognised" (a test checks each is in a signature). */
export const CATALOGUE_COVERS = [
  'curl',
  'wget',
  'busybox',
  'nc',
  'Go',
  'kubelet',
  'kubectl',
  'Node.js',
  'Python',
  'Java',
  'nginx',
  'Envoy',
  'CoreDNS',
] as const;

export const SIGNATURES: readonly Signature[] = [
  // kubelet wraps the Go client's error; the wrapped message is explained by the Go signatures below
  {
    id: 'kubelet-probe-event',
    tool: 'kubelet probe (event)',
    pattern: /\b(?<probe>Liveness|Readiness|Startup) probe failed: (?<inner>.+)$/,
    note: () =>
      "kubelet probes connect from the node's own network namespace, with the node's ephemeral port range: a range that overlaps NodePorts breaks probes first (failure #2 of docs/failures.md).",
    example:
      'Liveness probe failed: Get "http://10.78.0.2:8081/": dial tcp 10.78.0.2:8081: connect: connection refused',
    source: `${FIXTURE}econnrefused/kubelet-probe.txt; ${KUBELET_PROBER}`,
  },
  {
    id: 'kubelet-probe-log-klog',
    tool: 'kubelet probe (log)',
    pattern: /prober\.go:\d+\] (?<probe>\w+) probe for "[^"]*" failed \(failure\): (?<inner>.*)$/,
    note: () =>
      "kubelet probes connect from the node's own network namespace, with the node's ephemeral port range: a range that overlaps NodePorts breaks probes first (failure #2 of docs/failures.md).",
    example:
      'I0717 20:31:39.569363   23774 prober.go:106] Readiness probe for "web-1_default(92d6):web" failed (failure): Get http://11.11.75.4:8080/health: dial tcp 11.11.75.4:8080: getsockopt: connection refused',
    source: 'kubernetes/kubernetes#62594 (kubelet before structured logging)',
  },
  {
    id: 'kubelet-probe-log',
    tool: 'kubelet probe (log)',
    pattern: /"Probe failed" probeType="(?<probe>\w+)".*?\boutput="(?<inner>(?:[^"\\]|\\.)*)"/,
    note: () =>
      "kubelet probes connect from the node's own network namespace, with the node's ephemeral port range: a range that overlaps NodePorts breaks probes first (failure #2 of docs/failures.md).",
    example:
      'I1121 02:02:42.123456    1234 prober.go:107] "Probe failed" probeType="Liveness" pod="default/web-0" podUID="5f0b" containerName="web" probeResult="failure" output="Get \\"http://10.244.1.7:8080/healthz\\": dial tcp 10.244.1.7:8080: connect: connection refused"',
    source: KUBELET_PROBER,
  },

  // Go (net, net/http): kubelet, kube-proxy, most operators and controllers
  {
    id: 'go-dial-errno',
    tool: 'Go net.Dial',
    // Go before 1.12 named the call that reported the errno: "getsockopt:" (the non-blocking connect's result)
    pattern: rx(String.raw`\bdial tcp[46]? ${HOSTPORT}: (?:connect|getsockopt): ${ERR}`),
    example: 'dial tcp 10.78.0.2:8080: connect: cannot assign requested address',
    source: `${FIXTURE}eaddrnotavail/go-dial.txt; ${GO_NET}; "getsockopt:" from kubernetes/kubernetes#62594 (Go < 1.12)`,
  },
  {
    id: 'go-dial-timeout',
    tool: 'Go net.Dial',
    pattern: rx(String.raw`\bdial tcp[46]? ${HOSTPORT}: i/o timeout`),
    failure: always('connect-timeout'),
    example: 'dial tcp 10.78.0.2:8083: i/o timeout',
    source: `${FIXTURE}timeout/go-dial.txt; ${GO_NET}`,
  },
  {
    id: 'go-dns',
    tool: 'Go resolver',
    pattern:
      /\blookup (?<name>\S+?)(?: on (?<server>\S+))?: (?<detail>no such host|server misbehaving|i\/o timeout|read udp .*|dial udp .*)/,
    failure: (g) =>
      g.detail === 'no such host'
        ? 'dns-no-such-name'
        : g.detail === 'server misbehaving'
          ? 'dns-failed'
          : 'dns-unreachable',
    syscall: 'DNS query (Go resolver)',
    example:
      'Get "http://nosuch.invalid/": dial tcp: lookup nosuch.invalid on 10.78.0.2:53: read udp 10.78.0.1:56209->10.78.0.2:53: read: connection refused',
    source: `${FIXTURE}dns/go-http.txt; Go src/net/dnsclient_unix.go`,
  },
  {
    id: 'go-read-errno',
    tool: 'Go net.Conn',
    pattern: rx(String.raw`\bread tcp \S+->${HOSTPORT}: read: ${ERR}`),
    failure: readFailure,
    syscall: 'read()',
    example: 'Get "http://10.78.0.2:8084/": read tcp 10.78.0.1:48472->10.78.0.2:8084: read: connection reset by peer',
    source: `${FIXTURE}econnreset/go-http.txt; ${GO_NET}`,
  },
  {
    id: 'go-read-timeout',
    tool: 'Go net.Conn',
    pattern: rx(String.raw`\bread tcp \S+->${HOSTPORT}: i/o timeout`),
    failure: always('response-timeout'),
    syscall: 'read()',
    example: 'read tcp 10.244.1.5:50412->10.96.0.10:53: i/o timeout',
    source: GO_NET,
  },
  {
    id: 'go-client-timeout',
    tool: 'Go net/http',
    pattern:
      /\b(?:context deadline exceeded|request canceled while waiting for connection|net\/http: request canceled)(?: \(Client\.Timeout exceeded while (?<phase>awaiting headers|reading body)\))?/,
    failure: (g) => (g.phase === 'reading body' ? 'response-timeout' : 'request-timeout'),
    example: 'Get "http://10.78.0.2:8083/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
    source: `${FIXTURE}timeout/go-http.txt; ${GO_NET}`,
  },
  {
    id: 'go-http-eof',
    tool: 'Go net/http',
    pattern: /\b(?:Get|Head|Post|Put|Patch|Delete|Options) "(?<url>[^"]+)": (?:unexpected )?EOF\b/,
    failure: always('empty-reply'),
    syscall: 'read()',
    example: 'Get "http://10.78.0.2:8085/": EOF',
    source: `${FIXTURE}empty-reply/go-http.txt; ${GO_NET}`,
  },
  {
    id: 'go-https-to-http',
    tool: 'Go net/http',
    pattern: /http: server gave HTTP response to HTTPS client/,
    failure: always('tls-handshake'),
    example: 'Get "https://10.78.0.2:8080/": http: server gave HTTP response to HTTPS client',
    source: `${FIXTURE}tls/go-http.txt; Go src/net/http/transport.go`,
  },

  // curl and libcurl (PHP "cURL error 7: …" carries the same text)
  {
    id: 'curl-verbose-connect',
    tool: 'curl -v',
    pattern: rx(
      String.raw`^\*?\s*(?:Immediate )?connect to (?<host>\S+) port (?<port>\d+)(?: from \S+ port \d+)? failed: ${ERR}`,
    ),
    example: '* connect to 10.78.0.2 port 8081 failed: Connection refused',
    source: `${FIXTURE}econnrefused/curl-verbose.txt; ${CURL_ERRORS}`,
  },
  {
    id: 'curl-28-connect',
    tool: 'curl ≥ 7.73',
    pattern:
      /\(28\) Failed to connect to (?<host>\S+) port (?<port>\d+) after (?<ms>\d+) ms: (?<why>Timeout was reached|Connection timed out|Could(?:n't| not) connect to server)/,
    // the kernel's own ETIMEDOUT is "Couldn't connect"; curl's --connect-timeout is "Timeout was reached"
    failure: (g) => (g.why === 'Timeout was reached' ? 'connect-timeout' : 'connect-etimedout'),
    example: 'curl: (28) Failed to connect to 10.78.0.2 port 8083 after 3000 ms: Timeout was reached',
    source: `${FIXTURE}timeout/curl.txt, ${FIXTURE}etimedout/curl.txt; ${CURL_ERRORS}`,
  },
  {
    id: 'curl-28-old',
    tool: 'curl < 7.73',
    pattern: /\(28\) (?<what>Connection|Operation|Resolving) timed out after (?<ms>\d+) milliseconds/,
    failure: (g) =>
      g.what === 'Connection' ? 'connect-timeout' : g.what === 'Resolving' ? 'dns-unreachable' : 'request-timeout',
    example: 'curl: (28) Connection timed out after 3001 milliseconds',
    source: CURL_ERRORS,
  },
  {
    id: 'curl-7-errno',
    tool: 'curl < 7.88',
    // 7.29 (CentOS 7) "Failed connect to H:P; E", 7.5x-7.7x "Failed to connect to H port P: E", then "after N ms: E"
    pattern: rx(
      String.raw`\bFailed (?:to )?connect(?: to)? (?<host>[\w.:\[\]-]+?)(?: port |:)(?<port>\d+)(?: after (?<ms>\d+) ms)?[:;] ${ERR}`,
    ),
    example: 'curl: (7) Failed to connect to 10.0.0.1 port 80 after 1 ms: Connection refused',
    source: CURL_ERRORS,
  },
  {
    id: 'curl-7-generic',
    tool: 'curl ≥ 7.88',
    pattern:
      /\bFailed to connect to (?<host>\S+) port (?<port>\d+)(?: after (?<ms>\d+) ms)?: Could(?:n't| not) connect to server/,
    failure: always('connect-failed'),
    note: (g) => curlTiming(Number(g.ms)),
    example: "curl: (7) Failed to connect to 10.78.0.2 port 8080 after 0 ms: Couldn't connect to server",
    source: `${FIXTURE}eaddrnotavail/curl.txt; ${CURL_ERRORS}`,
  },
  {
    id: 'curl-52',
    tool: 'curl',
    pattern: /\(52\) Empty reply from server/,
    failure: always('empty-reply'),
    syscall: 'read()',
    example: 'curl: (52) Empty reply from server',
    source: `${FIXTURE}empty-reply/curl.txt; ${CURL_ERRORS}`,
  },
  {
    id: 'curl-56',
    tool: 'curl',
    pattern: rx(
      String.raw`\(56\) (?:Recv failure|Send failure|OpenSSL SSL_read|Failure when receiving data from the peer)(?:.*?${ERR})?`,
    ),
    failure: (g, errno) => readFailure(g, errno) ?? 'connection-reset',
    syscall: 'recv()',
    example: 'curl: (56) Recv failure: Connection reset by peer',
    source: `${FIXTURE}econnreset/curl.txt; ${CURL_ERRORS}`,
  },
  {
    id: 'curl-35',
    tool: 'curl',
    pattern: rx(String.raw`\(35\) (?<detail>.*?)(?:${ERR}|$)`),
    failure: always('tls-handshake'),
    example: 'curl: (35) OpenSSL/3.0.19: error:0A00010B:SSL routines::wrong version number',
    source: `${FIXTURE}tls/curl.txt; ${CURL_ERRORS}`,
  },
  {
    id: 'curl-6',
    tool: 'curl',
    pattern: /\(6\) Could(?:n't| not) resolve host:? '?(?<name>[^\s']+)/,
    failure: always('dns-failed'),
    example: 'curl: (6) Could not resolve host: nosuch.invalid',
    source: `${FIXTURE}dns/curl.txt; ${CURL_ERRORS}`,
  },

  {
    id: 'curl-exit-code',
    tool: 'curl',
    // whatever the wording around it (curl 7.19's "couldn't connect to host", proxies, SOCKS), the exit code says what failed
    pattern: /\bcurl: \((?<code>6|7|28|35|52|56)\) /,
    failure: (g) => CURL_EXIT[g.code!],
    example: "curl: (7) couldn't connect to host",
    source: `${CURL_ERRORS}; curl 7.19 (CentOS 6) wording`,
  },

  // GNU wget
  {
    id: 'wget-connect',
    tool: 'GNU wget',
    pattern: rx(String.raw`\bConnecting to (?:\S+ \(\S+\)\|)?(?<host>[^\s|]+?)\|?:(?<port>\d+)\.\.\. failed: ${ERR}\.`),
    example: 'Connecting to 10.78.0.2:8080... failed: Cannot assign requested address.',
    source: `${FIXTURE}eaddrnotavail/wget.txt; GNU wget src/connect.c`,
  },
  {
    id: 'wget-read',
    tool: 'GNU wget',
    pattern: rx(String.raw`\bRead error \(${ERR}\) in headers`),
    failure: readFailure,
    syscall: 'read()',
    example: 'HTTP request sent, awaiting response... Read error (Connection reset by peer) in headers.',
    source: `${FIXTURE}econnreset/wget.txt; GNU wget src/http.c`,
  },
  {
    id: 'wget-no-data',
    tool: 'GNU wget',
    pattern: /awaiting response\.\.\. No data received\./,
    failure: always('empty-reply'),
    syscall: 'read()',
    example: 'HTTP request sent, awaiting response... No data received.',
    source: `${FIXTURE}empty-reply/wget.txt; GNU wget src/http.c`,
  },
  {
    id: 'wget-resolve',
    tool: 'GNU wget',
    pattern:
      /\bResolving \S+(?: \([^)]*\))?\.\.\. failed: (?<detail>Temporary failure in name resolution|Name or service not known|No address associated with hostname)\./,
    failure: (g) => (g.detail === 'Temporary failure in name resolution' ? 'dns-unreachable' : 'dns-no-such-name'),
    syscall: 'getaddrinfo()',
    example: 'Resolving nosuch.invalid (nosuch.invalid)... failed: Temporary failure in name resolution.',
    source: `${FIXTURE}dns/wget.txt; glibc gai_strerror`,
  },
  {
    id: 'wget-tls',
    tool: 'GNU wget',
    pattern: /\bUnable to establish SSL connection\./,
    failure: always('tls-handshake'),
    example: 'Unable to establish SSL connection.',
    source: `${FIXTURE}tls/wget.txt; GNU wget src/http.c`,
  },

  // Envoy (Istio sidecars and gateways): a 503 body naming why the upstream connection failed
  {
    id: 'envoy-connect-errno',
    tool: 'Envoy (Istio)',
    pattern:
      /upstream connect error or disconnect\/reset before headers\. (?:retried and the latest )?reset reason: connection failure, transport failure reason: delayed connect error: (?<errno>\d+)/,
    note: () =>
      "Envoy answered 503 for the upstream: its connect() to the pod failed with this errno (the sidecar connects from inside the pod's network namespace).",
    example:
      'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: connection failure, transport failure reason: delayed connect error: 113',
    source:
      'istio/istio#46431 (113, firewalld), istio/istio#48267 (111); envoy source/common/network/connection_impl.cc',
  },
  {
    id: 'envoy-reset',
    tool: 'Envoy (Istio)',
    pattern:
      /upstream connect error or disconnect\/reset before headers(?:\. (?:retried and the latest )?reset reason: (?<reason>connection termination|remote reset|local reset|remote connection failure|connection failure|overflow))?/,
    failure: (g) =>
      g.reason === 'connection termination' || g.reason === 'remote reset' || g.reason === 'local reset'
        ? 'connection-reset'
        : 'connect-failed',
    note: (g) =>
      `Envoy answered 503: ${g.reason === 'overflow' ? 'its circuit breaker for this upstream was full' : g.reason ? `reset reason "${g.reason}"` : 'it could not reach the upstream'}; the errno is in Envoy's access log (%UPSTREAM_TRANSPORT_FAILURE_REASON%).`,
    example: 'upstream connect error or disconnect/reset before headers. reset reason: connection termination',
    source: 'istio/istio#47052, envoyproxy/envoy#4567; envoy source/common/router/router.cc',
  },
  // kubectl: the API server address in the kubeconfig (or the localhost:8080 default without one) refused
  {
    id: 'kubectl-refused',
    tool: 'kubectl',
    pattern: /The connection to the server (?<host>[^\s:]+|\[[^\]]+\]):(?<port>\d+) was refused/,
    failure: always('connect-econnrefused'),
    note: (g) =>
      g.host === 'localhost' && g.port === '8080'
        ? "localhost:8080 is kubectl's default when no kubeconfig is found: set KUBECONFIG or --kubeconfig."
        : undefined,
    example: 'The connection to the server localhost:8080 was refused - did you specify the right host or port?',
    source: 'kubectl staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go (checkErr)',
  },
  // CoreDNS forwarding to an upstream resolver that did not answer
  {
    id: 'coredns-upstream-timeout',
    tool: 'CoreDNS',
    pattern:
      /\[ERROR\] (?:plugin\/errors: )?\d+ \S+ \w+: (?:unreachable backend: )?read udp [\d.:[\]a-f]+->(?<host>[\d.]+|\[[0-9a-f:]+\]):(?<port>\d+): i\/o timeout/,
    failure: always('dns-unreachable'),
    note: () =>
      'CoreDNS forwarded the query and its upstream did not answer in time (HINFO names are its loop check at start-up).',
    example: '[ERROR] plugin/errors: 2 example.com. A: read udp 10.244.0.5:45678->8.8.8.8:53: i/o timeout',
    source:
      'kubernetes/kubernetes#86762, coredns/coredns#5179 and #4211; CoreDNS 1.1 "unreachable backend:" wording from coredns/coredns#2287',
  },

  // busybox (Debian's links glibc, Alpine's musl: the errno text tells which)
  {
    id: 'busybox-connect',
    tool: 'busybox wget/nc',
    pattern: rx(String.raw`\b(?:wget|nc|telnet|\w+): can't connect to remote host(?: \((?<host>[^)]+)\))?: ${ERR}`),
    example: "wget: can't connect to remote host (10.78.0.2): Address not available",
    source: `${FIXTURE}eaddrnotavail/busybox-musl.txt; busybox libbb/xconnect.c`,
  },
  {
    id: 'busybox-nc-timeout',
    tool: 'busybox nc',
    pattern: /^nc: timed out$/,
    failure: always('connect-timeout'),
    example: 'nc: timed out',
    source: `${FIXTURE}timeout/busybox-nc.txt; busybox networking/nc.c`,
  },
  {
    id: 'busybox-wget-timeout',
    tool: 'busybox wget',
    pattern: /^wget: download timed out$/,
    failure: always('request-timeout'),
    example: 'wget: download timed out',
    source: 'busybox networking/wget.c',
  },
  {
    id: 'busybox-wget-tls',
    tool: 'busybox wget',
    pattern: /^wget: TLS error from peer \(alert code (?<alert>\d+)\)/,
    failure: always('tls-handshake'),
    example: 'wget: TLS error from peer (alert code 40): handshake failure',
    source: 'netdata/helmchart#92 (busybox 1.28+ wget in an init container); busybox networking/tls.c',
  },
  {
    id: 'busybox-bad-address',
    tool: 'busybox wget/nc/ping',
    pattern: /^(?:wget|nc|ping|telnet|nslookup): bad address '(?<host>[^']+)'/,
    failure: always('dns-failed'),
    example: "wget: bad address 'google.com'",
    source:
      'k3s-io/k3s#5349 and dotnet/dotnet-docker#2509 (busybox on Alpine, any getaddrinfo failure); busybox libbb/xconnect.c',
  },
  {
    id: 'busybox-wget-status',
    tool: 'busybox wget',
    pattern: /^wget: server returned error: HTTP\/1\.[01] (?<status>502|504)\b/,
    failure: (g) => (g.status === '504' ? 'upstream-504' : 'upstream-502'),
    example: 'wget: server returned error: HTTP/1.1 502 Bad Gateway',
    source: 'busybox networking/wget.c',
  },

  // netcat
  {
    id: 'openbsd-nc-connect',
    tool: 'OpenBSD nc',
    pattern: rx(
      String.raw`\bnc(?:\.openbsd)?: connect to (?<host>\S+) port (?<port>\d+) \((?:tcp|udp)\) failed: ${ERR}`,
    ),
    example: 'nc: connect to 127.0.0.1 port 8080 (tcp) failed: Cannot assign requested address',
    source: `${FIXTURE}eaddrnotavail/openbsd-nc.txt; FACTS.md §1; netcat-openbsd netcat.c`,
  },
  {
    id: 'openbsd-nc-timeout',
    tool: 'OpenBSD nc',
    pattern: /\bnc(?:\.openbsd)?: connect to (?<host>\S+) port (?<port>\d+) \(tcp\) timed out/,
    failure: always('connect-timeout'),
    example: 'nc.openbsd: connect to 10.78.0.2 port 8083 (tcp) timed out: Operation now in progress',
    source: `${FIXTURE}timeout/openbsd-nc.txt; netcat-openbsd netcat.c`,
  },
  {
    id: 'nc-bind',
    tool: 'nc',
    pattern: rx(String.raw`\bnc(?:\.openbsd)?: bind(?: failed)?: ${ERR}`),
    syscall: 'bind()',
    example: 'nc: bind: Address in use',
    source: 'SPEC.md failure 1 (busybox nc -p on musl); busybox networking/nc.c',
  },

  // Node.js
  {
    id: 'node-connect',
    tool: 'Node.js',
    pattern:
      /\bconnect (?<code>E[A-Z]+) (?<host>\[?[0-9a-fA-F:.]+\]?|[\w.-]+):(?<port>\d+)(?: - Local \((?<local>[^)]*)\))?/,
    note: (g, errno) =>
      errno?.name === 'EADDRNOTAVAIL' && g.local?.endsWith(':0')
        ? `"Local (${g.local})": the socket never got a local port; the kernel had none left to give.`
        : undefined,
    example: 'Error: connect EADDRNOTAVAIL 10.78.0.2:8080 - Local (0.0.0.0:0)',
    source: `${FIXTURE}eaddrnotavail/node-http.txt; ${NODE}`,
  },
  {
    id: 'node-read',
    tool: 'Node.js',
    pattern: /\bread (?<code>ECONNRESET|ETIMEDOUT)\b/,
    failure: readFailure,
    syscall: 'read()',
    example: 'Error: read ECONNRESET',
    source: `${FIXTURE}econnreset/node-http.txt; ${NODE}`,
  },
  {
    id: 'node-hang-up',
    tool: 'Node.js http',
    pattern: /\bError: socket hang up\b/,
    failure: always('empty-reply'),
    syscall: 'read()',
    example: 'Error: socket hang up',
    source: `${FIXTURE}empty-reply/node-http.txt; Node.js lib/_http_client.js`,
  },
  {
    id: 'node-getaddrinfo',
    tool: 'Node.js',
    pattern: /\bgetaddrinfo (?<code>EAI_AGAIN|ENOTFOUND|EAI_FAIL) (?<name>\S+)/,
    failure: (g) => (g.code === 'ENOTFOUND' ? 'dns-no-such-name' : 'dns-unreachable'),
    syscall: 'getaddrinfo()',
    example: '[cause]: Error: getaddrinfo EAI_AGAIN nosuch.invalid',
    source: `${FIXTURE}dns/node-fetch.txt; ${NODE}`,
  },
  {
    id: 'node-undici-connect-timeout',
    tool: 'Node.js fetch (undici)',
    pattern:
      /\bConnectTimeoutError: Connect Timeout Error(?: \(attempted address: (?<host>[\w.:[\]-]+?):(?<port>\d+))?/,
    failure: always('connect-timeout'),
    example:
      '[cause]: ConnectTimeoutError: Connect Timeout Error (attempted address: 10.78.0.2:8083, timeout: 10000ms)',
    source: `${FIXTURE}timeout/node-fetch.txt; undici lib/core/connect.js`,
  },
  {
    id: 'node-undici-closed',
    tool: 'Node.js fetch (undici)',
    pattern: /\bSocketError: other side closed\b/,
    failure: always('empty-reply'),
    syscall: 'read()',
    example: '[cause]: SocketError: other side closed',
    source: `${FIXTURE}empty-reply/node-fetch.txt; undici lib/dispatcher/client-h1.js`,
  },
  {
    id: 'node-undici-headers-timeout',
    tool: 'Node.js fetch (undici)',
    pattern: /\bHeadersTimeoutError: Headers Timeout Error\b/,
    failure: always('response-timeout'),
    example: '[cause]: HeadersTimeoutError: Headers Timeout Error',
    source: 'undici lib/core/errors.js',
  },

  // Python (socket, urllib, http.client, requests/urllib3)
  {
    id: 'python-gaierror',
    tool: 'Python',
    pattern:
      /\[Errno (?<n>-[23]|-5)\] (?<detail>Temporary failure in name resolution|Name or service not known|No address associated with hostname)/,
    failure: (g) => (g.n === '-3' ? 'dns-unreachable' : 'dns-no-such-name'),
    syscall: 'getaddrinfo()',
    example: 'urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>',
    source: `${FIXTURE}dns/python-urllib.txt; ${PYTHON}`,
  },
  {
    id: 'python-errno',
    tool: 'Python',
    pattern: rx(String.raw`\[Errno (?<errno>\d+)\] ${ERR}`),
    example: 'OSError: [Errno 99] Cannot assign requested address',
    source: `${FIXTURE}eaddrnotavail/python-socket.txt; ${PYTHON}`,
  },
  {
    id: 'python-connect-timeout',
    tool: 'Python',
    pattern:
      /(?:^(?:socket\.timeout|TimeoutError): timed out$|<urlopen error timed out>|ConnectTimeoutError\(.*?\btimed out\. \(connect timeout=|\bConnection to (?<host>\S+) timed out\. \(connect timeout=)/,
    failure: always('connect-timeout'),
    example: 'TimeoutError: timed out',
    source: `${FIXTURE}timeout/python-socket.txt; ${PYTHON}`,
  },
  {
    id: 'python-read-timeout',
    tool: 'Python',
    pattern: /\b(?:The read operation timed out|Read timed out\. \(read timeout=)/,
    failure: always('response-timeout'),
    example:
      "requests.exceptions.ReadTimeout: HTTPConnectionPool(host='10.96.0.12', port=80): Read timed out. (read timeout=3)",
    source: PYTHON,
  },
  {
    id: 'python-remote-disconnected',
    tool: 'Python http.client',
    pattern: /\bRemoteDisconnected\b.*Remote end closed connection without response/,
    failure: always('empty-reply'),
    syscall: 'read()',
    example: 'http.client.RemoteDisconnected: Remote end closed connection without response',
    source: `${FIXTURE}empty-reply/python-urllib.txt; ${PYTHON}`,
  },

  // Java
  {
    id: 'java-connect-timeout',
    tool: 'Java',
    pattern:
      /\bjava\.net\.(?:SocketTimeoutException: [Cc]onnect timed out|http\.HttpConnectTimeoutException: HTTP connect timed out)/,
    failure: always('connect-timeout'),
    example: 'Exception in thread "main" java.net.SocketTimeoutException: Connect timed out',
    source: `${FIXTURE}timeout/java.txt; ${JDK}`,
  },
  {
    id: 'java-read-timeout',
    tool: 'Java',
    pattern: /\bjava\.net\.SocketTimeoutException: Read timed out/,
    failure: always('response-timeout'),
    syscall: 'read()',
    example: 'java.net.SocketTimeoutException: Read timed out',
    source: JDK,
  },
  {
    id: 'java-request-timeout',
    tool: 'Java HttpClient',
    pattern: /\bjava\.net\.http\.HttpTimeoutException: request timed out/,
    failure: always('request-timeout'),
    example: 'java.net.http.HttpTimeoutException: request timed out',
    source: JDK,
  },
  {
    id: 'java-socket-errno',
    tool: 'Java',
    pattern: rx(
      String.raw`\bjava\.net\.(?<exception>BindException|ConnectException|NoRouteToHostException|SocketException|PortUnreachableException): ${ERR}`,
    ),
    failure: (g, errno) =>
      g.exception === 'SocketException'
        ? readFailure(g, errno)
        : errno
          ? CONNECT_FAILURE_OF_ERRNO[errno.name]
          : undefined,
    example: 'Exception in thread "main" java.net.BindException: Cannot assign requested address',
    source: `${FIXTURE}eaddrnotavail/java.txt; ${JDK}`,
  },
  {
    id: 'java-connection-reset',
    tool: 'Java',
    pattern: /\bjava\.net\.SocketException: Connection reset\b/,
    failure: always('connection-reset'),
    syscall: 'read()',
    example: 'Exception in thread "main" java.net.SocketException: Connection reset',
    source: `${FIXTURE}econnreset/java.txt; ${JDK}`,
  },
  {
    id: 'java-unexpected-eof',
    tool: 'Java',
    pattern: /\bjava\.net\.SocketException: Unexpected end of file from server\b/,
    failure: always('empty-reply'),
    syscall: 'read()',
    example: 'Exception in thread "main" java.net.SocketException: Unexpected end of file from server',
    source: `${FIXTURE}empty-reply/java.txt; ${JDK}`,
  },
  {
    id: 'java-unknown-host',
    tool: 'Java',
    pattern: /\bjava\.net\.UnknownHostException: (?<name>\S+)/,
    failure: always('dns-failed'),
    syscall: 'getaddrinfo()',
    example: 'java.net.UnknownHostException: nosuch.invalid',
    source: JDK,
  },
  {
    id: 'java-tls-plaintext',
    tool: 'Java',
    pattern: /\bjavax\.net\.ssl\.SSLException: Unsupported or unrecognized SSL message/,
    failure: always('tls-handshake'),
    example: 'Exception in thread "main" javax.net.ssl.SSLException: Unsupported or unrecognized SSL message',
    source: `${FIXTURE}tls/java.txt; ${JDK}`,
  },

  // nginx (and ingress-nginx): error.log, then access.log
  {
    id: 'nginx-connect',
    tool: 'nginx',
    pattern:
      /\bconnect\(\) (?:to (?<host>[\w.:[\]-]+?):(?<port>\d+) )?failed \((?<errno>\d+): [^)]+\) while connecting to upstream/,
    example:
      '2026/11/21 02:02:47 [crit] 4828#4828: *13 connect() to 10.78.0.2:8080 failed (99: Cannot assign requested address) while connecting to upstream, client: 127.0.0.1, server: , request: "GET /eaddrnotavail HTTP/1.1", upstream: "http://10.78.0.2:8080/eaddrnotavail", host: "127.0.0.1:8090"',
    source: `${FIXTURE}nginx/error.log; FACTS.md §8; ${NGINX}`,
  },
  {
    id: 'nginx-timeout',
    tool: 'nginx',
    pattern:
      /\bupstream timed out \((?<errno>110): [^)]+\) while (?<phase>connecting to upstream|reading response header from upstream|reading upstream|sending request to upstream)/,
    failure: (g) => (g.phase === 'connecting to upstream' ? 'connect-timeout' : 'response-timeout'),
    example:
      '2026/11/21 02:02:46 [error] 4828#4828: *7 upstream timed out (110: Connection timed out) while connecting to upstream, client: 127.0.0.1, server: , request: "GET /timeout HTTP/1.1", upstream: "http://10.78.0.2:8083/timeout", host: "127.0.0.1:8090"',
    source: `${FIXTURE}nginx/error.log; ${NGINX}`,
  },
  {
    id: 'nginx-recv',
    tool: 'nginx',
    pattern:
      /\b(?:recv|readv|writev|send)\(\) failed \((?<errno>\d+): [^)]+\) while (?:reading response header from upstream|reading upstream|sending request to upstream)/,
    failure: readFailure,
    syscall: 'recv()',
    example:
      '2026/11/21 02:02:46 [error] 4828#4828: *9 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 127.0.0.1, server: , request: "GET /econnreset HTTP/1.1", upstream: "http://10.78.0.2:8084/econnreset", host: "127.0.0.1:8090"',
    source: `${FIXTURE}nginx/error.log; ${NGINX}`,
  },
  {
    id: 'nginx-premature-close',
    tool: 'nginx',
    pattern: /\bupstream prematurely closed connection while reading (?:response header from )?upstream/,
    failure: always('empty-reply'),
    syscall: 'recv()',
    example:
      '2026/11/21 02:02:46 [error] 4828#4828: *11 upstream prematurely closed connection while reading response header from upstream, client: 127.0.0.1, server: , request: "GET /empty-reply HTTP/1.1", upstream: "http://10.78.0.2:8085/empty-reply", host: "127.0.0.1:8090"',
    source: `${FIXTURE}nginx/error.log; ${NGINX}`,
  },
  {
    id: 'nginx-no-live-upstreams',
    tool: 'nginx',
    pattern: /\bno live upstreams while connecting to upstream/,
    failure: always('upstream-502'),
    example:
      '2026/11/21 02:05:01 [error] 31#31: *8812 no live upstreams while connecting to upstream, client: 10.244.0.1, server: _, request: "GET / HTTP/1.1", upstream: "http://backend/", host: "shop.example"',
    source: NGINX,
  },
  {
    id: 'nginx-access-5xx',
    tool: 'nginx access log',
    pattern: /"(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|CONNECT) \S+ HTTP\/[\d.]+" (?<status>502|504) \d+/,
    failure: (g) => (g.status === '504' ? 'upstream-504' : 'upstream-502'),
    syscall: 'connect() or read(), in the proxy',
    example: '127.0.0.1 - - [21/Nov/2026:02:02:42 +0000] "GET /econnrefused HTTP/1.1" 502 157 "-" "netdoctor-capture"',
    source: `${FIXTURE}nginx/access.log; nginx log_format combined`,
  },

  // TLS libraries, whoever wraps them
  {
    id: 'tls-plaintext',
    tool: 'OpenSSL / GnuTLS',
    pattern: /\b(?:wrong version number|WRONG_VERSION_NUMBER|An unexpected TLS packet was received)\b/,
    failure: always('tls-handshake'),
    example: 'ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)',
    source: `${FIXTURE}tls/python-urllib.txt; OpenSSL ssl/record/ssl3_record.c`,
  },

  // last: any line that carries an errno text of glibc, musl or Go, from a program not listed above
  {
    id: 'errno-text',
    tool: 'a program not in the catalogue',
    pattern: rx(String.raw`(?:^|[\s:(\["'])${ERR}(?=$|[\s.,;:)\]"'])`, 'i'),
    example: 'upstream error: Connection refused',
    source: 'FACTS.md §8 (glibc, musl and Go texts of each errno)',
  },
];
