// Compiles each kernel build at most once per process and picks the best one the runtime
// validates. The binaries are embedded (src/generated/wasm.ts), so loading needs no file system
// or network access.
import { Engine, Variant } from './engine.js';
import { detectFeatures } from './features.js';
import { convInfo } from './shape.js';
import { sharedMemoryTwin } from './binary.js';
import * as binaries from './generated/wasm.js';

export const VARIANTS: readonly Variant[] = ['relaxed-simd', 'simd128'];

// Base64 strings here; the workerd entry (scripts/build-targets.mjs) swaps in WebAssembly.Module
// values imported from .wasm files, since workerd forbids compiling WebAssembly from bytes.
const BASE64: Record<Variant, string | WebAssembly.Module> = {
  'relaxed-simd': binaries.relaxedSimd,
  simd128: binaries.simd128,
};

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  // Node, Bun and Deno have a native decoder (a JavaScript loop costs ~1 ms at start-up).
  const B = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (B) {
    const buf = B.from(b64, 'base64');
    return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
  }
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

/**
 * Compiles synchronously: for a module this small (~13 KB) that takes ~0.4 ms, where the
 * asynchronous compile waits several milliseconds on background threads and the event loop.
 * Runtimes that refuse synchronous compilation get the asynchronous one.
 */
function compileBytes(bytes: Uint8Array<ArrayBuffer>): Promise<WebAssembly.Module> {
  try {
    return Promise.resolve(new WebAssembly.Module(bytes));
  } catch {
    return WebAssembly.compile(bytes);
  }
}

/** Compiles a build once: `threads` selects its shared-memory twin (see binary.ts). */
export function compileVariant(variant: Variant, threads = false): Promise<WebAssembly.Module> {
  const key = threads ? `${variant}-threads` : variant;
  let m = modules.get(key);
  if (!m) {
    const src = BASE64[variant];
    if (typeof src !== 'string') {
      m = threads ? Promise.reject(new Error('this build of the package (workerd) has no shared-memory kernel')) : Promise.resolve(src);
    } else {
      const bytes = decodeBase64(src);
      m = compileBytes(threads ? sharedMemoryTwin(bytes) : bytes);
    }
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
  const engine = await Engine.create(variant, await compileVariant(variant, shared), shared);
  warmUp(engine);
  return engine;
}

// A first call runs V8's baseline code for the WebAssembly, several times slower than the
// optimized code it tiers up to once a function has run enough. One small layer (32 -> 16
// channels, k4 s2 p1 on 8 x 8: ~0.5M multiply-adds, packing included) run at load time gets the
// hot functions optimized: a first DCGAN layer call then takes ~7 ms instead of ~15 ms, for ~2 ms
// spent here. The weights are not all zero so that no shortcut could skip the work.
const WARM_UP = convInfo([1, 32, 8, 8], [32, 16, 4, 4], { stride: 2, padding: 1 });
function warmUp(engine: Engine): void {
  const x = new Float32Array(32 * 8 * 8).fill(0.5);
  const w = new Float32Array(32 * 16 * 16).fill(0.25);
  engine.call(WARM_UP, x, w, null);
}
