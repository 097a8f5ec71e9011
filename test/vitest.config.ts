import { defineConfig } from 'vitest/config';

// Two projects: everything on the default Node flags (the SIMD128 build on Node 20; relaxed SIMD
// too where the runtime has it on), and the kernel suites again in processes started with
// --experimental-wasm-relaxed-simd so the relaxed build is tested on Node 20 as well.
const kernelSuites = ['test/golden.test.ts', 'test/random.test.ts', 'test/items.test.ts', 'test/module.test.ts', 'test/threads.test.ts'];

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    testTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'relaxed-simd',
          include: kernelSuites,
          execArgv: ['--experimental-wasm-relaxed-simd'],
          env: { CONVT_VARIANTS: 'relaxed-simd' },
        },
      },
    ],
  },
});
