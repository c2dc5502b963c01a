// Instance and event ids that no other process of this server ever handed out. Kong keeps an
// instance id until it hears "no plugin instance", and may send a Step for an event of a server
// that died to its successor on the same socket: with ids counting from 0 in every process, that
// Step would reach another request's event, and a cached id another configuration's instance.
// Each process counts from the moment it starts serving (its start; for a supervisor's standby, its
// take-over) in units of ms × 1000: a later process starts above everything an earlier one could
// reach unless that one handed out a thousand ids per millisecond of its life.
// The moment is read from the kernel's monotonic clock, not the wall clock, which NTP, a resumed VM
// or an operator can step back between two processes (a later one would then count from below ids
// Kong still holds). The monotonic clock never goes back while the kernel runs and is the same for
// every process on the host, containers included; Kong reaches the server over a Unix socket, so it
// runs on that kernel too and forgets every id when the clock restarts (a reboot). Neither a file to
// persist nor randomness is needed. The values stay below 2^53 (exact in JavaScript and in Kong's
// Lua numbers) for 285 years of uptime.

export function firstIdOfThisProcess(): number {
  return Number(process.hrtime.bigint() / 1_000_000n) * 1000;
}
