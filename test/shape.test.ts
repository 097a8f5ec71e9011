// Shape inference alone, against the formula and the golden shapes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convTranspose2dOutputShape } from '../src/index.js';
import { golden, optionsOf } from './helpers.js';

describe('convTranspose2dOutputShape', () => {
  for (const c of golden.cases) {
    it(`golden ${c.name}`, () => {
      expect(convTranspose2dOutputShape(c.input_shape, c.weight_shape, optionsOf(c))).toEqual(c.output_shape);
    });
  }

  it('matches (H-1)*stride - 2*padding + dilation*(k-1) + outputPadding + 1 on each axis', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 5 }),
      (h, k, s, p, d, op) => {
        op = op % Math.max(s, d);
        const expectedH = (h - 1) * s - 2 * p + d * (k - 1) + op + 1;
        const opts = { stride: [s, 1] as [number, number], padding: [p, 0] as [number, number], dilation: [d, 1] as [number, number], outputPadding: [op, 0] as [number, number] };
        if (expectedH <= 0) {
          expect(() => convTranspose2dOutputShape([2, 3, h, 5], [3, 4, k, 2], opts)).toThrow(RangeError);
        } else {
          expect(convTranspose2dOutputShape([2, 3, h, 5], [3, 4, k, 2], opts)).toEqual([2, 4, expectedH, 6]);
        }
      }), { numRuns: 500 });
  });

  it('groups multiply the output channels; unbatched input gives an unbatched shape', () => {
    expect(convTranspose2dOutputShape([6, 4, 4], [6, 2, 3, 3], { groups: 3 })).toEqual([6, 6, 6]);
  });

  it('outputSize picks the output padding, with or without leading dims', () => {
    expect(convTranspose2dOutputShape([1, 1, 4, 4], [1, 1, 3, 3], { stride: 2, outputSize: [10, 9] })).toEqual([1, 1, 10, 9]);
    expect(convTranspose2dOutputShape([1, 1, 4, 4], [1, 1, 3, 3], { stride: 2, outputSize: [1, 1, 10, 10] })).toEqual([1, 1, 10, 10]);
    expect(convTranspose2dOutputShape([1, 4, 4], [1, 1, 3, 3], { stride: 2, outputSize: [1, 9, 10] })).toEqual([1, 9, 10]);
  });

  it('outputSize overrides outputPadding, as PyTorch does', () => {
    expect(convTranspose2dOutputShape([1, 1, 4, 4], [1, 1, 3, 3], { stride: 2, outputPadding: 1, outputSize: [9, 9] })).toEqual([1, 1, 9, 9]);
  });
});
