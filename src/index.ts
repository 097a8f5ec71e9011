// convtranspose-wasm: PyTorch's ConvTranspose2d computed by a SIMD WebAssembly kernel.
import { Engine, Variant } from './engine.js';
import { VARIANTS, bestVariant, loadEngine } from './loader.js';
import { ConvTranspose2dOptions } from './shape.js';
import { currentEngine, setEngine } from './state.js';
import { Tensor, TensorLike } from './tensor.js';
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
  /** Worker threads to use; this build runs on the calling thread (1). */
  threads?: number | 'auto';
  /** Force a build instead of the best supported one (tests, benchmarks). */
  variant?: Variant;
}

export interface InitResult {
  /** The build that runs: 'relaxed-simd' or 'simd128'. */
  variant: Variant;
  threads: number;
}

const loaded = new Map<Variant, Promise<Engine>>();
let last: { key: Variant; promise: Promise<InitResult> } | null = null;

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
    if (last && last.key === chosen) return last.promise;
    let engine = loaded.get(chosen);
    if (!engine) {
      engine = loadEngine(chosen);
      loaded.set(chosen, engine);
      engine.catch(() => loaded.delete(chosen));
    }
    const promise: Promise<InitResult> = engine.then((e) => {
      if (last?.promise === promise) setEngine(e);
      return { variant: e.variant, threads: 1 };
    });
    last = { key: chosen, promise };
    promise.catch(() => { if (last?.promise === promise) last = null; });
    return promise;
  } catch (e) {
    return Promise.reject(e);
  }
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
  return new Tensor(out, call.info.outputShape);
}

/** Bytes of WebAssembly memory the active engine holds (it grows on demand and is reused), or 0 before init. */
export function wasmMemoryBytes(): number {
  return currentEngine()?.memoryBytes ?? 0;
}
