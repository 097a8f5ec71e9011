// Feature detection by validating tiny modules, and the choice of build.
import { describe, expect, it } from 'vitest';
import { detectFeatures, init, supportedVariants } from '../src/index.js';
import * as binaries from '../src/generated/wasm.js';
import { readFileSync } from 'node:fs';
import { sharedMemoryTwin } from '../src/binary.js';

const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

describe('feature detection', () => {
  it('the probes agree with validating the real builds', () => {
    const f = detectFeatures();
    expect(f.simd).toBe(WebAssembly.validate(bytes(binaries.simd128)));
    expect(f.relaxedSimd).toBe(WebAssembly.validate(bytes(binaries.relaxedSimd)));
  });

  it('relaxed SIMD is on exactly where this Node has it (flag, or Node 22+)', () => {
    const major = Number(process.versions.node.split('.')[0]);
    const flag = process.execArgv.includes('--experimental-wasm-relaxed-simd');
    expect(detectFeatures().relaxedSimd).toBe(flag || major >= 22);
  });

  it('the SIMD128 build holds no relaxed instruction, the relaxed build does', () => {
    // f32x4.relaxed_madd is 0xfd 0x85 0x02.
    const has = (b: Uint8Array) => b.some((v, i) => v === 0xfd && b[i + 1] === 0x85 && b[i + 2] === 0x02);
    expect(has(bytes(binaries.simd128))).toBe(false);
    expect(has(bytes(binaries.relaxedSimd))).toBe(true);
  });
});

describe('threads builds made at load', () => {
  it('setting the shared flag of a build gives exactly what the compiler makes for its threads target', () => {
    for (const [name, b64] of [['simd128', binaries.simd128], ['relaxed-simd', binaries.relaxedSimd]] as const) {
      const compiled = new Uint8Array(readFileSync(new URL(`../build/wasm/${name}-threads.wasm`, import.meta.url)));
      const made = sharedMemoryTwin(bytes(b64));
      expect(made.length).toBe(compiled.length);
      expect(made.findIndex((v, i) => v !== compiled[i])).toBe(-1);
      expect(made).not.toEqual(bytes(b64)); // the input itself is left as it was, and differs
    }
  });

  it('refuses a binary without an imported memory, or with one that has no maximum', () => {
    // (module) and (module (import "env" "memory" (memory 1)))
    const empty = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
    expect(() => sharedMemoryTwin(empty)).toThrow(/imports no memory/);
    const noMax = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, 15, 1, 3, 0x65, 0x6e, 0x76, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 2, 0, 1);
    expect(WebAssembly.validate(noMax)).toBe(true);
    expect(() => sharedMemoryTwin(noMax)).toThrow(/needs a maximum/);
  });
});

describe('init', () => {
  it('picks the best supported build and reports it', async () => {
    const r = await init();
    expect(r).toEqual({ variant: supportedVariants()[0], threads: 1 });
    expect(init()).toBe(init());
  });

  it('can be forced to SIMD128', async () => {
    expect((await init({ variant: 'simd128' })).variant).toBe('simd128');
  });

  it('rejects bad options with clear errors', async () => {
    await expect(init({ variant: 'avx' as never })).rejects.toThrow(/variant "avx" is not one of relaxed-simd, simd128/);
    await expect(init({ threads: 0 })).rejects.toThrow(/threads must be a positive integer or 'auto', got 0/);
  });

  it('refuses a build the runtime cannot run', async () => {
    if (detectFeatures().relaxedSimd) return;
    await expect(init({ variant: 'relaxed-simd' })).rejects.toThrow(/the relaxed-simd build is not supported by this runtime/);
  });
});
