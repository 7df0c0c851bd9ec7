/**
 * What an {@link IndexedHeap} orders. The two fields are the heap's bookkeeping, kept on the item
 * so that adding, re-keying and removing allocate nothing; only the heap writes them.
 */
export interface HeapItem {
  /** Position in the heap, or -1 when not in it. */
  heapIndex: number;
  /** The ordering key (a time on the system clock): the smallest is at the head. */
  heapKey: number;
}

/**
 * A binary min-heap by `heapKey` that knows where each item is, so an item can be removed or
 * re-keyed in O(log n). The one heap behind the system's two timers: the keep-alive scheduler and
 * the deadlines (lifetimes, close timeouts), each of which keeps one clock timer armed for its head.
 */
export class IndexedHeap<T extends HeapItem> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The item with the smallest key, if any. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.up(item.heapIndex);
  }

  /** Removes `item` if it is in the heap; true when it was. */
  remove(item: T): boolean {
    const i = item.heapIndex;
    if (i === -1 || this.items[i] !== item) return false;
    item.heapIndex = -1;
    const last = this.items.pop() as T;
    if (i < this.items.length) {
      this.items[i] = last;
      last.heapIndex = i;
      this.down(i);
      this.up(last.heapIndex);
    }
    return true;
  }

  /** Removes and returns the head. */
  pop(): T | undefined {
    const head = this.items[0];
    if (head) this.remove(head);
    return head;
  }

  /** Call after changing the head's key (the common case in a timer: it moves later). */
  headKeyChanged(): void {
    if (this.items.length > 0) this.down(0);
  }

  /** Forgets every item (each is marked as out of the heap). */
  clear(): void {
    for (const item of this.items) item.heapIndex = -1;
    this.items = [];
  }

  private up(i: number): void {
    const items = this.items;
    const item = items[i] as T;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (p.heapKey <= item.heapKey) break;
      items[i] = p;
      p.heapIndex = i;
      i = parent;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i] as T;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (items[r] as T).heapKey < (items[l] as T).heapKey ? r : l;
      const child = items[c] as T;
      if (child.heapKey >= item.heapKey) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
