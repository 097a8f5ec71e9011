// The thread pool: init({ threads: 2 }) workers on one shared memory. Every golden case and random
// shapes through convTranspose2dAsync and forwardAsync (with the size threshold off, so even tiny
// calls are spread over both threads), overlapping calls, errors inside threaded calls, memory
// growth while workers hold the memory, dispose, and the fallback without shared memory.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ConvTranspose2d, Tensor, convTranspose2d, convTranspose2dAsync, convTranspose2dOutputShape,
  convTranspose2dReference, dispose, init, wasmMemoryBytes,
} from '../src/index.js';
import { currentEngine } from '../src/state.js';
import { poolOf, setInputStepDelay } from '../src/pool.js';
import { setPoisonBuffers } from '../src/engine.js';
import { leadChunks, rowsFor, setInputStepBytes, setMinThreadedMacs } from '../src/split.js';
import { choosePath, forcePath, layoutOf, setScatterMacs } from '../src/plan.js';
import { convInfo } from '../src/shape.js';
import { expectClose, golden, optionsOf, randomData, variantsUnderTest } from './helpers.js';

const tensors = (c: (typeof golden.cases)[number]) => ({
  x: new Tensor(Float32Array.from(c.input), c.input_shape),
  w: new Tensor(Float32Array.from(c.weight), c.weight_shape),
  b: c.bias ? new Tensor(Float32Array.from(c.bias), [c.bias.length]) : null,
});

interface Shape {
  n: number; cin: number; cout: number; h: number; w: number; k: number; s: number; p: number;
  op?: number; g?: number; d?: number; bias?: boolean;
}
function makeCall(s: Shape, seed: number) {
  const g = s.g ?? 1;
  const x = new Tensor(randomData(s.n * s.cin * s.h * s.w, seed), [s.n, s.cin, s.h, s.w]);
  const w = new Tensor(randomData(s.cin * (s.cout / g) * s.k * s.k, seed + 1), [s.cin, s.cout / g, s.k, s.k]);
  const b = s.bias === false ? null : new Tensor(randomData(s.cout, seed + 2), [s.cout]);
  const options = { stride: s.s, padding: s.p, outputPadding: s.op ?? 0, groups: g, dilation: s.d ?? 1 };
  return { x, w, b, options };
}

// Shapes of the benchmark and odd ones: phases, batches, groups, the gemv and depthwise paths.
const shapes: Shape[] = [
  { n: 1, cin: 256, cout: 128, h: 8, w: 8, k: 4, s: 2, p: 1 }, // dcgan-3
  { n: 1, cin: 64, cout: 32, h: 24, w: 20, k: 3, s: 2, p: 1, op: 1 }, // decoder, smaller
  { n: 1, cin: 32, cout: 16, h: 16, w: 16, k: 2, s: 2, p: 0 }, // U-Net
  { n: 3, cin: 24, cout: 20, h: 5, w: 7, k: 4, s: 2, p: 1 }, // batch
  { n: 1, cin: 100, cout: 64, h: 1, w: 1, k: 4, s: 1, p: 0 }, // gemv
  { n: 2, cin: 16, cout: 32, h: 9, w: 9, k: 4, s: 2, p: 1, g: 16 }, // depthwise
  { n: 2, cin: 64, cout: 3, h: 13, w: 10, k: 4, s: 2, p: 1, bias: true }, // few output channels (columns)
  { n: 1, cin: 12, cout: 12, h: 11, w: 13, k: 3, s: 1, p: 2, d: 2, g: 3 }, // dilated, groups
  { n: 1, cin: 7, cout: 5, h: 3, w: 2, k: 5, s: 3, p: 0, op: 2, bias: false }, // few items
  { n: 1, cin: 6, cout: 7, h: 33, w: 5, k: 3, s: 2, p: 1, op: 1 }, // 66 items: claimed in pairs, then singly
];

for (const variant of variantsUnderTest()) {
  describe(`threads on ${variant}`, () => {
    let oldMin = 0, oldScatter = 0;
    beforeAll(async () => {
      const r = await init({ variant, threads: 2 });
      expect(r).toEqual({ variant, threads: 2 });
      expect(currentEngine()!.shared).toBe(true);
      oldMin = setMinThreadedMacs(0); // every call through the workers, however small
      oldScatter = setScatterMacs(-1); // and on the paths that split work finely, not the tiny-call one
    });
    afterAll(async () => {
      setMinThreadedMacs(oldMin);
      setScatterMacs(oldScatter);
      await dispose();
    });

    it('init({ threads: 2 }) returns the same promise again and runs one worker', async () => {
      expect(init({ variant, threads: 2 })).toBe(init({ variant, threads: 2 }));
      expect(poolOf(currentEngine()!)!.threads).toBe(2);
    });

    it('every golden case through convTranspose2dAsync', async () => {
      for (const c of golden.cases) {
        const { x, w, b } = tensors(c);
        const y = await convTranspose2dAsync(x, w, b, optionsOf(c));
        expect(y.shape, c.name).toEqual(c.output_shape);
        expectClose(y.data, c.output, c.name);
      }
    });

    it('every golden case through ConvTranspose2d.forwardAsync', async () => {
      for (const c of golden.cases) {
        const p = c.params;
        const m = new ConvTranspose2d(p.in_channels, p.out_channels, p.kernel_size, {
          stride: p.stride, padding: p.padding, outputPadding: p.output_padding, groups: p.groups,
          dilation: p.dilation, bias: p.bias,
        });
        const { x, w, b } = tensors(c);
        m.weight = w;
        if (b) m.bias = b;
        const y = await m.forwardAsync(x, c.output_size ?? undefined);
        expect(y.shape, c.name).toEqual(c.output_shape);
        expectClose(y.data, c.output, c.name);
      }
    });

    it('benchmark-like and odd shapes match the reference and the one-thread call', async () => {
      for (const [i, s] of shapes.entries()) {
        const { x, w, b, options } = makeCall(s, 10 * i);
        const got = await convTranspose2dAsync(x, w, b, options);
        expectClose(got.data, convTranspose2dReference(x, w, b, options).data, JSON.stringify(s));
        expectClose(got.data, convTranspose2d(x, w, b, options).data, `${JSON.stringify(s)} vs one thread`);
      }
    });

    it('a call of many items is claimed two items at a time, then one (the shapes above include one)', () => {
      const s = shapes[shapes.length - 1];
      const { x, w, b, options } = makeCall(s, 0);
      const info = convInfo(x.shape, w.shape, options, [s.cout]);
      const engine = currentEngine()!;
      const packed = engine.pack(info, w.data, b!.data, layoutOf(choosePath(info)));
      const call = engine.prepareThreaded(info, x.data, packed, 2, rowsFor(info, 2));
      try {
        expect(call.items).toBe(66); // one phase row per item: 2 row phases x 33 rows
        expect(leadChunks(call.items, 2)).toEqual({ lead: 2, leads: 31 }); // 62 items in pairs, 4 single
      } finally {
        call.free();
        engine.release(packed);
      }
    });

    it('workers start on the first input rows while the rest is copied (slow, NaN-filled steps)', async () => {
      // One input row a step, 1 ms apart, the rows not yet copied NaN: an item that ran
      // before the rows it reads were in would give NaN.
      const oldBytes = setInputStepBytes(1), oldDelay = setInputStepDelay(1), oldPoison = setPoisonBuffers(true);
      try {
        for (const [i, s] of shapes.entries()) {
          const { x, w, b, options } = makeCall(s, 40 + i);
          const got = await convTranspose2dAsync(x, w, b, options);
          expectClose(got.data, convTranspose2dReference(x, w, b, options).data, JSON.stringify(s));
        }
      } finally {
        setInputStepBytes(oldBytes);
        setInputStepDelay(oldDelay);
        setPoisonBuffers(oldPoison);
      }
    });

    it('large results are fresh arrays of their own, written in full (not zeroed first where Buffer exists)', async () => {
      // Outputs of 66K-262K floats (over resultArray's threshold) on the banded paths (subconv,
      // columns) and one copied out plane by plane (depthwise), two different inputs in turn: an
      // element left unwritten would show the other call's value.
      const seen = new Set<ArrayBufferLike>();
      const large: [Shape, string, number[]][] = [
        [{ n: 1, cin: 8, cout: 16, h: 64, w: 64, k: 2, s: 2, p: 0 }, 'subconv', [61, 62, 61, 62]],
        [{ n: 1, cin: 64, cout: 3, h: 74, w: 74, k: 4, s: 2, p: 1 }, 'columns', [71, 72]],
        [{ n: 1, cin: 16, cout: 16, h: 64, w: 64, k: 4, s: 2, p: 1, g: 16 }, 'depthwise', [81, 82]],
      ];
      for (const [s, path, seeds] of large) for (const seed of seeds) {
        const { x, w, b, options } = makeCall(s, seed);
        expect(choosePath(convInfo(x.shape, w.shape, options))).toBe(path);
        const want = convTranspose2dReference(x, w, b, options).data;
        for (const got of [await convTranspose2dAsync(x, w, b, options), convTranspose2d(x, w, b, options)]) {
          expect(got.data.buffer).toBeInstanceOf(ArrayBuffer); // not shared, not WebAssembly memory
          expect([got.data.byteOffset, got.data.buffer.byteLength]).toEqual([0, got.data.length * 4]);
          expect(seen.has(got.data.buffer)).toBe(false);
          seen.add(got.data.buffer);
          expectClose(got.data, want, `seed ${seed}`);
        }
      }
    });

    for (const path of [null, 'columns'] as const) it(`random shapes (fast-check, ${path ? '80 runs, all on the columns path' : '150 runs'}) match the reference`, async () => {
      const config = fc.record({
        n: fc.integer({ min: 1, max: 3 }), cing: fc.integer({ min: 1, max: 9 }), coutg: fc.integer({ min: 1, max: 11 }),
        groups: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 12 }), w: fc.integer({ min: 1, max: 12 }),
        k: fc.integer({ min: 1, max: 5 }), s: fc.integer({ min: 1, max: 4 }), p: fc.integer({ min: 0, max: 3 }),
        d: fc.integer({ min: 1, max: 2 }), op: fc.integer({ min: 0, max: 3 }), bias: fc.boolean(),
      }).map((c) => ({ ...c, op: c.op % Math.max(c.s, c.d) })).filter((c) => {
        try {
          convTranspose2dOutputShape([c.n, c.cing * c.groups, c.h, c.w], [c.cing * c.groups, c.coutg, c.k, c.k],
            { stride: c.s, padding: c.p, outputPadding: c.op, dilation: c.d, groups: c.groups });
          return true;
        } catch {
          return false;
        }
      });
      let seed = 7;
      const old = forcePath(path);
      try {
        await fc.assert(fc.asyncProperty(config, async (c) => {
          const s: Shape = { n: c.n, cin: c.cing * c.groups, cout: c.coutg * c.groups, h: c.h, w: c.w, k: c.k, s: c.s, p: c.p, op: c.op, g: c.groups, d: c.d, bias: c.bias };
          const { x, w, b, options } = makeCall(s, seed += 3);
          const got = await convTranspose2dAsync(x, w, b, options);
          expectClose(got.data, convTranspose2dReference(x, w, b, options).data, JSON.stringify(s));
        }), { numRuns: path ? 80 : 150, seed: 20261127 });
      } finally {
        forcePath(old);
      }
    });

    it('100 overlapping calls of different shapes all resolve with their own results', async () => {
      const calls = Array.from({ length: 100 }, (_, i) => {
        const s = { ...shapes[i % shapes.length] };
        s.h = Math.max(1, s.h - (i % 3)); // vary the sizes within each kind
        return { s, ...makeCall(s, 1000 + i) };
      });
      const wants = calls.map((c) => convTranspose2d(c.x, c.w, c.b, c.options));
      const promises = calls.map((c) => convTranspose2dAsync(c.x, c.w, c.b, c.options));
      // Arguments are read when the call is made: reusing the arrays at once changes nothing.
      for (const c of calls) c.x.data.fill(0);
      const gots = await Promise.all(promises);
      gots.forEach((got, i) => {
        expect(got.shape).toEqual(wants[i].shape);
        expectClose(got.data, wants[i].data, `call ${i}`);
      });
    });

    it('overlapping forwardAsync calls use the weights of the moment they were made', async () => {
      const s = shapes[0];
      const m = new ConvTranspose2d(s.cin, s.cout, s.k, { stride: s.s, padding: s.p });
      const { x } = makeCall(s, 5);
      const want1 = m.forward(x);
      const first = [m.forwardAsync(x), m.forwardAsync(x), m.forwardAsync(x)];
      m.weight = new Tensor(randomData(m.weight.data.length, 77), m.weight.shape); // frees the old packed copy
      const want2 = m.forward(x);
      const second = m.forwardAsync(x);
      for (const y of await Promise.all(first)) expectClose(y.data, want1.data, 'queued before the new weight');
      expectClose((await second).data, want2.data, 'after the new weight');
      expect(Math.abs(want2.data[0] - want1.data[0])).toBeGreaterThan(1e-3);
    });

    it('bad input rejects with the error the sync call throws; the pool keeps working', async () => {
      const { x, w, b, options } = makeCall(shapes[0], 3);
      const bad = new Tensor(new Float32Array(3 * 8 * 8), [1, 3, 8, 8]);
      const sync = (() => { try { convTranspose2d(bad, w, b, options); } catch (e) { return e as Error; } })()!;
      expect(sync).toBeInstanceOf(RangeError);
      const pending = convTranspose2dAsync(x, w, b, options); // a good call queued before the bad one
      await expect(convTranspose2dAsync(bad, w, b, options)).rejects.toThrow(sync.message);
      await expect(convTranspose2dAsync(x, w, b, { ...options, outputPadding: 5 })).rejects.toThrow(RangeError);
      await expect(convTranspose2dAsync(x, { data: new Float32Array(3), shape: [1, 1, 1, 1] }, b, options)).rejects.toThrow(TypeError);
      const m = new ConvTranspose2d(3, 4, 2);
      await expect(m.forwardAsync(x)).rejects.toThrow(/input of shape \[1, 256, 8, 8\] has 256 channels, but weight of shape \[3, 4, 2, 2\] expects 3/);
      expectClose((await pending).data, convTranspose2dReference(x, w, b, options).data);
      expectClose((await convTranspose2dAsync(x, w, b, options)).data, convTranspose2dReference(x, w, b, options).data);
    });

    it('a call too big for 32-bit memory rejects with the sync RangeError and allocates nothing', async () => {
      const before = wasmMemoryBytes();
      const x = new Tensor(new Float32Array(4), [1, 1, 2, 2]);
      const w = new Tensor(new Float32Array(1), [1, 1, 1, 1]);
      const message = (() => { try { convTranspose2d(x, w, null, { stride: 50000 }); } catch (e) { return (e as Error).message; } })();
      expect(message).toMatch(/needs 9537\.\d MiB of WebAssembly memory/);
      await expect(convTranspose2dAsync(x, w, null, { stride: 50000 })).rejects.toThrow(message!);
      expect(wasmMemoryBytes()).toBe(before);
      const small = await convTranspose2dAsync(x, w, null, { stride: 2 });
      expect(Array.from(small.data)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    });

    it('a kernel trap inside the threads rejects that call; the pool keeps working', async () => {
      const pool = poolOf(currentEngine()!)!;
      // Parameter blocks past the end of memory: every thread's kernel call traps.
      const bogus = { path: 'subconv' as const, params: 0xf0000000, items: 64, inputSteps: 1, copyInput() {}, need: () => 1, allocOutput() {}, finish: () => new Float32Array(0), free() {} };
      await expect(pool.schedule(() => pool.dispatch(bogus))).rejects.toThrow(/memory access out of bounds|a worker thread failed/);
      const { x, w, b, options } = makeCall(shapes[1], 9);
      expectClose((await convTranspose2dAsync(x, w, b, options)).data, convTranspose2dReference(x, w, b, options).data);
    });

    it('memory grown during threaded calls stays valid in every thread', async () => {
      const before = wasmMemoryBytes();
      // Output 1 x 8 x 384 x 384 floats (4.5 MiB), beyond what the earlier calls needed.
      const s: Shape = { n: 1, cin: 16, cout: 8, h: 192, w: 192, k: 2, s: 2, p: 0 };
      const { x, w, b, options } = makeCall(s, 21);
      const big = convTranspose2dAsync(x, w, b, options);
      const small = makeCall(shapes[3], 22);
      const after = convTranspose2dAsync(small.x, small.w, small.b, small.options);
      expectClose((await big).data, convTranspose2d(x, w, b, options).data, 'grown');
      expect(wasmMemoryBytes()).toBeGreaterThan(before);
      expectClose((await after).data, convTranspose2d(small.x, small.w, small.b, small.options).data, 'after growth');
      expectClose((await big).data, convTranspose2dReference(x, w, b, options).data);
    });
  });
}

describe('dispose and fallback', () => {
  it('dispose() ends the workers; later async calls run on the calling thread; init starts new ones', async () => {
    await init({ threads: 2 });
    const engine = currentEngine()!;
    expect(poolOf(engine)).not.toBeNull();
    await dispose();
    expect(poolOf(engine)).toBeNull();
    const { x, w, b, options } = makeCall(shapes[0], 31);
    expectClose((await convTranspose2dAsync(x, w, b, options)).data, convTranspose2dReference(x, w, b, options).data);
    expect((await init({ threads: 2 })).threads).toBe(2);
    expect(poolOf(currentEngine()!)!.threads).toBe(2);
    await dispose();
  });

  it('dispose() during queued calls lets them finish first (also when called twice)', async () => {
    await init({ threads: 2 });
    const engine = currentEngine()!;
    const old = setMinThreadedMacs(0);
    try {
      const calls = [0, 1, 2, 3, 4].map((i) => makeCall(shapes[i % 4], 50 + i));
      const pending = calls.map((c) => convTranspose2dAsync(c.x, c.w, c.b, c.options));
      await Promise.all([dispose(), dispose()]);
      expect(poolOf(engine)).toBeNull();
      const outs = await Promise.all(pending);
      outs.forEach((y, i) => expectClose(y.data, convTranspose2dReference(calls[i].x, calls[i].w, calls[i].b, calls[i].options).data, `call ${i}`));
    } finally {
      setMinThreadedMacs(old);
    }
  });

  it('if a worker dies, the pool reports it and later calls run on the calling thread', async () => {
    await init({ threads: 2 });
    const pool = poolOf(currentEngine()!)!;
    (pool as unknown as { workers: { terminate(): void }[] }).workers[0].terminate();
    await vi.waitFor(() => expect(pool.failure).toMatch(/worker exited|worker failed/), { timeout: 5000 });
    const { x, w, b, options } = makeCall(shapes[0], 61);
    expectClose((await convTranspose2dAsync(x, w, b, options)).data, convTranspose2dReference(x, w, b, options).data);
    await dispose();
  });

  it('without SharedArrayBuffer, init({ threads }) falls back to one thread and says why', async () => {
    vi.stubGlobal('SharedArrayBuffer', undefined);
    try {
      const r = await init({ threads: 2 });
      expect(r.threads).toBe(1);
      expect(r.fallback).toMatch(/no SharedArrayBuffer\/Atomics.*running on one thread/);
      expect(currentEngine()!.shared).toBe(false);
      const { x, w, b, options } = makeCall(shapes[0], 41);
      expectClose((await convTranspose2dAsync(x, w, b, options)).data, convTranspose2dReference(x, w, b, options).data);
    } finally {
      vi.unstubAllGlobals();
      await dispose();
    }
  });

  it('on a page that is not cross-origin isolated, init({ threads }) falls back and names the headers', async () => {
    vi.stubGlobal('crossOriginIsolated', false);
    try {
      const r = await init({ threads: 3 });
      expect(r.threads).toBe(1);
      expect(r.fallback).toMatch(/not cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
    } finally {
      vi.unstubAllGlobals();
      await dispose();
    }
  });

  it('threads: \'auto\' uses one thread per core', async () => {
    const r = await init({ threads: 'auto' });
    expect(r.threads).toBe(availableParallelism());
    await dispose();
  });

  it('a Node process exits by itself after dispose(), and with idle workers never disposed; it stays up for a call waiting asynchronously', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'convt-threads-'));
    const lib = join(dir, 'lib.mjs');
    // The library plus the hook that makes the calling thread wait asynchronously at once.
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, `export * from ${JSON.stringify(fileURLToPath(new URL('../src/index.ts', import.meta.url)))};
      export { setWaitTimes } from ${JSON.stringify(fileURLToPath(new URL('../src/pool.ts', import.meta.url)))};`);
    await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', outfile: lib, logLevel: 'error' });
    const script = (disposeAtEnd: boolean, waitAsync = false) => `
      import { init, convTranspose2dAsync, convTranspose2dReference, dispose, setWaitTimes, Tensor } from ${JSON.stringify(lib)};
      const r = await init({ threads: 2 });
      ${waitAsync ? 'setWaitTimes(0, 0); // nothing but a pending Atomics.waitAsync until the worker is done' : ''}
      const x = new Tensor(new Float32Array(1 * 64 * 16 * 16).map((_, i) => Math.sin(i)), [1, 64, 16, 16]);
      const w = new Tensor(new Float32Array(64 * 32 * 16).map((_, i) => Math.cos(i)), [64, 32, 4, 4]);
      // Whichever thread runs out of items first varies: over 40 calls of DCGAN's 256 > 128 layer
      // (8 items of ~0.15 ms) the calling thread waits for the worker's last item in many.
      const x3 = new Tensor(new Float32Array(256 * 64).fill(0.5), [1, 256, 8, 8]);
      const w3 = new Tensor(new Float32Array(256 * 128 * 16).fill(0.25), [256, 128, 4, 4]);
      for (let i = 0; i < ${waitAsync ? 40 : 0}; i++) {
        const y3 = await convTranspose2dAsync(x3, w3, null, { stride: 2, padding: 1 });
        if (y3.data[17 * 16 + 1] !== 0.5 * 0.25 * 256 * 4) throw new Error('wrong value ' + y3.data[17 * 16 + 1]);
      }
      const y = await convTranspose2dAsync(x, w, null, { stride: 2, padding: 1 });
      const ref = convTranspose2dReference(x, w, null, { stride: 2, padding: 1 });
      const err = Math.max(...y.data.map((v, i) => Math.abs(v - ref.data[i])));
      ${disposeAtEnd ? 'await dispose();' : ''}
      console.log(JSON.stringify({ threads: r.threads, err }));`;
    for (const [disposeAtEnd, waitAsync] of [[true, false], [false, false], [false, true]]) {
      const file = join(dir, `main-${disposeAtEnd}-${waitAsync}.mjs`);
      writeFileSync(file, script(disposeAtEnd, waitAsync));
      const run = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
      expect(run.signal, `${run.stderr}`).toBeNull(); // not killed by the timeout
      expect(run.status, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout.trim().split('\n').pop()!);
      expect(out.threads).toBe(2);
      expect(out.err).toBeLessThan(1e-3);
    }
  });
});
