/**
 * The errno values behind TCP connection failures, in the words each runtime prints them.
 * Sources: glibc's strerror texts (sysdeps/gnu/errlist.h), musl's (src/errno/__strerror.h), FreeBSD's and
 * macOS's (lib/libc/gen/errlst.c; their numbers differ from Linux's, the names are the same), Go's
 * syscall.Errstr table (syscall/zerrors_linux_amd64.go), Linux's numbers (include/uapi/asm-generic/errno.h).
 * The clients in test/fixtures/explain/capture.sh printed every text below on this project's machines,
 * except EADDRINUSE's (no scenario makes it) and musl's ECONNRESET text (no musl client reads a reset there).
 */
export interface Errno {
  name: ErrnoName;
  number: number;
  /** glibc strerror(): Debian, Ubuntu, RHEL images, curl -v, wget, nginx, Java, Python */
  glibc: string;
  /** musl strerror(): Alpine images, busybox there */
  musl: string;
  /** Go's syscall error text: Go programs, kubelet, most Kubernetes components */
  go: string;
  /** BSD and macOS strerror(): a laptop's curl or nc, not a pod's */
  bsd: string;
}

/** Which C library (or runtime) wording a text is; "musl-or-bsd" where Alpine and macOS word it alike. */
export type Wording = 'glibc' | 'musl' | 'go' | 'bsd' | 'musl-or-bsd';

export type ErrnoName =
  'EADDRINUSE' | 'EADDRNOTAVAIL' | 'ENETUNREACH' | 'ECONNRESET' | 'ETIMEDOUT' | 'ECONNREFUSED' | 'EHOSTUNREACH';

export const ERRNOS: readonly Errno[] = [
  {
    name: 'EADDRINUSE',
    number: 98,
    glibc: 'Address already in use',
    musl: 'Address in use',
    go: 'address already in use',
    bsd: 'Address already in use',
  },
  {
    name: 'EADDRNOTAVAIL',
    number: 99,
    glibc: 'Cannot assign requested address',
    musl: 'Address not available',
    go: 'cannot assign requested address',
    bsd: "Can't assign requested address",
  },
  {
    name: 'ENETUNREACH',
    number: 101,
    glibc: 'Network is unreachable',
    musl: 'Network unreachable',
    go: 'network is unreachable',
    bsd: 'Network is unreachable',
  },
  {
    name: 'ECONNRESET',
    number: 104,
    glibc: 'Connection reset by peer',
    musl: 'Connection reset by peer',
    go: 'connection reset by peer',
    bsd: 'Connection reset by peer',
  },
  {
    name: 'ETIMEDOUT',
    number: 110,
    glibc: 'Connection timed out',
    musl: 'Operation timed out',
    go: 'connection timed out',
    bsd: 'Operation timed out',
  },
  {
    name: 'ECONNREFUSED',
    number: 111,
    glibc: 'Connection refused',
    musl: 'Connection refused',
    go: 'connection refused',
    bsd: 'Connection refused',
  },
  {
    name: 'EHOSTUNREACH',
    number: 113,
    glibc: 'No route to host',
    musl: 'Host is unreachable',
    go: 'no route to host',
    bsd: 'No route to host',
  },
];

const BY_NAME = new Map(ERRNOS.map((e) => [e.name, e]));
const BY_NUMBER = new Map(ERRNOS.map((e) => [e.number, e]));
const BY_TEXT = new Map(
  ERRNOS.flatMap((e) => [e.glibc, e.musl, e.go, e.bsd].map((t) => [t.toLowerCase(), e] as const)),
);

export const errnoByName = (name: string): Errno | undefined => BY_NAME.get(name as ErrnoName);
export const errnoByNumber = (n: number): Errno | undefined => BY_NUMBER.get(n);
/** Any runtime's wording, any case ("Connection refused", "connection refused", "Address not available"). */
export const errnoByText = (text: string): Errno | undefined => BY_TEXT.get(text.trim().toLowerCase());

/**
 * Which library's wording a text is, for telling the user what printed it (musl means an Alpine-style
 * image, bsd a macOS or BSD machine); undefined where glibc and musl word it alike.
 */
export function wordingOf(errno: Errno, text: string): Wording | undefined {
  if (errno.glibc === errno.musl && text === errno.glibc) return undefined;
  if (text === errno.glibc) return 'glibc';
  if (text === errno.musl) return text === errno.bsd ? 'musl-or-bsd' : 'musl';
  if (text === errno.bsd) return 'bsd';
  if (text === errno.go) return 'go';
  return undefined;
}

/** The text of a wording, as printed. */
export function textOf(errno: Errno, wording: Wording | undefined): string {
  return wording === undefined ? errno.glibc : wording === 'musl-or-bsd' ? errno.musl : errno[wording];
}

/** All the texts as printed, longest first, for one alternation that finds any of them inside a line. */
export const ERRNO_TEXTS: readonly string[] = [...new Set(ERRNOS.flatMap((e) => [e.glibc, e.musl, e.go, e.bsd]))].sort(
  (a, b) => b.length - a.length,
);
