// A size-bounded least-recently-used map. Inserting into a full map evicts the least recently
// used entry; it never throws. (node-cache's `maxKeys` throws ECACHEFULL instead of evicting.)
export class BoundedLru<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly maxEntries = Infinity) {}

  get size(): number {
    return this.entries.size;
  }

  /** The most recently used key: moving it to the end again would change nothing. */
  private newest: K | undefined;

  /** Returns the value and marks it most recently used. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined && key !== this.newest) {
      this.entries.delete(key);
      this.entries.set(key, value);
      this.newest = key;
    }
    return value;
  }

  set(key: K, value: V): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      // Map iteration order is insertion order, and get() re-inserts: the first key is the LRU one.
      this.entries.delete(this.entries.keys().next().value as K);
    }
    this.entries.set(key, value);
    this.newest = key;
  }

  delete(key: K): void {
    this.entries.delete(key);
    if (key === this.newest) this.newest = undefined;
  }

  clear(): void {
    this.entries.clear();
    this.newest = undefined;
  }
}
