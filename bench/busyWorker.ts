// The worker side of busy.ts: its own one-thread engine and the layer, run back to back for as
// long as the deadline the main thread keeps moving says.
import { workerData } from 'node:worker_threads';
import { initOurs, makeOursRunners } from './ours.js';
import type { BenchShape, ShapeData } from './shapes.js';

interface Setup { shape: BenchShape; data: ShapeData; variant: string | undefined; control: SharedArrayBuffer }

const { shape, data, variant, control } = workerData as Setup;
// Slots: 0 the deadline (Date.now() ms, -1 to end), 1 ready flag.
const ctl = new Float64Array(control);
const wake = new Int32Array(control, 16, 1);
await initOurs({ variant });
const forward = makeOursRunners(shape, data).module;
forward();
ctl[1] = 1;
for (;;) {
  const until = ctl[0];
  if (until < 0) break;
  if (Date.now() < until) {
    forward();
    continue;
  }
  Atomics.wait(wake, 0, Atomics.load(wake, 0), 5); // idle: off the core until the main thread calls
}
