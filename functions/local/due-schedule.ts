/**
 * When each queue next needs its timed work: a min-heap of (time, queue), read by the local
 * runtime's timer (due-tracker.ts) to sleep until the earliest one.
 *
 * Two kinds of entries:
 * - a queue's **timer note**: the earliest due time of a timer (delayed message, lease) this process
 *   knows of. Only the earliest per queue is kept, because running the queue answers the store's
 *   own next timer, which covers every later one; a note may be early (an early run costs two
 *   reads and learns the real time), never needs to be exact.
 * - **kept** times: due times the store's next-timer answer does not show yet (a delayed member
 *   waiting behind its group's head gets its timer only when it becomes the head). They stay until
 *   they pass, whatever runs in between.
 * Stale entries stay in the heap and are skipped when they reach its top (lazy deletion).
 */

interface Entry {
  at: number;
  queue: string;
  /** A timer note: live while it is its queue's current note. */
  note?: { at: number };
  /** A kept time: live while its queue has not been forgotten since. */
  generation?: number;
}

export class DueSchedule {
  private readonly heap: Entry[] = [];
  private readonly notes = new Map<string, { at: number }>();
  private readonly generations = new Map<string, number>();

  /** A timer of `queue` comes due at `at`, or later. */
  note(queue: string, at: number): void {
    const current = this.notes.get(queue);
    if (current && current.at <= at) return;
    const note = { at };
    this.notes.set(queue, note);
    this.push({ at, queue, note });
  }

  /** `queue` must run at `at`, whatever runs before then. */
  keep(queue: string, at: number): void {
    this.push({ at, queue, generation: this.generations.get(queue) ?? 0 });
  }

  /** The queue is gone or emptied (deleted, purged): nothing of it is due any more. */
  forget(queue: string): void {
    this.notes.delete(queue);
    this.generations.set(queue, (this.generations.get(queue) ?? 0) + 1);
  }

  /**
   * A run of `queue` starts: its timer note is answered by the run (which reports the store's next
   * timer). Notes made from now on are of writes the run may not see, and stay.
   */
  begin(queue: string): void {
    this.notes.delete(queue);
  }

  /** The earliest live time, if any. */
  nextAt(): number | undefined {
    this.dropStale();
    return this.heap[0]?.at;
  }

  /** The queues with a live time at or before `now`, each once; their entries are taken. */
  takeDue(now: number): string[] {
    const due = new Set<string>();
    for (this.dropStale(); this.heap.length > 0 && (this.heap[0] as Entry).at <= now; this.dropStale()) {
      due.add(this.pop().queue);
    }
    return [...due];
  }

  /** How many entries the heap holds, stale ones included (for tests and bounds). */
  get size(): number {
    return this.heap.length;
  }

  private isLive(entry: Entry): boolean {
    if (entry.note) return this.notes.get(entry.queue) === entry.note;
    return entry.generation === (this.generations.get(entry.queue) ?? 0);
  }

  private dropStale(): void {
    while (this.heap.length > 0 && !this.isLive(this.heap[0] as Entry)) this.pop();
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as Entry).at <= entry.at) break;
      heap[i] = heap[parent] as Entry;
      heap[parent] = entry;
      i = parent;
    }
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0] as Entry;
    const last = heap.pop() as Entry;
    if (heap.length === 0) return top;
    heap[0] = last;
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && (heap[left] as Entry).at < (heap[smallest] as Entry).at) smallest = left;
      if (right < heap.length && (heap[right] as Entry).at < (heap[smallest] as Entry).at) smallest = right;
      if (smallest === i) break;
      heap[i] = heap[smallest] as Entry;
      heap[smallest] = last;
      i = smallest;
    }
    return top;
  }
}
