import { expect, it } from 'vitest';
import { Tensor } from '../src/index.js';

it('prints like PyTorch', () => {
  expect(new Tensor(Float32Array.of(0.1, 0.4, 1, 28.8), [1, 2, 2]).toString())
    .toBe('tensor([[[ 0.1000,  0.4000],\n         [ 1.0000, 28.8000]]])');
  expect(new Tensor(Float32Array.of(1, 2, 3, 4, 5, 6), [1, 1, 2, 3]).toString())
    .toBe('tensor([[[[1., 2., 3.],\n          [4., 5., 6.]]]])');
});
