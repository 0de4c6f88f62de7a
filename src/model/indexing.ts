/**
 * Reading by index under `noUncheckedIndexedAccess`. The compiler types `list[i]` and `match[1]` as possibly
 * undefined; each site decides. Where the code has proven the element exists (a regex group the pattern makes
 * mandatory, a stack that always keeps its bottom frame), these helpers say so once, and a broken proof throws
 * an internal error instead of letting `undefined` flow on as a string or number.
 */

/** A list with at least one element: its first and last reads need no check. */
export type NonEmpty<T> = [T, ...T[]];

/** The last element of a non-empty list (a stack's top frame). */
export function lastOf<T>(list: Readonly<NonEmpty<T>>): T {
  return list[list.length - 1] ?? list[0];
}

/** The element at `i`, which the caller has proven is in range (a loop bound, a length check). */
export function at<T>(list: ArrayLike<T>, i: number): T {
  const value = list[i];
  if (value === undefined) throw new RangeError(`index ${i} outside a list of ${list.length}`);
  return value;
}

/**
 * Capture group `n` of a match whose pattern makes the group mandatory. An optional group (`(…)?`, one side
 * of `|`) must be read as `match[n]` and its absence handled.
 */
export function group(match: RegExpExecArray | RegExpMatchArray, n: number): string {
  const value = match[n];
  if (value === undefined) throw new RangeError(`group ${n} did not take part in the match of ${match[0]}`);
  return value;
}

/** Narrows a list checked to hold something, so its first and last reads need no further check. */
export function isNonEmpty<T>(list: T[]): list is NonEmpty<T> {
  return list.length > 0;
}

/** Adds to a counter in a fixed-size table (a slot per TCP state, per port); an unset slot counts as 0. */
export function bump(counts: Uint32Array | number[], i: number, by = 1): void {
  counts[i] = (counts[i] ?? 0) + by;
}

/**
 * Code-unit order, for sorting ids, names and rule ids. localeCompare would load ICU's collation data: 9 MiB
 * more resident memory in the agent, which sorts every tick; the ids sorted here are ASCII.
 */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
