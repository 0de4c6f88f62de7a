/** TCP states by the code /proc/net/tcp prints (include/net/tcp_states.h); netstat prints the same names. */
export const TCP_STATES = [
  '',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'NEW_SYN_RECV',
] as const;
export const ST_TIME_WAIT = 6;
export const ST_LISTEN = 10;
