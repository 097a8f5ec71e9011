// convtranspose-wasm: PyTorch's ConvTranspose2d computed by a SIMD WebAssembly kernel.
import { Engine, Variant } from './engine.js';
import { threadsUnavailable } from './features.js';
import { VARIANTS, bestVariant, loadEngine } from './loader.js';
import { Pool } from './pool.js';
import { canSpawn } from './spawn.js';
import { ConvTranspose2dOptions } from './shape.js';
import { currentEngine, setEngine } from './state.js';
import { Tensor, TensorLike, resultTensor } from './tensor.js';
import { callAsync } from './threaded.js';
import { checkedCall } from './validate.js';

export { Tensor } from './tensor.js';
export type { TensorLike } from './tensor.js';
export type { Pair, ConvTranspose2dOptions } from './shape.js';
export { convTranspose2dOutputShape } from './shape.js';
export { convTranspose2dReference } from './reference.js';
export { ConvTranspose2d } from './module.js';
export type { ConvTranspose2dModuleOptions } from './module.js';
export type { Variant } from './engine.js';
export { detectFeatures } from './features.js';
export { supportedVariants } from './loader.js';

export interface InitOptions {
  /**
   * Threads that convTranspose2dAsync and forwardAsync spread a call over: the calling thread
   * plus threads - 1 workers on one shared WebAssembly memory. 'auto': one per core. Default 1.
   */
  threads?: number | 'auto';
  /** Force a build instead of the best supported one (tests, benchmarks). */
  variant?: Variant;
}

export interface InitResult {
  /** The build that runs: 'relaxed-simd' or 'simd128'. */
  variant: Variant;
  /** Threads that async calls use (1: the calling thread only). */
  threads: number;
  /** Present when fewer than 2 threads run although more were asked for: the reason. */
  fallback?: string;
}

interface Setup { engine: Engine; pool: Pool | null; fallback?: string }

// Setups by `${variant}/${threads}`; the one-thread engine of a build is shared by its fallbacks.
const loaded = new Map<string, Promise<Setup>>();
let last: { key: string; promise: Promise<InitResult> } | null = null;

function once(key: string, make: () => Promise<Setup>): Promise<Setup> {
  let setup = loaded.get(key);
  if (!setup) {
    setup = make();
    loaded.set(key, setup);
    setup.catch(() => { if (loaded.get(key) === setup) loaded.delete(key); });
  }
  return setup;
}

function single(variant: Variant): Promise<Setup> {
  return once(`${variant}/1`, async () => ({ engine: await loadEngine(variant), pool: null }));
}

async function coreCount(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = p?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  return os?.availableParallelism?.() ?? 1;
}

/** The threads build over shared memory with its workers, or the one-thread engine and why. */
async function threaded(variant: Variant, threads: number | 'auto'): Promise<Setup> {
  const n = threads === 'auto' ? await coreCount() : threads;
  if (n <= 1) return single(variant);
  const why = threadsUnavailable() ?? (canSpawn() ? null : 'this runtime cannot start worker threads');
  const fallback = async (reason: string) => ({ ...(await single(variant)), fallback: `${reason}; running on one thread` });
  if (why) return fallback(why);
  let engine: Engine;
  try {
    engine = await loadEngine(variant, true);
  } catch (e) {
    return fallback(`the threads build could not be loaded (${(e as Error).message})`);
  }
  try {
    return { engine, pool: await Pool.start(engine, n) };
  } catch (e) {
    return fallback(`worker threads could not start (${(e as Error).message})`);
  }
}

/**
 * Loads and instantiates the WebAssembly kernel (each build once per process; a repeated call
 * returns the same promise). Picks the best build the runtime validates, or `options.variant`.
 * When calls ask for different builds, the last call's build is the one that runs.
 */
export function init(options: InitOptions = {}): Promise<InitResult> {
  try {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`init options must be an object, got ${String(options)}`);
    }
    const { threads = 1, variant } = options;
    if (threads !== 'auto' && (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1)) {
      throw new RangeError(`threads must be a positive integer or 'auto', got ${String(threads)}`);
    }
    if (variant !== undefined && !VARIANTS.includes(variant)) {
      throw new RangeError(`variant ${JSON.stringify(variant)} is not one of ${VARIANTS.join(', ')}`);
    }
    const chosen = variant ?? bestVariant();
    const key = `${chosen}/${threads}`;
    if (last && last.key === key) return last.promise;
    const setup = threads === 1 ? single(chosen) : once(key, () => threaded(chosen, threads));
    const promise: Promise<InitResult> = setup.then((s) => {
      if (last?.promise === promise) setEngine(s.engine);
      const r: InitResult = { variant: s.engine.variant, threads: s.pool?.threads ?? 1 };
      if (s.fallback) r.fallback = s.fallback;
      return r;
    });
    last = { key, promise };
    promise.catch(() => { if (last?.promise === promise) last = null; });
    return promise;
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Ends the worker threads that init({ threads }) started, once the calls queued on them have
 * finished, so that a Node process can exit. Later async calls run on the calling thread;
 * init({ threads }) starts new workers.
 */
export async function dispose(): Promise<void> {
  const setups = [...loaded.entries()].filter(([key]) => !key.endsWith('/1'));
  for (const [key] of setups) loaded.delete(key);
  if (last && !last.key.endsWith('/1')) last = null;
  await Promise.all(setups.map(async ([, setup]) => {
    const s = await setup.catch(() => null);
    await s?.pool?.dispose();
  }));
}

/** The variant init() loaded, or null before init. */
export function activeVariant(): Variant | null {
  return currentEngine()?.variant ?? null;
}

/**
 * PyTorch torch.nn.functional.conv_transpose2d on the calling thread. input [N, C_in, H, W] or
 * [C_in, H, W]; weight [C_in, C_out/groups, kH, kW]; bias [C_out] or null.
 */
export function convTranspose2d(input: TensorLike, weight: TensorLike, bias?: TensorLike | null,
                                options?: ConvTranspose2dOptions): Tensor {
  const engine = currentEngine();
  if (!engine) throw new Error('convTranspose2d: call `await init()` before running the WebAssembly kernel');
  const call = checkedCall(input, weight, bias, options);
  const out = engine.call(call.info, call.input, call.weight, call.bias);
  return resultTensor(out, call.info.outputShape);
}

/**
 * convTranspose2d spread over the threads of init({ threads }); resolves with the result.
 * Calls queue and each uses every thread, the calling one included; a call too small to gain
 * from threads runs at once on the calling thread. Errors reject the promise with the error
 * convTranspose2d would throw. The arguments are read before this returns.
 */
export function convTranspose2dAsync(input: TensorLike, weight: TensorLike, bias?: TensorLike | null,
                                     options?: ConvTranspose2dOptions): Promise<Tensor> {
  try {
    const engine = currentEngine();
    if (!engine) throw new Error('convTranspose2dAsync: call `await init()` before running the WebAssembly kernel');
    const call = checkedCall(input, weight, bias, options);
    return callAsync(engine, call.info, call.input, call.weight, call.bias);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Bytes of WebAssembly memory the active engine holds (it grows on demand and is reused), or 0 before init. */
export function wasmMemoryBytes(): number {
  return currentEngine()?.memoryBytes ?? 0;
}
