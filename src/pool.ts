// The thread pool: threads - 1 workers running the engine's threads build over its shared memory,
// plus the calling thread. Calls queue and run one at a time; each is spread over every thread.
//
// Coordination is through a small control block (worker.ts) with Atomics: the pool writes the
// job, bumps SEQ and notifies; every thread, the calling one included, claims chunks of work items
// with compare-and-swap on NEXT and counts them in DONE (pairs of items while many are left, then
// single ones: leadChunks in split.ts). The calling thread then waits for the
// chunks still running elsewhere: it polls for up to 2 ms (about one large chunk), then sleeps in
// Atomics.wait where the thread may block (Node), else waits asynchronously (Atomics.waitAsync).
// Work items write disjoint parts of the output, so no other locking is needed.
import { BLOCK_BYTES, Engine, ThreadedCall } from './engine.js';
import { Thread, spawnThread } from './spawn.js';
import { leadChunks } from './split.js';
import { C, CONTROL_SLOTS, MAX_FLAGS, NOT_READY, WorkerReply, chunkStart } from './worker.js';

/**
 * Busy-poll iterations a worker spends on SEQ after a job before sleeping in Atomics.wait
 * (~3 ms on the development machine). A worker that slept must be woken by the OS, and in a
 * virtual machine its idle CPU first scheduled again by the host: measured in A/B rounds on
 * back-to-back 2-thread calls, ~3 ms of polling gave 3-8% faster calls than ~0.2 ms or ~0.9 ms.
 */
const WORKER_SPIN = 400_000;
/**
 * How long the calling thread polls for the other threads' last chunks before sleeping: about
 * one chunk (the largest bench items take ~1.5 ms). Waking from Atomics.wait has the same cost
 * as for a worker; in 12 of 12 A/B comparisons (4 layers, 3 runs) 2 ms of polling gave 2-7%
 * lower median 2-thread times than 0.05 ms.
 */
let pollMs = 2;
/** How long it may then block in Atomics.wait (where allowed) before waiting asynchronously. */
let blockMs = 50;

/** Test hook: sets how long the calling thread polls and then blocks (see above); returns the old values. */
export function setWaitTimes(poll: number, block: number): [number, number] {
  const old: [number, number] = [pollMs, blockMs];
  [pollMs, blockMs] = [poll, block];
  return old;
}
/** How long workers may take to start. */
const START_MS = 20000;

type WaitAsync = (a: Int32Array, i: number, v: number, t?: number) => { async: boolean; value: Promise<unknown> | string };

const pools = new WeakMap<Engine, Pool>();

let stepDelay = 0;

/**
 * Test hook: the calling thread waits `ms` after each input step, so that workers run items while
 * later input rows are not in yet (an item that read rows it does not wait for then fails).
 */
export function setInputStepDelay(ms: number): number {
  const old = stepDelay;
  stepDelay = ms;
  return old;
}

let blocking: boolean | undefined;

/** Whether Atomics.wait may block this thread (browsers forbid it on their main thread). */
function canBlock(): boolean {
  if (blocking === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blocking = true;
    } catch {
      blocking = false;
    }
  }
  return blocking;
}

/** The running pool of an engine, or null (one thread, or disposed). */
export function poolOf(engine: Engine): Pool | null {
  return pools.get(engine) ?? null;
}

export class Pool {
  readonly engine: Engine;
  private readonly workers: Thread[];
  private readonly ctl: Int32Array;
  private readonly runs: string[];
  private tag = 0;
  private busy = false;
  private closed = false;
  private readonly queue: (() => void)[] = [];
  private idle: (() => void) | null = null;
  private drained: Promise<void> | null = null;
  private broken: string | null = null;
  private workerError: string | null = null;

  private constructor(engine: Engine, workers: Thread[], control: SharedArrayBuffer) {
    this.engine = engine;
    this.workers = workers;
    this.ctl = new Int32Array(control);
    this.runs = runExports(engine.module);
  }

  /** Starts threads - 1 workers on the engine's shared memory; resolves once all are ready. */
  static async start(engine: Engine, threads: number): Promise<Pool> {
    if (!engine.shared) throw new Error('a thread pool needs an engine on shared memory (the threads build)');
    const control = new SharedArrayBuffer(CONTROL_SLOTS * 4);
    const ctl = new Int32Array(control);
    Atomics.store(ctl, C.NEXT, NOT_READY);
    Atomics.store(ctl, C.SPIN, WORKER_SPIN);
    const workers: Thread[] = [];
    const pool = new Pool(engine, workers, control);
    try {
      const ready: Promise<void>[] = [];
      for (let index = 1; index < threads; index++) {
        const w = await spawnThread();
        workers.push(w);
        w.keepAlive(true);
        ready.push(new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`worker ${index} did not start within ${START_MS / 1000} s`)), START_MS);
          w.onReply((r: WorkerReply) => {
            if (r.type === 'ready') { clearTimeout(timer); resolve(); }
            else if (r.type === 'error') { clearTimeout(timer); reject(new Error(r.message)); pool.onWorkerError(r.message); }
          });
        }));
        w.post({ module: engine.module, memory: engine.memory, control, index, blockBytes: BLOCK_BYTES });
      }
      await Promise.all(ready);
    } catch (e) {
      pool.stop();
      throw e;
    }
    workers.forEach((w) => w.keepAlive(false));
    pools.set(engine, pool);
    return pool;
  }

  /** Threads a call is spread over: the calling thread and the workers. */
  get threads(): number {
    return this.workers.length + 1;
  }

  private onWorkerError(message: string): void {
    if (this.closed) return;
    if (this.busy && !this.workerError) this.workerError = message;
    // A worker that is gone cannot finish chunks it claimed: fail the waiting call, refuse later ones.
    if (/exited|failed/.test(message)) this.broken ??= message;
  }

  /** Why the pool cannot run calls (a worker died), or null. */
  get failure(): string | null {
    return this.broken;
  }

  /** Whether calls are waiting or running (a new call then copies its arguments). */
  get pending(): boolean {
    return this.busy;
  }

  /**
   * Runs `task` when the calls before it have finished (at once, synchronously up to its first
   * await, if none is running). Tasks run one at a time; each spreads its work with dispatch().
   */
  schedule<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the thread pool was disposed'));
    return new Promise<T>((resolve, reject) => {
      const go = () => {
        let p: Promise<T>;
        try {
          p = task();
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(resolve, reject).finally(() => this.next());
      };
      if (this.busy) {
        this.queue.push(go);
      } else {
        this.busy = true;
        go();
      }
    });
  }

  private next(): void {
    const go = this.queue.shift();
    if (go) {
      go();
      return;
    }
    this.busy = false;
    this.idle?.();
    this.idle = null;
    this.drained = null;
  }

  /** Runs the items of a laid-out call on every thread; resolves when all are done. */
  async dispatch(call: ThreadedCall): Promise<void> {
    if (this.broken) throw new Error(`the thread pool is broken: ${this.broken}`);
    const fn = this.runs.indexOf(`${call.path}Run`);
    if (fn < 0) throw new Error(`the kernel has no ${call.path}Run export`);
    if (call.items <= 0) return;
    const ctl = this.ctl;
    const chunk = Math.ceil(call.items / (NOT_READY - 1));
    const { lead, leads } = leadChunks(call.items, this.threads, chunk);
    const chunks = leads + Math.ceil((call.items - leads * lead) / chunk);
    const start = (k: number) => chunkStart(k, lead, leads, chunk, call.items);
    this.tag = (this.tag + 1) & 0x7fff;
    const tag = this.tag << 16;
    this.workerError = null;
    Atomics.store(ctl, C.NEXT, tag | NOT_READY);
    Atomics.store(ctl, C.FN, fn);
    Atomics.store(ctl, C.PARAMS, call.params | 0);
    Atomics.store(ctl, C.CHUNKS, chunks);
    Atomics.store(ctl, C.CHUNK, chunk);
    Atomics.store(ctl, C.LEAD, lead);
    Atomics.store(ctl, C.LEADS, leads);
    Atomics.store(ctl, C.ITEMS, call.items);
    Atomics.store(ctl, C.DONE, 0);
    Atomics.store(ctl, C.ERROR, 0);
    Atomics.store(ctl, C.READY, 0);
    Atomics.store(ctl, C.STEPS, call.inputSteps);
    const flagged = Math.min(chunks, MAX_FLAGS);
    for (let k = 0; k < flagged; k++) {
      Atomics.store(ctl, C.FLAGS + k, 0);
      let need = 0;
      for (let i = start(k); i < start(k + 1); i++) need = Math.max(need, call.need(i));
      Atomics.store(ctl, C.NEED + k, need);
    }
    Atomics.store(ctl, C.NEXT, tag);
    Atomics.add(ctl, C.SEQ, 1);
    Atomics.notify(ctl, C.SEQ);

    // The input, step by step: the workers start on the items whose rows are in.
    let mine: unknown = null;
    try {
      for (let step = 0; step < call.inputSteps; step++) {
        call.copyInput(step);
        Atomics.store(ctl, C.READY, step + 1);
        if (stepDelay) for (const t = performance.now(); performance.now() - t < stepDelay;);
      }
    } catch (e) {
      mine = e;
    } finally {
      Atomics.store(ctl, C.READY, call.inputSteps); // never leave a worker waiting
    }
    call.allocOutput();
    // The calling thread's share, with parameter block 0. Between its chunks it copies out what
    // every thread has finished so far (the chunks before the first unfinished one).
    let finished = 0;
    const copyFinished = (all: boolean) => {
      const before = finished;
      while (finished < flagged && Atomics.load(ctl, C.FLAGS + finished)) finished++;
      try {
        if (finished > before || all) call.copyDone(start(finished), all);
      } catch (e) {
        mine = e; // and still wait below: the workers use the call's buffers until they are done
      }
    };
    for (;;) {
      const v = Atomics.load(ctl, C.NEXT);
      const k = v & 0xffff;
      if ((v & ~0xffff) !== tag || k >= chunks) break;
      if (Atomics.compareExchange(ctl, C.NEXT, v, v + 1) !== v) continue;
      try {
        this.engine.run(call.path, call.params, start(k), start(k + 1));
      } catch (e) {
        mine ??= e;
      }
      if (k < MAX_FLAGS) Atomics.store(ctl, C.FLAGS + k, 1);
      Atomics.add(ctl, C.DONE, 1);
      if (!mine) copyFinished(false);
    }
    // No items left to claim: before waiting for the other threads' last ones, copy out all that
    // is finished, short runs too, so that only their last items' output is left for finish().
    if (!mine) copyFinished(true);

    await this.waitDone(chunks);
    if (mine) throw mine;
    if (Atomics.load(ctl, C.ERROR)) throw new Error(`a worker thread failed: ${await this.errorText()}`);
  }

  private async waitDone(chunks: number): Promise<void> {
    const ctl = this.ctl;
    const t0 = performance.now();
    while (Atomics.load(ctl, C.DONE) < chunks) {
      if (performance.now() - t0 > pollMs) break;
    }
    if (Atomics.load(ctl, C.DONE) >= chunks) return;
    Atomics.store(ctl, C.WAITING, 1);
    let held = false;
    try {
      // Where this thread may block (Node's main thread; not a browser's), sleep until the workers
      // notify, leaving them the CPU; for long waits, and elsewhere, wait without blocking.
      const until = performance.now() + blockMs;
      while (canBlock() && performance.now() < until) {
        const done = Atomics.load(ctl, C.DONE);
        if (done >= chunks) return;
        if (this.broken) throw new Error(`the thread pool is broken: ${this.broken}`);
        Atomics.wait(ctl, C.DONE, done, 5);
      }
      // Only here does a call leave the event loop with nothing of its own to wait for (a pending
      // Atomics.waitAsync does not keep Node alive): the workers hold it open meanwhile. Idle
      // workers, and those of a call running synchronously, do not (ref/unref cost 2-10 µs a call).
      this.workers.forEach((w) => w.keepAlive(true));
      held = true;
      const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
      for (;;) {
        const done = Atomics.load(ctl, C.DONE);
        if (done >= chunks) return;
        if (this.broken) throw new Error(`the thread pool is broken: ${this.broken}`);
        const r = waitAsync?.(ctl, C.DONE, done, 50);
        if (r?.async) await r.value;
        else if (!r) await new Promise((resolve) => setTimeout(resolve, 1));
      }
    } finally {
      Atomics.store(ctl, C.WAITING, 0);
      if (held) this.workers.forEach((w) => w.keepAlive(false));
    }
  }

  /** The message the failing worker posts (it arrives a little after its ERROR flag). */
  private async errorText(): Promise<string> {
    for (let i = 0; i < 200 && !this.workerError; i++) await new Promise((r) => setTimeout(r, 5));
    return this.workerError ?? 'no message';
  }

  /** Waits for queued calls, then ends the workers (a Node process can then exit). */
  async dispose(): Promise<void> {
    if (this.closed) return;
    if (this.busy) {
      this.drained ??= new Promise<void>((resolve) => { this.idle = resolve; });
      await this.drained;
    }
    if (!this.closed) this.stop();
  }

  private stop(): void {
    this.closed = true;
    if (pools.get(this.engine) === this) pools.delete(this.engine);
    Atomics.store(this.ctl, C.STOP, 1);
    Atomics.add(this.ctl, C.SEQ, 1);
    Atomics.notify(this.ctl, C.SEQ);
    this.workers.forEach((w) => w.terminate());
  }
}

/** The module's `${path}Run` exports in sorted order: workers index the same list. */
function runExports(module: WebAssembly.Module): string[] {
  return WebAssembly.Module.exports(module)
    .filter((e) => e.kind === 'function' && e.name.endsWith('Run'))
    .map((e) => e.name).sort();
}
