// A value now, or later. The cached bearer path answers without a promise: each await of an
// async stage costs a microtask turn and an allocation per request, a measurable share of the
// plugin's CPU when everything else is a cache hit. Callers branch on `instanceof Promise` and
// continue with a named function, so the path without a promise allocates no closure either.

export type MaybePromise<T> = T | Promise<T>;
