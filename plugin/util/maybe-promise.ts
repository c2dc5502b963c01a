// A value now, or later. The cached bearer path answers without a promise: each await of an
// async stage costs a microtask turn and an allocation per request, a measurable share of the
// plugin's CPU when everything else is a cache hit.

export type MaybePromise<T> = T | Promise<T>;

/** `next(value)`, now when `value` is here, else once it settles. */
export function then<T, U>(value: MaybePromise<T>, next: (resolved: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
