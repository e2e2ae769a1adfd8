// Fan-out of container events to every open GetContainerEvents stream.
import type { ContainerEventResponse } from "../gen/runtime/v1/api_pb.ts";

interface Subscriber {
  queue: ContainerEventResponse[];
  wake?: () => void;
  closed: boolean;
}

/** Delivers emitted events to every subscriber; `close()` ends all their streams. */
export class EventHub {
  private readonly subscribers = new Set<Subscriber>();
  private closed = false;

  /** How many streams are subscribed right now (tests wait on this before emitting). */
  get size(): number {
    return this.subscribers.size;
  }

  /** Queue an event for every current subscriber. */
  emit(event: ContainerEventResponse): void {
    for (const sub of this.subscribers) {
      sub.queue.push(event);
      sub.wake?.();
    }
  }

  /** Events from now on, until the signal aborts or the hub closes. */
  async *subscribe(signal: AbortSignal): AsyncGenerator<ContainerEventResponse> {
    if (this.closed || signal.aborted) return;
    const sub: Subscriber = { queue: [], closed: false };
    const end = () => {
      sub.closed = true;
      sub.wake?.();
    };
    signal.addEventListener("abort", end);
    this.subscribers.add(sub);
    try {
      for (;;) {
        while (sub.queue.length > 0) yield sub.queue.shift()!;
        if (sub.closed) return;
        await new Promise<void>((resolve) => (sub.wake = resolve));
        sub.wake = undefined;
      }
    } finally {
      this.subscribers.delete(sub);
      signal.removeEventListener("abort", end);
    }
  }

  /** End every stream and refuse new ones. */
  close(): void {
    this.closed = true;
    for (const sub of this.subscribers) {
      sub.closed = true;
      sub.wake?.();
    }
  }
}
