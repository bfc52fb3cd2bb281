// A value now, or later. Hot paths answer from a cache without a promise (no allocation, no
// microtask hop) and fall back to one on a miss; callers that `await` take either.
export type MaybePromise<T> = T | Promise<T>;

/** `fn` applied to the value: at once when it is here, when it arrives otherwise. */
export function whenReady<T, U>(value: MaybePromise<T>, fn: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}
