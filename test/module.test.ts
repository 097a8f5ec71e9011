// The nn.ConvTranspose2d module class: golden cases through forward(), packed weights reused and
// refreshed, PyTorch's default init bounds.
import { describe, expect, it } from 'vitest';
import { ConvTranspose2d, Tensor, convTranspose2dReference, init } from '../src/index.js';
import { expectClose, golden, randomData, variantsUnderTest } from './helpers.js';

for (const variant of variantsUnderTest()) {
  describe(`ConvTranspose2d.forward on ${variant}`, () => {
    for (const c of golden.cases) {
      it(c.name, async () => {
        await init({ variant });
        const p = c.params;
        const m = new ConvTranspose2d(p.in_channels, p.out_channels, p.kernel_size, {
          stride: p.stride, padding: p.padding, outputPadding: p.output_padding,
          dilation: p.dilation, groups: p.groups, bias: p.bias,
        });
        expect(m.weight.shape).toEqual(c.weight_shape);
        m.weight = new Tensor(Float32Array.from(c.weight), c.weight_shape);
        if (c.bias) m.bias = new Tensor(Float32Array.from(c.bias), [c.bias.length]);
        else expect(m.bias).toBeNull();
        const x = new Tensor(Float32Array.from(c.input), c.input_shape);
        const y = m.forward(x, c.output_size ?? undefined);
        expect(y.shape).toEqual(c.output_shape);
        expectClose(y.data, c.output);
        // A second call reuses the packed weights and gives the same result.
        expect(Array.from(m.forward(x, c.output_size ?? undefined).data)).toEqual(Array.from(y.data));
        m.dispose();
      });
    }

    it('assigning weight or bias, or repack() after an in-place edit, refreshes the packed copy', async () => {
      await init({ variant });
      const m = new ConvTranspose2d(4, 6, 3, { stride: 2, padding: 1 });
      const x = new Tensor(randomData(4 * 5 * 5, 1), [1, 4, 5, 5]);
      const check = () => expectClose(m.forward(x).data, convTranspose2dReference(x, m.weight, m.bias, { stride: 2, padding: 1 }).data);
      check();
      m.weight = new Tensor(randomData(4 * 6 * 9, 2), [4, 6, 3, 3]);
      check();
      m.bias = new Tensor(randomData(6, 3), [6]);
      check();
      m.bias = null;
      check();
      m.weight.data[0] += 5;
      m.repack();
      check();
      m.dispose();
    });
  });
}

describe('ConvTranspose2d construction', () => {
  it('has PyTorch default init bounds: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = out/groups*kH*kW', () => {
    const m = new ConvTranspose2d(16, 8, [3, 5], { groups: 2 });
    expect(m.weight.shape).toEqual([16, 4, 3, 5]);
    expect(m.bias!.shape).toEqual([8]);
    const bound = 1 / Math.sqrt(4 * 3 * 5);
    const w = Array.from(m.weight.data);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(bound * 0.8);
    expect(new Set(w).size).toBeGreaterThan(w.length * 0.9);
    expect(Math.max(...Array.from(m.bias!.data).map(Math.abs))).toBeLessThanOrEqual(bound);
  });

  it('rejects a weight or bias of the wrong shape', () => {
    const m = new ConvTranspose2d(2, 3, 2);
    expect(() => { m.weight = new Tensor(new Float32Array(12), [3, 2, 2, 1]); })
      .toThrow(/weight of shape \[3, 2, 2, 1\] must have shape \[2, 3, 2, 2\]/);
    expect(() => { m.bias = new Tensor(new Float32Array(2), [2]); }).toThrow(/bias of shape \[2\] must have shape \[3\]/);
  });
});

describe('ConvTranspose2d geometry changes between calls', () => {
  it('a reassigned or edited stride, padding or dilation takes effect on the next forward', async () => {
    await init();
    const m = new ConvTranspose2d(2, 3, 3, { bias: false });
    const x = new Tensor(randomData(2 * 4 * 4, 5), [1, 2, 4, 4]);
    expect(m.forward(x).shape).toEqual([1, 3, 6, 6]);
    m.stride = [2, 2];
    const y = m.forward(x);
    expect(y.shape).toEqual([1, 3, 9, 9]);
    expectClose(y.data, convTranspose2dReference(x, m.weight, null, { stride: 2 }).data, 'stride 2');
    m.padding[0] = 1;
    m.dilation = [1, 2];
    const z = m.forward(x);
    const opts = { stride: 2, padding: [1, 0] as [number, number], dilation: [1, 2] as [number, number] };
    expect(z.shape).toEqual(convTranspose2dReference(x, m.weight, null, opts).shape);
    expectClose(z.data, convTranspose2dReference(x, m.weight, null, opts).data, 'padding and dilation');
  });

  it('a Tensor keeps its own copy of a shape array, frozen or not', () => {
    const shape = Object.freeze([2, 3]);
    const t = new Tensor(new Float32Array(6), shape);
    expect(t.shape).toEqual([2, 3]);
    expect(t.shape).not.toBe(shape);
    expect(Object.isFrozen(t.shape)).toBe(true);
  });
});
