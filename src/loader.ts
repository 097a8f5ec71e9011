// Compiles each kernel build at most once per process and picks the best one the runtime
// validates. The binaries are embedded (src/generated/wasm.ts), so loading needs no file system
// or network access.
import { Engine, Variant } from './engine.js';
import { detectFeatures } from './features.js';
import * as binaries from './generated/wasm.js';

export const VARIANTS: readonly Variant[] = ['relaxed-simd', 'simd128'];

// Base64 strings here; the workerd entry (scripts/build-targets.mjs) swaps in WebAssembly.Module
// values imported from .wasm files, since workerd forbids compiling WebAssembly from bytes.
const BASE64: Record<Variant, string | WebAssembly.Module> = {
  'relaxed-simd': binaries.relaxedSimd,
  simd128: binaries.simd128,
};

// The same code built for shared memory (--enable threads --sharedMemory): the thread pool's builds.
const THREADS_BASE64: Record<Variant, string | WebAssembly.Module> = {
  'relaxed-simd': binaries.relaxedSimdThreads,
  simd128: binaries.simd128Threads,
};

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function supportedVariants(): Variant[] {
  const f = detectFeatures();
  return VARIANTS.filter((v) => (v === 'relaxed-simd' ? f.relaxedSimd : f.simd));
}

export function bestVariant(): Variant {
  const best = supportedVariants()[0];
  if (!best) throw new Error('convtranspose-wasm needs WebAssembly SIMD (fixed-width SIMD128), which this runtime does not support');
  return best;
}

const modules = new Map<string, Promise<WebAssembly.Module>>();

/** Compiles a build once: `threads` selects its shared-memory twin. */
export function compileVariant(variant: Variant, threads = false): Promise<WebAssembly.Module> {
  const key = threads ? `${variant}-threads` : variant;
  let m = modules.get(key);
  if (!m) {
    const src = (threads ? THREADS_BASE64 : BASE64)[variant];
    m = typeof src === 'string' ? WebAssembly.compile(decodeBase64(src)) : Promise.resolve(src);
    modules.set(key, m);
    m.catch(() => modules.delete(key));
  }
  return m;
}

/** An engine on `variant`; with `shared`, the threads build over a shared memory (see pool.ts). */
export async function loadEngine(variant: Variant, shared = false): Promise<Engine> {
  if (!supportedVariants().includes(variant)) {
    throw new Error(`the ${variant} build is not supported by this runtime (it validates: ${supportedVariants().join(', ') || 'none'})`);
  }
  return Engine.create(variant, await compileVariant(variant, shared), shared);
}
