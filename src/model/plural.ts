/** "1 rule", "2 rules", "1 entry", "3 entries": the one way counts are worded. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
