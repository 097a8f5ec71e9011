// Every PyTorch golden case through the WebAssembly kernel (each build variant this process
// supports), through the plain-JS reference, and with the golden tolerance.
import { describe, expect, it } from 'vitest';
import { Tensor, convTranspose2d, convTranspose2dReference, init } from '../src/index.js';
import { expectClose, golden, optionsOf, variantsUnderTest } from './helpers.js';

const tensors = (c: (typeof golden.cases)[number]) => ({
  x: new Tensor(Float32Array.from(c.input), c.input_shape),
  w: new Tensor(Float32Array.from(c.weight), c.weight_shape),
  b: c.bias ? new Tensor(Float32Array.from(c.bias), [c.bias.length]) : null,
});

it('the fixture holds the worked example first and 164 cases', () => {
  expect(golden.cases.length).toBe(164);
  expect(golden.cases[0].output.slice(0, 6)).toEqual([0.1, 0.4, 1.0, 1.6, 1.7, 1.2].map((v) => expect.closeTo(v, 5)));
});

for (const variant of variantsUnderTest()) {
  describe(`kernel ${variant}`, () => {
    for (const c of golden.cases) {
      it(c.name, async () => {
        const r = await init({ variant });
        expect(r.variant).toBe(variant);
        const { x, w, b } = tensors(c);
        const y = convTranspose2d(x, w, b, optionsOf(c));
        expect(y.shape).toEqual(c.output_shape);
        expectClose(y.data, c.output);
      });
    }
  });
}

describe('reference', () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      const { x, w, b } = tensors(c);
      const y = convTranspose2dReference(x, w, b, optionsOf(c));
      expect(y.shape).toEqual(c.output_shape);
      expectClose(y.data, c.output);
    });
  }
});
