import type { NetnsFacts } from '../../facts/types.js';
import { sysctlNumber } from '../../parsers/sysctl.js';
import { isLoopback } from './evidence.js';

/**
 * Whether connect() may take over a TIME_WAIT socket's port towards this peer (tcp_twsk_unique):
 * tcp_tw_reuse 1 = always, 2 (the default) = loopback only; and only TIME_WAIT sockets that carried
 * timestamps qualify.
 */
export function timeWaitReusable(netns: NetnsFacts, localIp: string, remoteIp: string): boolean {
  const reuse = netns.sysctls ? (sysctlNumber(netns.sysctls, 'net.ipv4.tcp_tw_reuse') ?? 2) : 2;
  const timestamps = netns.sysctls ? (sysctlNumber(netns.sysctls, 'net.ipv4.tcp_timestamps') ?? 1) : 1;
  if (timestamps === 0) return false;
  if (reuse === 1) return true;
  return reuse === 2 && (isLoopback(localIp) || isLoopback(remoteIp));
}
