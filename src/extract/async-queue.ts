/**
 * A bounded queue between concurrent producers and one consumer: `push` waits while the queue
 * holds `capacity` items, so producers never run ahead of the writer by more than that.
 */
export class AsyncQueue<T> {
  private readonly items: T[] = [];
  private readonly spaceWaiters: Array<() => void> = [];
  private itemWaiter?: () => void;
  private closed = false;
  private failure: unknown;
  private failed = false;

  constructor(private readonly capacity: number) {}

  async push(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.closed) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    if (this.closed) return;
    this.items.push(item);
    this.wakeConsumer();
  }

  /** No more items: the consumer ends after draining. */
  close(): void {
    this.closed = true;
    this.wakeConsumer();
    this.wakeProducers();
  }

  /** Fail the consumer with `err` (after nothing more); producers are released. */
  fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.failure = err;
    this.items.length = 0;
    this.close();
  }

  private wakeConsumer(): void {
    const w = this.itemWaiter;
    this.itemWaiter = undefined;
    w?.();
  }

  private wakeProducers(): void {
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.failed) throw this.failure;
      if (this.items.length) {
        const item = this.items.shift()!;
        const w = this.spaceWaiters.shift();
        w?.();
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.itemWaiter = resolve));
    }
  }
}
