import os from 'node:os';

/** What the tool asks of the machine it runs on: its name and byte order (the socket tables depend on it). */
export function machine(): { hostname: string; byteOrder: 'LE' | 'BE' } {
  return { hostname: os.hostname(), byteOrder: os.endianness() };
}
