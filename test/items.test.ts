// Work items are independent: threads claim them in any order, so every path must give the
// reference result when its items run last to first, one call each (a write past an item's own
// part of the output, later overwritten in the usual order, shows up here). And packing a weight
// larger than one stage, in steps that end inside a group, at the default stage size.
import { describe, expect, it } from 'vitest';
import { Tensor, convTranspose2d, convTranspose2dReference, init } from '../src/index.js';
import { choosePath, forcePath, layoutOf, setScatterMacs } from '../src/plan.js';
import { convInfo, type ConvTranspose2dOptions } from '../src/shape.js';
import { currentEngine } from '../src/state.js';
import { expectClose, randomData, variantsUnderTest } from './helpers.js';

interface Case { name: string; x: number[]; w: number[]; options: ConvTranspose2dOptions; path: string; force?: 'columns' }

const cases: Case[] = [
  { name: 'depthwise k4s2p1, odd rows', x: [2, 6, 7, 8], w: [6, 1, 4, 4], options: { stride: 2, padding: 1, groups: 6 }, path: 'depthwise' },
  { name: 'depthwise k4s2p1 op1', x: [1, 3, 4, 8], w: [3, 2, 4, 4], options: { stride: 2, padding: 1, outputPadding: [0, 1], groups: 3 }, path: 'depthwise' },
  { name: 'subconv k3s2p1op1', x: [2, 12, 9, 10], w: [12, 11, 3, 3], options: { stride: 2, padding: 1, outputPadding: 1 }, path: 'subconv' },
  { name: 'subconv k2s2 groups', x: [1, 8, 7, 9], w: [8, 6, 2, 2], options: { stride: 2, groups: 2 }, path: 'subconv' },
  { name: 'columns k4s2p1', x: [2, 20, 6, 11], w: [20, 2, 4, 4], options: { stride: 2, padding: 1 }, path: 'columns' },
  { name: 'columns forced, dilated', x: [1, 6, 7, 5], w: [6, 4, 3, 3], options: { dilation: 2, padding: 1 }, path: 'columns', force: 'columns' },
  { name: 'gemv 1x1 input', x: [3, 9, 1, 1], w: [9, 7, 4, 3], options: { stride: 2, padding: [1, 0] }, path: 'gemv' },
];

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
            // One phase row per item where the path splits rows: the most items.
            const call = engine.prepareThreaded(info, x.data, packed, 1, () => 1);
            expect(call.items).toBeGreaterThan(1);
            for (let i = call.items - 1; i >= 0; i--) engine.run(call.path, call.params, i, i + 1);
            expectClose(call.finish(), convTranspose2dReference(x, w, b, c.options).data, c.name);
          } finally {
            engine.release(packed);
          }
        } finally {
          setScatterMacs(oldMacs);
          forcePath(oldForced);
        }
      });
    }

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
