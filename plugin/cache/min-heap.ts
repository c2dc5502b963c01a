// A binary min-heap ordered by a numeric score: the replay cache pops proofs in the order they
// expire, whatever order they arrived in (a proof's iat is the client's, not the arrival time).
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly score: (item: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    let i = items.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.score(items[parent]) <= this.score(item)) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const child = left + 1 < items.length && this.score(items[left + 1]) < this.score(items[left]) ? left + 1 : left;
      if (this.score(items[child]) >= this.score(last)) break;
      items[i] = items[child];
      i = child;
    }
    items[i] = last;
    return top;
  }
}
