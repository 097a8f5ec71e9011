// The WebAssembly kernel against the plain-JS reference on random shapes: odd channel counts,
// widths that are not multiples of the SIMD width, 1x1 inputs and kernels, large strides and
// dilations, groups, batches, unbatched input, and channel counts big enough to split the panel.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Tensor, convTranspose2d, convTranspose2dOutputShape, convTranspose2dReference, init,
} from '../src/index.js';
import { setStageChannels } from '../src/engine.js';
import { choosePath, forcePath, inputPlane, setScatterMacs } from '../src/plan.js';
import { convInfo } from '../src/shape.js';
import { expectClose, randomData, variantsUnderTest } from './helpers.js';

interface Config {
  n: number; cing: number; coutg: number; groups: number; h: number; w: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number;
  dh: number; dw: number; oph: number; opw: number; bias: boolean; unbatched: boolean;
}

function name(c: Config): string {
  return `n${c.unbatched ? '-' : c.n}c${c.cing * c.groups}>${c.coutg * c.groups}h${c.h}w${c.w}_k${c.kh}x${c.kw}s${c.sh}x${c.sw}p${c.ph}x${c.pw}op${c.oph}x${c.opw}d${c.dh}x${c.dw}g${c.groups}${c.bias ? 'b' : ''}`;
}

function check(c: Config, seed: number): void {
  const cin = c.cing * c.groups, cout = c.coutg * c.groups;
  const xShape = c.unbatched ? [cin, c.h, c.w] : [c.n, cin, c.h, c.w];
  const x = new Tensor(randomData(xShape.reduce((a, b) => a * b, 1), seed), xShape);
  const w = new Tensor(randomData(cin * c.coutg * c.kh * c.kw, seed + 1), [cin, c.coutg, c.kh, c.kw]);
  const b = c.bias ? new Tensor(randomData(cout, seed + 2), [cout]) : null;
  const options = {
    stride: [c.sh, c.sw] as [number, number], padding: [c.ph, c.pw] as [number, number],
    outputPadding: [c.oph, c.opw] as [number, number], dilation: [c.dh, c.dw] as [number, number],
    groups: c.groups,
  };
  const want = convTranspose2dReference(x, w, b, options);
  const got = convTranspose2d(x, w, b, options);
  expect(got.shape, name(c)).toEqual(want.shape);
  expectClose(got.data, want.data, name(c));
}

const config = fc.record({
  n: fc.integer({ min: 1, max: 3 }), cing: fc.integer({ min: 1, max: 9 }),
  coutg: fc.integer({ min: 1, max: 11 }), groups: fc.integer({ min: 1, max: 4 }),
  h: fc.integer({ min: 1, max: 11 }), w: fc.integer({ min: 1, max: 13 }),
  kh: fc.integer({ min: 1, max: 5 }), kw: fc.integer({ min: 1, max: 5 }),
  sh: fc.integer({ min: 1, max: 5 }), sw: fc.integer({ min: 1, max: 5 }),
  ph: fc.integer({ min: 0, max: 4 }), pw: fc.integer({ min: 0, max: 4 }),
  dh: fc.integer({ min: 1, max: 3 }), dw: fc.integer({ min: 1, max: 3 }),
  oph: fc.integer({ min: 0, max: 4 }), opw: fc.integer({ min: 0, max: 4 }),
  bias: fc.boolean(), unbatched: fc.boolean(),
}).map((c) => ({ ...c, oph: c.oph % Math.max(c.sh, c.dh), opw: c.opw % Math.max(c.sw, c.dw) }))
  .filter((c) => {
    try {
      convTranspose2dOutputShape([c.n, c.cing * c.groups, c.h, c.w], [c.cing * c.groups, c.coutg, c.kh, c.kw], {
        stride: [c.sh, c.sw], padding: [c.ph, c.pw], outputPadding: [c.oph, c.opw], dilation: [c.dh, c.dw], groups: c.groups,
      });
      return true;
    } catch {
      return false;
    }
  });

const base: Config = { n: 1, cing: 1, coutg: 1, groups: 1, h: 1, w: 1, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, oph: 0, opw: 0, bias: false, unbatched: false };
// Hand-picked shapes that hit every path and remainder of the 4-channel x 8-pixel tile.
const edges: Partial<Config>[] = [
  {}, { cing: 3, coutg: 5, h: 1, w: 1, kh: 4, kw: 4 }, // 1x1 input (DCGAN's first layer)
  { cing: 7, coutg: 3, h: 9, w: 9 }, // 1x1 kernel
  { cing: 5, coutg: 6, h: 7, w: 13, kh: 4, kw: 4, sh: 2, sw: 2, ph: 1, pw: 1, bias: true }, // DCGAN k4s2p1
  { cing: 6, coutg: 3, h: 6, w: 6, kh: 2, kw: 2, sh: 2, sw: 2 }, // kernel == stride (U-Net)
  { cing: 3, coutg: 2, h: 5, w: 9, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, oph: 1, opw: 1 },
  { groups: 6, h: 5, w: 7, kh: 4, kw: 4, sh: 2, sw: 2, ph: 1, pw: 1, bias: true }, // depthwise
  { cing: 2, coutg: 2, groups: 3, h: 6, w: 5, kh: 3, kw: 3, dh: 3, dw: 2, ph: 2, pw: 2 }, // dilated
  { cing: 1, coutg: 1, h: 3, w: 3, kh: 2, kw: 2, sh: 5, sw: 7, oph: 4, opw: 3 }, // phases with no taps
  { cing: 300, coutg: 5, h: 3, w: 4, kh: 4, kw: 4, bias: true }, // input channels split over panels
  { cing: 2, coutg: 9, h: 4, w: 17, kh: 3, kw: 5, ph: 3, pw: 5, dh: 2, dw: 2 }, // padding trims all edges
  { n: 3, cing: 4, coutg: 4, h: 4, w: 4, kh: 4, kw: 4, sh: 2, sw: 2, ph: 1, pw: 1, bias: true }, // batch
  { cing: 3, coutg: 4, h: 5, w: 6, kh: 3, kw: 3, sh: 2, sw: 1, unbatched: true, bias: true },
  ...[1, 2, 3, 4, 5, 7, 8, 9, 12, 16].map((w) => ({ cing: 2, coutg: 7, h: 2, w, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 })),
  // gemv (1 x 1 input): batches, groups, padding that crops taps, channel x tap counts off 4 and 32
  { n: 2, groups: 2, cing: 3, coutg: 5, kh: 3, kw: 2, sh: 2, ph: 1, dh: 2, bias: true },
  { cing: 37, coutg: 9, kh: 4, kw: 4, oph: 0, bias: true },
  { cing: 5, coutg: 3, kh: 3, kw: 3, unbatched: true },
  // depthwise (one input channel per group): multipliers, strides 1, 2, 3, dilation, odd widths
  { groups: 5, coutg: 2, h: 5, w: 9, kh: 3, kw: 4, sh: 3, sw: 2, ph: 2, pw: 1, dh: 2, bias: true },
  { groups: 4, h: 7, w: 6, kh: 4, kw: 4, sh: 2, sw: 2, ph: 1, pw: 1, oph: 1, opw: 1 },
  { groups: 3, h: 6, w: 11, kh: 3, kw: 3, ph: 1, pw: 1, bias: true },
  { groups: 2, h: 4, w: 5, kh: 5, kw: 3, sh: 1, sw: 3, ph: 3, pw: 1, dw: 2, n: 2 },
  { coutg: 6, h: 3, w: 7, kh: 2, kw: 3, sh: 2, sw: 2 }, // a single input channel
  // k4s2: paired rows with whole quads (the row loop starts after them), an odd last row; column
  // phase 0 one pixel longer than phase 1 (its last column after the pairs); dilation 3 (the
  // general loop)
  { groups: 3, h: 5, w: 8, kh: 4, kw: 4, sh: 2, sw: 2, ph: 1, pw: 1, bias: true },
  { groups: 3, h: 4, w: 8, kh: 4, kw: 4, sh: 2, sw: 2, ph: 1, pw: 1, opw: 1 },
  { groups: 2, h: 6, w: 9, kh: 4, kw: 4, sh: 2, sw: 2, ph: 3, pw: 3, dh: 3, dw: 3 },
  // few output channels (columns path): RGB-like, with groups, batch and odd widths
  { cing: 20, coutg: 3, h: 5, w: 11, kh: 4, kw: 4, sh: 2, sw: 2, ph: 1, pw: 1, bias: true },
  { n: 2, cing: 17, coutg: 1, groups: 2, h: 4, w: 9, kh: 3, kw: 2, sh: 3, sw: 1, ph: 2, dw: 2, opw: 1 },
  // planes of 1 KiB multiples: the input is laid out with padded channel planes
  { n: 2, cing: 3, coutg: 7, h: 16, w: 16, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, oph: 1, opw: 1, bias: true },
  { cing: 6, coutg: 4, groups: 2, h: 32, w: 8, kh: 3, kw: 3, ph: 2, pw: 2, dh: 2, dw: 2 },
];

function pathsOf(shapes: Partial<Config>[]): string[] {
  return [...new Set(shapes.map((e) => {
    const c = { ...base, ...e };
    return choosePath(convInfo([c.n, c.cing * c.groups, c.h, c.w], [c.cing * c.groups, c.coutg, c.kh, c.kw], {
      stride: [c.sh, c.sw], padding: [c.ph, c.pw], outputPadding: [c.oph, c.opw], dilation: [c.dh, c.dw], groups: c.groups,
    }));
  }))].sort();
}

type Mode = 'policy' | 'scatter' | 'columns';

/**
 * Runs `body` on the paths the policy picks but with tiny calls kept off the scatter path
 * (policy), or with every call sent to the scatter or the columns path (both run any shape).
 * Weights are packed a few input channels per step (3 by policy, 2 on the columns path), so that
 * steps end inside groups and at their edges, as they do for large weights.
 */
function withPaths<T>(mode: Mode, body: () => T): T {
  const oldMacs = setScatterMacs(-1);
  const oldForced = forcePath(mode === 'policy' ? null : mode);
  const oldStage = setStageChannels(mode === 'columns' ? 2 : 3);
  try {
    return body();
  } finally {
    setScatterMacs(oldMacs);
    forcePath(oldForced);
    setStageChannels(oldStage);
  }
}

it('the hand-picked shapes reach every kernel path', () => {
  expect(pathsOf(edges)).toEqual(['columns', 'depthwise', 'gemv', 'scatter', 'subconv']);
  // With the scatter path off (as the runs below do), the small shapes keep the other paths covered.
  expect(withPaths('policy', () => pathsOf(edges))).toEqual(['columns', 'depthwise', 'gemv', 'subconv']);
  expect(withPaths('scatter', () => pathsOf(edges))).toEqual(['scatter']);
  expect(withPaths('columns', () => pathsOf(edges))).toEqual(['columns']);
  const padded = edges.filter((e) => {
    const c = { ...base, ...e };
    const info = convInfo([c.n, c.cing * c.groups, c.h, c.w], [c.cing * c.groups, c.coutg, c.kh, c.kw], { groups: c.groups });
    return inputPlane(info, choosePath(info)) > c.h * c.w;
  });
  expect(padded.length).toBe(2);
});

for (const variant of variantsUnderTest()) {
  // The shapes are small, so the default policy would send many of them to the scatter path,
  // and few have the channel counts of the columns path: those two paths get every shape on
  // their own, and the policy runs with the scatter path off.
  for (const mode of ['policy', 'scatter', 'columns'] as const) {
    const runs = mode === 'policy' ? 300 : 150;
    describe(`kernel ${variant} vs reference, ${mode === 'policy' ? 'paths by policy (no scatter)' : `${mode} path only`}`, () => {
      for (const [i, e] of edges.entries()) {
        const c = { ...base, ...e };
        it(name(c), async () => {
          await init({ variant });
          withPaths(mode, () => check(c, 100 + i));
        });
      }

      it(`random shapes (fast-check, ${runs} runs)`, async () => {
        await init({ variant });
        let seed = 1;
        withPaths(mode, () => fc.assert(fc.property(config, (c) => { check(c, seed++); }), { numRuns: runs, seed: 20261127 }));
      });
    });
  }
}
