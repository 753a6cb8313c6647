import cluster, { type Worker } from 'node:cluster';
import { MAX_TRACKED, type SharedThrottleCounters } from '../domain/auth-throttle.js';
import { LruMap } from '../domain/lru-map.js';

/** A worker waits this long for the primary's counts, then goes on with its own. */
const ANSWER_TIMEOUT_MS = 2_000;
/** No increment of ours names more keys, or longer ones. */
const MAX_KEYS = 8;
const MAX_KEY_LENGTH = 256;

interface Increment {
  readonly leanAuth: 'throttle-increment';
  readonly id: number;
  readonly keys: readonly string[];
  readonly windowMs: number;
}
interface Counts {
  readonly leanAuth: 'throttle-counts';
  readonly id: number;
  readonly counts: readonly number[];
}
interface Block {
  readonly leanAuth: 'throttle-block';
  readonly key: string;
  readonly until: number;
}

const field = (message: unknown, name: string): unknown =>
  typeof message === 'object' && message !== null ? (message as Record<string, unknown>)[name] : undefined;

/**
 * WORKERS=n without Redis, a worker's side: throttling counts kept by the primary, over the cluster's
 * IPC channel, so that n workers count one caller's failures together (as Redis would), and a
 * block one worker reaches is told to all.
 */
export function clusterThrottleCounters(): SharedThrottleCounters & { close(): Promise<void> } {
  const pending = new Map<number, { resolve: (counts: number[]) => void; timer: NodeJS.Timeout }>();
  const listeners: ((key: string, until: number) => void)[] = [];
  let lastId = 0;
  const onMessage = (message: unknown) => {
    const kind = field(message, 'leanAuth');
    if (kind === 'throttle-counts') {
      const { id, counts } = message as Counts;
      const waiting = pending.get(id);
      if (waiting === undefined) return;
      pending.delete(id);
      clearTimeout(waiting.timer);
      waiting.resolve([...counts]);
    } else if (kind === 'throttle-block') {
      const { key, until } = message as Block;
      for (const listener of listeners) listener(key, until);
    }
  };
  process.on('message', onMessage);
  const send = (message: Increment | Block) => {
    if (!process.send || !process.connected)
      throw new Error('no cluster primary to share throttling counts with');
    process.send(message);
  };

  return {
    increment(keys, windowMs) {
      return new Promise((resolve, reject) => {
        const id = ++lastId;
        send({ leanAuth: 'throttle-increment', id, keys, windowMs });
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error('the cluster primary did not answer with throttling counts'));
        }, ANSWER_TIMEOUT_MS);
        timer.unref();
        pending.set(id, { resolve, timer });
      });
    },
    async publishBlock(key, until) {
      send({ leanAuth: 'throttle-block', key, until });
    },
    onBlock(listener) {
      listeners.push(listener);
    },
    async close() {
      process.off('message', onMessage);
      for (const { timer } of pending.values()) clearTimeout(timer);
      pending.clear();
    },
  };
}

/**
 * The primary's side: the counts of all workers by window and key (bounded, least recently used
 * out), and every block a worker reaches passed on to the others. Messages are checked for shape
 * and size; the workers check the blocks themselves.
 */
export class ThrottleCountsHost {
  private readonly counts = new LruMap<string, number>(MAX_TRACKED);

  /** Handles `message` from `worker` if it is about throttling; false if it is not. */
  handle(worker: Worker, message: unknown): boolean {
    const kind = field(message, 'leanAuth');
    if (kind === 'throttle-increment') {
      this.increment(worker, message);
      return true;
    }
    if (kind === 'throttle-block') {
      const { key, until } = message as Block;
      if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH || !Number.isSafeInteger(until)) return true;
      for (const other of Object.values(cluster.workers ?? {})) {
        if (other && other !== worker && other.isConnected())
          other.send({ leanAuth: 'throttle-block', key, until });
      }
      return true;
    }
    return false;
  }

  private increment(worker: Worker, message: unknown): void {
    const { id, keys, windowMs } = message as Increment;
    const wellFormed =
      Number.isSafeInteger(id) &&
      Number.isSafeInteger(windowMs) &&
      windowMs >= 1_000 &&
      Array.isArray(keys) &&
      keys.length <= MAX_KEYS &&
      keys.every((key) => typeof key === 'string' && key.length <= MAX_KEY_LENGTH);
    if (!wellFormed) return;
    const window = Math.floor(Date.now() / windowMs);
    const counts = keys.map((key) => {
      const name = `${window}:${key}`;
      const count = (this.counts.get(name) ?? 0) + 1;
      this.counts.set(name, count);
      return count;
    });
    if (worker.isConnected()) worker.send({ leanAuth: 'throttle-counts', id, counts } satisfies Counts);
  }
}
