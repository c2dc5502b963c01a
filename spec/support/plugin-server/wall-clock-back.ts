// Preloaded (`node -r <this file> <server bin> …`) into a plugin server to play a wall clock that was
// stepped back since the previous server ran (NTP correcting a fast clock, a VM resumed from a
// snapshot, an operator): Date.now() reads an hour earlier than the system clock. Nothing in the
// server itself changes; the kernel's monotonic clock is untouched, as it is when the wall clock steps.
export {};
const HOUR_MS = 3_600_000;
const systemNow = Date.now.bind(Date);
Date.now = () => systemNow() - HOUR_MS;
