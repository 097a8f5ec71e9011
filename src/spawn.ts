// Starting one worker thread on whatever the runtime offers: a module Web Worker from a Blob URL
// (browsers, Deno, Bun), or a worker_threads Worker evaluating the source text (Node, which has
// no Web Worker). Either way no worker file is fetched: the source comes from worker.ts.
import { WorkerReply, WorkerSetup, nodeWorkerSource, webWorkerSource } from './worker.js';

/** The little the pool needs from a worker, on every runtime. */
export interface Thread {
  post(setup: WorkerSetup): void;
  /** Replies, and errors or an exit of the thread (reported as { type: 'error' }). */
  onReply(handler: (reply: WorkerReply) => void): void;
  terminate(): void;
  /** Node: whether the worker keeps the process alive (no-op elsewhere). */
  keepAlive(on: boolean): void;
}

interface NodeWorker {
  postMessage(value: unknown): void;
  on(event: string, handler: (arg: unknown) => void): void;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
}
interface NodeWorkerThreads { Worker: new (source: string, options: { eval: boolean }) => NodeWorker }

type ProcessLike = { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown };

function nodeProcess(): ProcessLike | null {
  const p = (globalThis as { process?: ProcessLike }).process;
  return p?.versions?.node ? p : null;
}

async function nodeWorkerThreads(): Promise<NodeWorkerThreads> {
  const builtin = nodeProcess()?.getBuiltinModule?.('node:worker_threads');
  if (builtin) return builtin as NodeWorkerThreads;
  const id = 'node:worker_threads'; // not a literal: bundlers for browsers must not resolve it
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ id)) as NodeWorkerThreads;
}

/** Whether this runtime can start worker threads at all (a Web Worker, or Node's worker_threads). */
export function canSpawn(): boolean {
  return typeof Worker === 'function' || nodeProcess() !== null;
}

let blobUrl: string | null = null;

export async function spawnThread(): Promise<Thread> {
  if (typeof Worker === 'function') {
    blobUrl ??= URL.createObjectURL(new Blob([webWorkerSource()], { type: 'text/javascript' }));
    const w = new Worker(blobUrl, { type: 'module', name: 'convtranspose-wasm' });
    return {
      post: (setup) => w.postMessage(setup),
      onReply: (h) => {
        w.addEventListener('message', (e: MessageEvent<WorkerReply>) => h(e.data));
        w.addEventListener('error', (e: ErrorEvent) => {
          e.preventDefault?.();
          h({ type: 'error', message: `worker failed: ${e.message || 'could not start'}` });
        });
        w.addEventListener('messageerror', () => h({ type: 'error', message: 'worker could not receive its setup message' }));
      },
      terminate: () => w.terminate(),
      keepAlive: (on) => {
        // Deno and Bun extend Web Workers with ref()/unref(), like Node.
        const x = w as unknown as { ref?: () => void; unref?: () => void };
        (on ? x.ref : x.unref)?.call(w);
      },
    };
  }
  const { Worker: NodeWorkerClass } = await nodeWorkerThreads();
  const w = new NodeWorkerClass(nodeWorkerSource(), { eval: true });
  return {
    post: (setup) => w.postMessage(setup),
    onReply: (h) => {
      w.on('message', (m) => h(m as WorkerReply));
      w.on('error', (e) => h({ type: 'error', message: `worker failed: ${(e as Error)?.message ?? String(e)}` }));
      w.on('exit', (code) => h({ type: 'error', message: `worker exited with code ${String(code)}` }));
    },
    terminate: () => { void w.terminate(); },
    keepAlive: (on) => (on ? w.ref() : w.unref()),
  };
}
