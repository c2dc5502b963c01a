// Preloaded (`node --expose-gc -r <this file> <server bin> …`) into a plugin server under a memory
// test, whichever server it is: on SIGUSR2 it forces a full GC and reports memory on stderr as
// `okta-jwt-gc rss=<bytes> heapUsed=<bytes>`. Nothing in the servers themselves changes.
export {};
const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('gc-on-signal needs node --expose-gc');

process.on('SIGUSR2', () => {
  collect();
  const { rss, heapUsed } = process.memoryUsage();
  process.stderr.write(`okta-jwt-gc rss=${rss} heapUsed=${heapUsed}\n`);
});
