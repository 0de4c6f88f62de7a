/** The known name closest to a typo (edit distance at most 3, or a shared prefix), for "did you mean". */
import { at } from './indexing.js';
export function closest(typo: string, known: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d =
      name.startsWith(typo) || typo.startsWith(name) ? Math.abs(name.length - typo.length) / 10 : distance(typo, name);
    if (d <= 3 && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(at(prev, j) + 1, at(cur, j - 1) + 1, at(prev, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return at(prev, b.length);
}
