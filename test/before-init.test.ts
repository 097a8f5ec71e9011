// Before init() resolves, the kernel entry points say so; the reference needs no init.
import { expect, it } from 'vitest';
import { ConvTranspose2d, Tensor, convTranspose2d, convTranspose2dReference, wasmMemoryBytes } from '../src/index.js';

it('convTranspose2d and forward throw a clear error before init; the reference works', () => {
  const x = new Tensor(Float32Array.of(1, 2), [1, 1, 1, 2]);
  const w = new Tensor(Float32Array.of(1, 10), [1, 1, 1, 2]);
  expect(() => convTranspose2d(x, w)).toThrow(/call `await init\(\)` before/);
  expect(() => new ConvTranspose2d(1, 1, 2).forward(x)).toThrow(/call `await init\(\)` before/);
  expect(Array.from(convTranspose2dReference(x, w).data)).toEqual([1, 12, 20]);
  expect(wasmMemoryBytes()).toBe(0);
});
