// Instance and event ids that no other process of this server ever handed out. Kong keeps an
// instance id until it hears "no plugin instance", and may send a Step for an event of a server
// that died to its successor on the same socket: with ids counting from 0 in every process, that
// Step would reach another request's event, and a cached id another configuration's instance.
// Each process counts from the moment it starts serving (its start; for a supervisor's standby, its
// take-over) in units of ms × 1000: a later process starts above everything an earlier one could
// reach unless that one handed out a thousand ids per millisecond of its life. The values stay below
// 2^53 (exact in JavaScript and in Kong's Lua numbers) until the year 2255.

export function firstIdOfThisProcess(now = Date.now()): number {
  return now * 1000;
}
