/** Characters of base64, base64url and hex: what secrets, digests, key parts and signatures are made of. */
const RUN = /[A-Za-z0-9+/=_-]+/g;

/**
 * Strings that must never show up, found in any text in time proportional to the text (not to how
 * many strings are watched): every window of each watched length over each run of base64-ish
 * characters is looked up. Permanent entries stay; the others are the most recent `limit`, so that
 * an hour of fuzzing watches a bounded set.
 */
export class Watchlist {
  private readonly byLength = new Map<number, Map<string, number>>();
  private readonly recent: string[] = [];
  private permanentCount = 0;

  constructor(private readonly limit: number) {}

  /** Watches `value` (at least 16 characters of base64, base64url or hex). */
  add(value: string, permanent = false): void {
    if (value.length < 16 || !/^[A-Za-z0-9+/=_-]+$/.test(value)) {
      throw new Error(`a watched string must be 16 or more base64 characters: '${value.slice(0, 8)}…'`);
    }
    const entries = this.byLength.get(value.length) ?? new Map<string, number>();
    this.byLength.set(value.length, entries);
    const count = entries.get(value) ?? 0;
    entries.set(value, count + 1);
    if (permanent) {
      this.permanentCount++;
      return;
    }
    this.recent.push(value);
    if (this.recent.length > this.limit) this.forget(this.recent.shift() as string);
  }

  private forget(value: string): void {
    const entries = this.byLength.get(value.length);
    const count = entries?.get(value) ?? 0;
    if (count <= 1) entries?.delete(value);
    else entries?.set(value, count - 1);
  }

  /** A watched string that `text` contains, if any. */
  findIn(text: string): string | undefined {
    for (const match of text.matchAll(RUN)) {
      const run = match[0];
      for (const [length, entries] of this.byLength) {
        if (length > run.length || entries.size === 0) continue;
        for (let i = 0; i + length <= run.length; i++) {
          const window = run.slice(i, i + length);
          if (entries.has(window)) return window;
        }
      }
    }
    return undefined;
  }

  get size(): number {
    return this.permanentCount + this.recent.length;
  }
}
