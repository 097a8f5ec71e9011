// Builds bench/peak/kernel.ts for SIMD128 and relaxed SIMD and measures the multiply-add peak
// (best of repeated runs: the ceiling, not a typical time) in this process.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface Peak {
  variant: 'simd128' | 'relaxed-simd';
  /** Best of repeated runs: the ceiling. */
  gflops: number;
  /**
   * A run of the loop doing about `flops` operations (a layer's), to sample the peak alongside
   * that layer under the same load and over calls as long as its; with the operations it does.
   */
  sampler: (flops: number) => { run: () => void; flops: number };
}

function build(root: string, relaxed: boolean): Uint8Array<ArrayBuffer> {
  const out = join(root, 'build', 'peak', relaxed ? 'relaxed-simd.wasm' : 'simd128.wasm');
  mkdirSync(dirname(out), { recursive: true });
  const asc = join(dirname(createRequire(import.meta.url).resolve('assemblyscript/package.json')), 'bin', 'asc.js');
  execFileSync(process.execPath, [asc, join(root, 'bench', 'peak', 'kernel.ts'), '-O3', '--runtime', 'stub',
    '--noAssert', '--initialMemory', '1', '--maximumMemory', '65536', '--enable', relaxed ? 'simd,relaxed-simd' : 'simd',
    '-o', out], { stdio: 'inherit', cwd: join(root, 'bench', 'peak') }); // not the root: its asconfig.json is the library's
  return new Uint8Array(readFileSync(out));
}

/** Peak GFLOP/s of each build this runtime can run. */
export function measurePeaks(root: string, variants: ('simd128' | 'relaxed-simd')[]): Peak[] {
  const out: Peak[] = [];
  for (const variant of variants) {
    const bytes = build(root, variant === 'relaxed-simd');
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { abort: () => { throw new Error('peak kernel aborted'); } } });
    const { peak, memory } = inst.exports as { peak: (n: number, p: number) => number; memory: WebAssembly.Memory };
    new Float32Array(memory.buffer, 1024, 8).set([0.999, 0.999, 0.999, 0.999, 0.001, 0.001, 0.001, 0.001]);
    const iters = 2_000_000;
    let best = Infinity;
    for (let r = 0; r < 60; r++) {
      const t0 = performance.now();
      peak(iters, 1024);
      best = Math.min(best, performance.now() - t0);
    }
    const sampler = (flops: number) => {
      const n = Math.max(1000, Math.ceil(flops / 96));
      return { run: () => { peak(n, 1024); }, flops: n * 96 };
    };
    out.push({ variant, gflops: (iters * 96) / best / 1e6, sampler });
  }
  return out;
}
