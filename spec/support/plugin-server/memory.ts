// Memory of a plugin server started with the GC preload (launch.ts GC_PRELOAD).
import { GC_PRELOAD, type LaunchOptions, type ServerProcess } from './launch';

export interface MemorySample {
  rss: number;
  heapUsed: number;
}

/** Node flags that load the SIGUSR2 → GC hook. */
export const GC_NODE_ARGS: NonNullable<LaunchOptions['nodeArgs']> = ['--expose-gc', '-r', GC_PRELOAD];

/** Forces a full GC in the server (twice, letting finalisers run in between) and reads its memory. */
export async function memoryAfterGc(proc: ServerProcess): Promise<MemorySample> {
  let m: RegExpMatchArray | undefined;
  for (let i = 0; i < 2; i++) {
    const reply = proc.nextStderrMatch(/okta-jwt-gc rss=(\d+) heapUsed=(\d+)/);
    proc.child.kill('SIGUSR2');
    m = await reply;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { rss: Number(m![1]), heapUsed: Number(m![2]) };
}
