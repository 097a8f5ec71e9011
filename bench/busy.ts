// How much of a second core our kernel gets on this machine right now: our one-thread call timed
// while a worker (its own one-thread engine) runs the same layer nonstop on the other core. With
// both cores doing the same work, 2 x (the call alone) / (the call with the other core busy) is the
// speedup a perfect 2-thread split could reach (bench/run.ts prints it next to ours).
import { Worker } from 'node:worker_threads';
import type { BenchShape, ShapeData } from './shapes.js';

export interface Busy {
  /** One call of `forward` on this thread, with the worker kept running the layer meanwhile. */
  run(): void;
  stop(): Promise<void>;
}

export async function startBusy(shape: BenchShape, data: ShapeData, variant: string | undefined,
                                forward: () => unknown): Promise<Busy> {
  const control = new SharedArrayBuffer(24);
  const ctl = new Float64Array(control);
  const wake = new Int32Array(control, 16, 1);
  const worker = new Worker(new URL('./busyWorker.js', import.meta.url), { workerData: { shape, data, variant, control } });
  const failed = new Promise<never>((_, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the busy worker exited with ${code}`)));
  });
  let dead = false;
  failed.catch(() => { dead = true; });
  const ready = (async () => {
    while (ctl[1] !== 1 && !dead) await new Promise((resolve) => setTimeout(resolve, 5));
  })();
  await Promise.race([ready, failed]);
  let last = 0;
  return {
    run() {
      // During the call the worker runs nonstop; it goes on 20 ms past the call, so back-to-back
      // calls find it busy and after a round it stops within 20 ms and one layer call (the next
      // engine's warm-up, 80 ms, is untimed).
      const now = Date.now();
      ctl[0] = now + 60_000;
      if (now - last > 10) {
        Atomics.add(wake, 0, 1);
        Atomics.notify(wake, 0);
      }
      try {
        forward();
      } finally {
        last = Date.now();
        ctl[0] = last + 20;
      }
    },
    async stop() {
      ctl[0] = -1;
      Atomics.add(wake, 0, 1);
      Atomics.notify(wake, 0);
      await worker.terminate();
    },
  };
}
