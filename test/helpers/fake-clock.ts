import { THROTTLE_WINDOW_MS } from '../../src/domain/auth-throttle.js';
import type { Clock } from '../../src/domain/clock.js';

/** A clock that moves only when the test says so. */
export class FakeClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}

/**
 * A clock `secondsIn` seconds into a failure-throttle window (windows are aligned to the epoch), so
 * that a test's failures all fall in one window: `start` is rounded up to the next window first.
 */
export function windowClock(secondsIn = 5, start?: number): FakeClock {
  const clock = new FakeClock(start);
  const windowStart = Math.ceil(clock.now() / THROTTLE_WINDOW_MS) * THROTTLE_WINDOW_MS;
  clock.advance(windowStart - clock.now() + secondsIn * 1000);
  return clock;
}
