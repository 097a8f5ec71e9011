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

const modules = new Map<Variant, Promise<WebAssembly.Module>>();

export function compileVariant(variant: Variant): Promise<WebAssembly.Module> {
  let m = modules.get(variant);
  if (!m) {
    const src = BASE64[variant];
    m = typeof src === 'string' ? WebAssembly.compile(decodeBase64(src)) : Promise.resolve(src);
    modules.set(variant, m);
  }
  return m;
}

export async function loadEngine(variant: Variant): Promise<Engine> {
  if (!supportedVariants().includes(variant)) {
    throw new Error(`the ${variant} build is not supported by this runtime (it validates: ${supportedVariants().join(', ') || 'none'})`);
  }
  return Engine.create(variant, await compileVariant(variant));
}
