// What a worker thread runs, and the control block it shares with the pool (pool.ts).
//
// A worker instantiates the threads build over the pool's shared WebAssembly.Memory, then loops:
// it sleeps in Atomics.wait until the pool announces a job, and claims chunks of the job's work
// items with compare-and-swap until none are left, like the calling thread does. The worker code
// is one self-contained function turned into source text (workerSource), so the package ships no
// separate worker file: Node evaluates the text in a worker_threads Worker, browsers, Deno and Bun
// load it as a module Web Worker from a Blob URL.

/** Chunks that have a finished flag and a NEED slot; later chunks of a bigger job have neither. */
export const MAX_FLAGS = 1024;

/** Int32 slots of the control block (a SharedArrayBuffer of CONTROL_SLOTS * 4 bytes). */
export const C = {
  /** Bumped by the pool when it announces a job; workers Atomics.wait on it. */
  SEQ: 0,
  /** (job tag << 16) | next chunk to claim; chunk NOT_READY while the job is being written. */
  NEXT: 1,
  /** Chunks of the current job finished (by any thread). */
  DONE: 2,
  /** Non-zero: workers leave their loop. */
  STOP: 3,
  /** The job: index of its Run export (sorted names), first parameter block, chunk and item counts. */
  FN: 4, PARAMS: 5, CHUNKS: 6, CHUNK: 7, ITEMS: 8,
  /** Thread index + 1 of the first thread whose kernel call threw in this job, else 0. */
  ERROR: 9,
  /** Non-zero while the pool waits asynchronously: workers then Atomics.notify DONE. */
  WAITING: 10,
  /** Busy-poll iterations a worker spends on SEQ before sleeping (cheap back-to-back jobs). */
  SPIN: 11,
  /** Input steps of the job copied so far, and all of them (see NEED). */
  READY: 12, STEPS: 13,
  /** The first LEADS chunks have LEAD items each, later ones CHUNK (see chunkStart). */
  LEAD: 14, LEADS: 15,
  /**
   * First of MAX_FLAGS slots, one per chunk: set to 1 when the chunk is finished (the pool clears
   * them per job), so the calling thread can copy out finished parts while the rest computes.
   */
  FLAGS: 16,
  /**
   * First of MAX_FLAGS slots, one per chunk: the input steps (READY) the chunk needs before it may
   * run; later chunks need STEPS. The calling thread copies the input while workers start.
   */
  NEED: 16 + MAX_FLAGS,
} as const;
export const CONTROL_SLOTS = C.NEED + MAX_FLAGS;
/** Chunk index meaning "job not published yet"; jobs have fewer chunks than this. */
export const NOT_READY = 0xffff;

/**
 * First item of chunk k (of `items`; past the last chunk, `items`): the first `leads` chunks have
 * `lead` items each, later ones `chunk`. So chunk k runs items [chunkStart(k), chunkStart(k + 1)).
 */
export function chunkStart(k: number, lead: number, leads: number, chunk: number, items: number): number {
  return Math.min(items, k <= leads ? k * lead : leads * lead + (k - leads) * chunk);
}

/** What the pool posts to a worker once, after which the worker only reads the control block. */
export interface WorkerSetup {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** 1 .. threads - 1 (the calling thread is 0): selects the worker's parameter block. */
  index: number;
  blockBytes: number;
}

/** Messages from a worker. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'error'; message: string }
  | { type: 'stopped' };

interface Host {
  post(message: WorkerReply): void;
  listen(handler: (message: WorkerSetup) => void): void;
}

/**
 * The worker's whole program. It must stay self-contained (no imports, no outer names), because it
 * runs from its source text; the control slots arrive as the argument `c`.
 */
export function workerMain(host: Host, c: typeof C, notReady: number, maxFlags: number): void {
  host.listen((setup) => {
    let exports: Record<string, unknown>;
    try {
      exports = new WebAssembly.Instance(setup.module, { env: { memory: setup.memory } }).exports;
    } catch (e) {
      host.post({ type: 'error', message: `worker ${setup.index} could not instantiate the kernel: ${String(e)}` });
      return;
    }
    const runs = Object.keys(exports)
      .filter((k) => typeof exports[k] === 'function' && k.endsWith('Run')).sort()
      .map((k) => exports[k] as (p: number, begin: number, end: number) => void);
    const ctl = new Int32Array(setup.control);
    const index = setup.index;
    host.post({ type: 'ready' });
    let seen = 0;
    for (;;) {
      let seq = Atomics.load(ctl, c.SEQ);
      for (let i = Atomics.load(ctl, c.SPIN); seq === seen && i > 0; i--) seq = Atomics.load(ctl, c.SEQ);
      if (seq === seen) {
        Atomics.wait(ctl, c.SEQ, seen);
        seq = Atomics.load(ctl, c.SEQ);
      }
      if (Atomics.load(ctl, c.STOP)) break;
      seen = seq;
      const first = Atomics.load(ctl, c.NEXT);
      if ((first & 0xffff) === notReady) continue;
      const tag = first >>> 16;
      const run = runs[Atomics.load(ctl, c.FN)];
      const p = (Atomics.load(ctl, c.PARAMS) >>> 0) + index * setup.blockBytes;
      const chunks = Atomics.load(ctl, c.CHUNKS), chunk = Atomics.load(ctl, c.CHUNK);
      const items = Atomics.load(ctl, c.ITEMS);
      const lead = Atomics.load(ctl, c.LEAD), leads = Atomics.load(ctl, c.LEADS);
      // as chunkStart (this function may not call out)
      const start = (k: number) => Math.min(items, k <= leads ? k * lead : leads * lead + (k - leads) * chunk);
      for (;;) {
        const v = Atomics.load(ctl, c.NEXT);
        const k = v & 0xffff;
        if (v >>> 16 !== tag || k >= chunks) break;
        if (Atomics.compareExchange(ctl, c.NEXT, v, v + 1) !== v) continue;
        const need = k < maxFlags ? Atomics.load(ctl, c.NEED + k) : Atomics.load(ctl, c.STEPS);
        while (Atomics.load(ctl, c.READY) < need); // the calling thread is copying: a short wait
        try {
          run(p, start(k), start(k + 1));
        } catch (e) {
          if (Atomics.compareExchange(ctl, c.ERROR, 0, index + 1) === 0) {
            host.post({ type: 'error', message: `worker ${index}: ${String(e)}` });
          }
        }
        if (k < maxFlags) Atomics.store(ctl, c.FLAGS + k, 1);
        Atomics.add(ctl, c.DONE, 1);
        if (Atomics.load(ctl, c.WAITING)) Atomics.notify(ctl, c.DONE);
      }
    }
    host.post({ type: 'stopped' });
  });
}

const call = () => `(${workerMain.toString()})(host, ${JSON.stringify(C)}, ${NOT_READY}, ${MAX_FLAGS});`;

/** The worker program as a CommonJS script for Node's worker_threads (eval: true). */
export function nodeWorkerSource(): string {
  return `const { parentPort } = require('node:worker_threads');
const host = { post: (m) => parentPort.postMessage(m), listen: (h) => parentPort.once('message', h) };
${call()}`;
}

/** The worker program as a module Web Worker script (browsers, Deno, Bun). */
export function webWorkerSource(): string {
  return `const host = { post: (m) => self.postMessage(m), listen: (h) => self.addEventListener('message', (e) => h(e.data), { once: true }) };
${call()}`;
}
