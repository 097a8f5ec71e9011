// Linear memory grows when a call needs more and is reused after; calls too big for 32-bit
// memory are refused with a RangeError before anything is allocated.
import { beforeAll, describe, expect, it } from 'vitest';
import { ConvTranspose2d, Tensor, convTranspose2d, convTranspose2dReference, init, wasmMemoryBytes } from '../src/index.js';
import { expectClose, randomData } from './helpers.js';

beforeAll(async () => { await init(); });

describe('memory', () => {
  it('1,000 functional calls of one shape leave memory no larger than after the first', () => {
    const x = new Tensor(randomData(1 * 32 * 8 * 8, 1), [1, 32, 8, 8]);
    const w = new Tensor(randomData(32 * 16 * 4 * 4, 2), [32, 16, 4, 4]);
    const b = new Tensor(randomData(16, 3), [16]);
    const first = convTranspose2d(x, w, b, { stride: 2, padding: 1 });
    const after = wasmMemoryBytes();
    for (let i = 0; i < 999; i++) convTranspose2d(x, w, b, { stride: 2, padding: 1 });
    expect(wasmMemoryBytes()).toBe(after);
    expect(Array.from(convTranspose2d(x, w, b, { stride: 2, padding: 1 }).data)).toEqual(Array.from(first.data));
  });

  it('1,000 module forwards of one shape leave memory no larger than after the first', () => {
    const m = new ConvTranspose2d(16, 8, 4, { stride: 2, padding: 1 });
    const x = new Tensor(randomData(2 * 16 * 6 * 6, 4), [2, 16, 6, 6]);
    m.forward(x);
    const after = wasmMemoryBytes();
    for (let i = 0; i < 999; i++) m.forward(x);
    expect(wasmMemoryBytes()).toBe(after);
    m.dispose();
  });

  it('memory grows for a bigger call and the result is still right', () => {
    const before = wasmMemoryBytes();
    const x = new Tensor(randomData(64 * 16 * 16, 5), [1, 64, 16, 16]);
    const w = new Tensor(randomData(64 * 32 * 4 * 4, 6), [64, 32, 4, 4]);
    const y = convTranspose2d(x, w, null, { stride: 2, padding: 1 });
    expect(wasmMemoryBytes()).toBeGreaterThan(before);
    expectClose(y.data, convTranspose2dReference(x, w, null, { stride: 2, padding: 1 }).data);
  });

  it('a call whose buffers exceed 32-bit memory throws a RangeError naming the sizes, allocating nothing', () => {
    const before = wasmMemoryBytes();
    const x = new Tensor(new Float32Array(4), [1, 1, 2, 2]);
    const w = new Tensor(new Float32Array(1), [1, 1, 1, 1]);
    const call = () => convTranspose2d(x, w, null, { stride: 50000 }); // output 50001 x 50001 floats
    expect(call).toThrow(RangeError);
    expect(call).toThrow(/needs 9537\.\d MiB of WebAssembly memory \(.*output 9537\.\d MiB.*\), more than .*4 GiB/);
    expect(wasmMemoryBytes()).toBe(before);
    const small = convTranspose2d(x, w, null, { stride: 2 });
    expect(Array.from(small.data)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
