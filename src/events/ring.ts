/**
 * A fixed-capacity FIFO. Push and take are O(1) per item with no allocation on push, so the
 * DNS path pays the same for the ten-thousandth queued event as for the first.
 */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  length = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  /** False, and nothing stored, when full. */
  push(item: T): boolean {
    if (this.length === this.capacity) return false;
    let at = this.head + this.length;
    if (at >= this.capacity) at -= this.capacity;
    this.items[at] = item;
    this.length++;
    return true;
  }

  /** Removes and returns up to `n` of the oldest items. */
  take(n: number): T[] {
    const count = Math.min(n, this.length);
    const out = new Array<T>(count);
    for (let i = 0; i < count; i++) {
      out[i] = this.items[this.head] as T;
      this.items[this.head] = undefined; // let the event be collected once sent
      if (++this.head === this.capacity) this.head = 0;
    }
    this.length -= count;
    return out;
  }

  clear(): number {
    const n = this.length;
    this.items.fill(undefined);
    this.head = 0;
    this.length = 0;
    return n;
  }
}
