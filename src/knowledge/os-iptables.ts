/**
 * Which node operating systems run iptables 1.8 with nf_tables as the default backend (their `iptables`
 * is iptables-nft): Debian 10+, Ubuntu 20.10+, RHEL/CentOS/Rocky/Alma 8+, Fedora 32+, Amazon Linux 2023
 * (kops #8076, kubernetes #71305). Read from a Node's `status.nodeInfo.osImage`.
 */
const NFT_DEFAULT: RegExp[] = [
  /^Debian GNU\/Linux (1\d|[2-9]\d)\b/,
  /^Ubuntu (2[1-9]|[3-9]\d)\.\d+|^Ubuntu 20\.10/,
  /^(Red Hat Enterprise Linux|CentOS Stream|CentOS Linux|Rocky Linux|AlmaLinux|Oracle Linux Server)\b.*?\b([89]|1\d)(\.\d+)?\b/,
  /^Fedora.*\b(3[2-9]|[4-9]\d)\b/,
  /^Amazon Linux 2023/,
];

export function osDefaultsToNft(osImage: string | undefined): boolean {
  return osImage !== undefined && NFT_DEFAULT.some((r) => r.test(osImage));
}

/**
 * kube-proxy's upstream images detect the host's backend (iptables-wrapper) from 1.17 (kubernetes #82966);
 * before, they ran iptables-legacy only.
 */
export const KUBE_PROXY_DETECTS_BACKEND: [number, number] = [1, 17];

/** The upstream registries: other builds (distributions, vendors) may carry no wrapper whatever their version. */
export const UPSTREAM_KUBE_PROXY =
  /^(registry\.k8s\.io|k8s\.gcr\.io|gcr\.io\/google[-_]containers)\/kube-proxy(-amd64|-arm64)?:/;
