// Work items are independent: threads claim them in any order, so every path must give the
// reference result when its items run last to first, one call each (a write past an item's own
// part of the output, later overwritten in the usual order, shows up here). Each item must also
// give it when it runs as soon as the input rows it says it needs are copied, and when the output
// is copied out as items finish, in order. And packing a weight larger than one stage, in steps
// that end inside a group, at the default stage size.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor, convTranspose2d, convTranspose2dReference, init } from '../src/index.js';
import { choosePath, forcePath, layoutOf, setScatterMacs } from '../src/plan.js';
import { type Engine, type PackedWeights, type ThreadedCall, setPoisonBuffers } from '../src/engine.js';
import { type ConvInfo, convInfo, type ConvTranspose2dOptions } from '../src/shape.js';
import { currentEngine } from '../src/state.js';
import { expectClose, randomData, variantsUnderTest } from './helpers.js';

interface Case { name: string; x: number[]; w: number[]; options: ConvTranspose2dOptions; path: string; force?: 'columns' | 'scatter' }

const cases: Case[] = [
  { name: 'depthwise k4s2p1, odd rows', x: [2, 6, 7, 8], w: [6, 1, 4, 4], options: { stride: 2, padding: 1, groups: 6 }, path: 'depthwise' },
  { name: 'depthwise k4s2p1 op1', x: [1, 3, 4, 8], w: [3, 2, 4, 4], options: { stride: 2, padding: 1, outputPadding: [0, 1], groups: 3 }, path: 'depthwise' },
  // planes of 44 x 38 = 1,672 floats: copied out three at a time (4,096-float runs), or as their
  // items finish where short runs are copied too
  { name: 'depthwise k3s2 planes of 1,672 floats', x: [2, 5, 22, 19], w: [5, 1, 3, 3], options: { stride: 2, padding: 1, outputPadding: 1, groups: 5 }, path: 'depthwise' },
  { name: 'scatter forced, groups, 3 planes of 1,024 floats an item', x: [2, 4, 16, 16], w: [4, 3, 2, 2], options: { stride: 2, groups: 2 }, path: 'scatter', force: 'scatter' },
  { name: 'subconv k3s2p1op1', x: [2, 12, 9, 10], w: [12, 11, 3, 3], options: { stride: 2, padding: 1, outputPadding: 1 }, path: 'subconv' },
  { name: 'subconv k2s2 groups', x: [1, 8, 7, 9], w: [8, 6, 2, 2], options: { stride: 2, groups: 2 }, path: 'subconv' },
  { name: 'columns k4s2p1', x: [2, 20, 6, 11], w: [20, 2, 4, 4], options: { stride: 2, padding: 1 }, path: 'columns' },
  { name: 'columns forced, dilated', x: [1, 6, 7, 5], w: [6, 4, 3, 3], options: { dilation: 2, padding: 1 }, path: 'columns', force: 'columns' },
  { name: 'gemv 1x1 input', x: [3, 9, 1, 1], w: [9, 7, 4, 3], options: { stride: 2, padding: [1, 0] }, path: 'gemv' },
];

/** A call laid out with one phase row per item and one input row per step, its buffers all NaN. */
function poisoned(engine: Engine, info: ConvInfo, x: Tensor, packed: PackedWeights): ThreadedCall {
  const old = setPoisonBuffers(true);
  try {
    return engine.prepareThreaded(info, x.data, packed, 1, () => 1, 1);
  } finally {
    setPoisonBuffers(old);
  }
}

/**
 * Runs a call as workers may: one input row per copy step, every row not yet copied NaN, and each
 * item (last to first among those ready) as soon as the steps it says it needs are copied.
 */
function streamed(engine: Engine, info: ConvInfo, x: Tensor, packed: PackedWeights): Float32Array {
  const call = poisoned(engine, info, x, packed);
  const ran = new Set<number>();
  for (let s = 0; s <= call.inputSteps; s++) {
    if (s > 0) call.copyInput(s - 1);
    for (let i = call.items - 1; i >= 0; i--) {
      if (ran.has(i) || call.need(i) > s) continue;
      engine.run(call.path, call.params, i, i + 1);
      ran.add(i);
    }
  }
  expect(ran.size).toBe(call.items);
  return call.finish();
}

/**
 * Runs a call's items first to last and, after each, copies out what the finished items completed
 * (copyDone), as the calling thread does between its chunks and before its final wait; both
 * buffers start as NaN, so a part copied out before its item wrote it stays NaN.
 */
function copiedAsDone(engine: Engine, info: ConvInfo, x: Tensor, packed: PackedWeights): Float32Array {
  const call = poisoned(engine, info, x, packed);
  for (let s = 0; s < call.inputSteps; s++) call.copyInput(s);
  call.allocOutput();
  for (let i = 0; i < call.items; i++) {
    engine.run(call.path, call.params, i, i + 1);
    call.copyDone(i + 1, i % 3 === 2); // short runs too every third item, as before a final wait
  }
  return call.finish();
}

for (const variant of variantsUnderTest()) {
  describe(`work items in reverse order, ${variant}`, () => {
    for (const c of cases) {
      it(c.name, async () => {
        await init({ variant });
        const oldMacs = setScatterMacs(-1);
        const oldForced = forcePath(c.force ?? null);
        try {
          const engine = currentEngine()!;
          const x = new Tensor(randomData(c.x.reduce((a, b) => a * b, 1), 7), c.x);
          const w = new Tensor(randomData(c.w.reduce((a, b) => a * b, 1), 8), c.w);
          const b = new Tensor(randomData(c.w[1] * (c.options.groups ?? 1), 9), [c.w[1] * (c.options.groups ?? 1)]);
          const info = convInfo(x.shape, w.shape, c.options);
          expect(choosePath(info)).toBe(c.path);
          const packed = engine.pack(info, w.data, b.data, layoutOf(choosePath(info)));
          try {
            const want = convTranspose2dReference(x, w, b, c.options).data;
            // One phase row per item where the path splits rows (the most items), one input row
            // per copy step, the steps copied last to first too.
            const call = engine.prepareThreaded(info, x.data, packed, 1, () => 1, 1);
            expect(call.items).toBeGreaterThan(1);
            expect(call.inputSteps).toBe(c.x[0] * c.x[2]);
            for (let s = call.inputSteps - 1; s >= 0; s--) call.copyInput(s);
            for (let i = call.items - 1; i >= 0; i--) engine.run(call.path, call.params, i, i + 1);
            expectClose(call.finish(), want, c.name);
            expectClose(streamed(engine, info, x, packed), want, `${c.name}, streamed`);
            expectClose(copiedAsDone(engine, info, x, packed), want, `${c.name}, copied out as items finish`);
          } finally {
            engine.release(packed);
          }
        } finally {
          setScatterMacs(oldMacs);
          forcePath(oldForced);
        }
      });
    }

    it('streams the input on random shapes of the banded paths (subconv, columns)', async () => {
      await init({ variant });
      const engine = currentEngine()!;
      const oldMacs = setScatterMacs(-1);
      try {
        fc.assert(fc.property(
          fc.record({
            n: fc.integer({ min: 1, max: 2 }), cing: fc.integer({ min: 1, max: 6 }), coutg: fc.integer({ min: 1, max: 7 }),
            groups: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }),
            k: fc.integer({ min: 1, max: 5 }), s: fc.integer({ min: 1, max: 4 }), p: fc.integer({ min: 0, max: 3 }),
            d: fc.integer({ min: 1, max: 2 }), op: fc.integer({ min: 0, max: 3 }), columns: fc.boolean(),
          }),
          (c) => {
            const cin = c.cing * c.groups;
            const options = { stride: c.s, padding: c.p, dilation: c.d, outputPadding: c.op % Math.max(c.s, c.d), groups: c.groups };
            const x = new Tensor(randomData(c.n * cin * c.h * c.w, 21), [c.n, cin, c.h, c.w]);
            const w = new Tensor(randomData(cin * c.coutg * c.k * c.k, 22), [cin, c.coutg, c.k, c.k]);
            let info: ConvInfo;
            try {
              info = convInfo(x.shape, w.shape, options);
            } catch {
              return; // no output (padding too large)
            }
            const oldForced = forcePath(c.columns ? 'columns' : null);
            try {
              const path = choosePath(info);
              if (path !== 'subconv' && path !== 'columns') return;
              const packed = engine.pack(info, w.data, null, layoutOf(path));
              try {
                expectClose(streamed(engine, info, x, packed), convTranspose2dReference(x, w, null, options).data, JSON.stringify(c));
              } finally {
                engine.release(packed);
              }
            } finally {
              forcePath(oldForced);
            }
          }), { numRuns: 60, seed: 4 });
      } finally {
        setScatterMacs(oldMacs);
      }
    });

    it('packs a weight over one stage (256 KiB) in steps that end inside a group', async () => {
      await init({ variant });
      // 600 input channels in 3 groups, 512 bytes a channel: 512 channels a step, the step ending
      // inside group 2; both layouts that stage (subconv's blocked one, columns).
      for (const [coutg, kh, kw] of [[8, 4, 4], [2, 8, 8]]) {
        const x = new Tensor(randomData(600 * 2 * 3, 11), [1, 600, 2, 3]);
        const w = new Tensor(randomData(600 * coutg * kh * kw, 12), [600, coutg, kh, kw]);
        const options = { stride: 2, padding: 1, groups: 3 };
        expectClose(convTranspose2d(x, w, null, options).data, convTranspose2dReference(x, w, null, options).data, `coutg ${coutg}`);
      }
    });
  });
}
