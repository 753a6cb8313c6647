/**
 * A value now, or a promise of it: what the in-memory caches answer. A warm cache answers at once,
 * so the token path runs to the signature without a promise, a microtask or an async frame per
 * step; a cold one reads the store and answers later.
 */
export type Eventually<T> = T | Promise<T>;

/** `next` applied to the value: at once when it is here, once it arrives when it is a promise. */
export function andThen<T, U>(value: Eventually<T>, next: (value: T) => Eventually<U>): Eventually<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
