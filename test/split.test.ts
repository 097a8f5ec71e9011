// The threads policy (src/split.ts): how much work a call is counted as, and which calls are
// worth spreading over threads.
import { describe, expect, it } from 'vitest';
import { convInfo } from '../src/shape.js';
import { MIN_THREADED_MACS, leadChunks, multiplyAdds, worthThreads } from '../src/split.js';
import { chunkStart } from '../src/worker.js';

const layer = (x: number[], w: number[], options = {}) => convInfo(x, w, options);

describe('multiplyAdds', () => {
  it('counts every input pixel times every tap of each output channel of its group', () => {
    // the worked example: 6 input pixels x 3 channels x 16 taps
    expect(multiplyAdds(layer([1, 1, 2, 3], [1, 3, 4, 4]))).toBe(288);
    // DCGAN's first layer, a 1x1 input: 100 x 512 x 16 (not 16 taps for each of the 16 output pixels)
    expect(multiplyAdds(layer([1, 100, 1, 1], [100, 512, 4, 4]))).toBe(819_200);
    // dcgan-3, stride 2: 256 x 128 x 64 pixels x 16 taps (4 per output pixel)
    expect(multiplyAdds(layer([1, 256, 8, 8], [256, 128, 4, 4], { stride: 2, padding: 1 }))).toBe(33_554_432);
    // groups and batch: 2 images x 6 channels x 2 output channels of each group x 35 pixels x 12 taps
    expect(multiplyAdds(layer([2, 6, 5, 7], [6, 2, 3, 4], { groups: 3 }))).toBe(2 * 6 * 2 * 35 * 12);
  });
});

describe('worthThreads', () => {
  it('spreads calls from MIN_THREADED_MACS multiply-adds, on more than one thread', () => {
    const dcgan1 = layer([1, 100, 1, 1], [100, 512, 4, 4]);
    expect(worthThreads(dcgan1, 2)).toBe(true);
    expect(worthThreads(dcgan1, 1)).toBe(false);
    // a 1x1 input layer of 204,800 multiply-adds (~0.05 ms) runs on the calling thread
    expect(worthThreads(layer([1, 100, 1, 1], [100, 128, 4, 4]), 2)).toBe(false);
    expect(MIN_THREADED_MACS).toBeGreaterThan(204_800);
    expect(MIN_THREADED_MACS).toBeLessThanOrEqual(819_200);
  });

  it('asks three times the work of calls doing under 16 multiply-adds per output value (depthwise)', () => {
    const depthwise = (c: number, hw: number) => layer([1, c, hw, hw], [c, 1, 4, 4], { stride: 2, padding: 1, groups: c });
    // 4 multiply-adds per output value: the bench's layer (64 channels of 32x32, 1,048,576) stays
    // on the calling thread, 64 channels of 64x64 (4,194,304) go to the workers
    expect(multiplyAdds(depthwise(64, 32))).toBe(1_048_576);
    expect(worthThreads(depthwise(64, 32), 2)).toBe(false);
    expect(worthThreads(depthwise(32, 64), 2)).toBe(false);
    expect(worthThreads(depthwise(64, 64), 2)).toBe(true);
    // the same work with 4 input channels per group (16 per output value) goes to the workers
    expect(worthThreads(layer([1, 64, 16, 16], [64, 4, 4, 4], { stride: 2, padding: 1, groups: 16 }), 2)).toBe(true);
  });
});

describe('leadChunks', () => {
  const starts = (items: number, threads: number, unit = 1) => {
    const { lead, leads } = leadChunks(items, threads, unit);
    const out: number[] = [];
    const start = (k: number) => chunkStart(k, lead, leads, unit, items);
    for (let k = 0; start(k) < items; k++) out.push(start(k));
    return out;
  };

  it('claims pairs of items while plenty are left, then the last threads x 2 items one by one', () => {
    // 64 items on 2 threads (decoder, unet-up): 30 pairs, then 4 single items
    expect(leadChunks(64, 2)).toEqual({ lead: 2, leads: 30 });
    const s = starts(64, 2);
    expect(s.length).toBe(34);
    expect(s.slice(0, 3)).toEqual([0, 2, 4]);
    expect(s.slice(-5)).toEqual([58, 60, 61, 62, 63]);
    // an odd count: the single items take the remainder
    expect(leadChunks(65, 2)).toEqual({ lead: 2, leads: 30 });
    expect(starts(65, 2).slice(-6)).toEqual([58, 60, 61, 62, 63, 64]);
  });

  it('claims one item at a time when pairs would leave fewer than 16 claims per thread, or on one thread', () => {
    expect(leadChunks(63, 2)).toEqual({ lead: 1, leads: 0 });
    expect(leadChunks(8, 2)).toEqual({ lead: 1, leads: 0 }); // dcgan-3
    expect(starts(8, 2)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(leadChunks(1000, 1)).toEqual({ lead: 1, leads: 0 });
    expect(leadChunks(96, 3)).toEqual({ lead: 2, leads: 45 });
  });

  it('scales with the smallest claim of very large jobs', () => {
    // unit 3: leading claims of 6 items, the last 14 (over 2 x 6) in claims of 3, the last one short
    expect(leadChunks(200, 2, 3)).toEqual({ lead: 6, leads: 31 });
    expect(starts(200, 2, 3).slice(-5)).toEqual([186, 189, 192, 195, 198]);
    expect(starts(200, 2, 3).slice(0, 2)).toEqual([0, 6]);
    // the last claim, from 198, is cut at the item count: it ends at 200, not 201
    expect(chunkStart(36, 6, 31, 3, 200)).toBe(200);
  });
});
