// Bad input: each golden error configuration and each malformed tensor or option throws a
// TypeError or RangeError naming the parameter and its value, before any work; the library
// keeps giving right answers afterwards.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ConvTranspose2d, Tensor, convTranspose2d, convTranspose2dOutputShape, convTranspose2dReference, init,
} from '../src/index.js';
import { expectClose, golden } from './helpers.js';

const expected: Record<string, [ErrorConstructor, RegExp]> = {
  'input channels differ from weight': [RangeError, /input of shape \[1, 3, 4, 4\] has 3 channels, but weight of shape \[2, 5, 3, 3\] expects 2/],
  'input rank 2': [TypeError, /input must be 3-D .*or 4-D .*got input of shape \[4, 4\]/],
  'input rank 5': [TypeError, /input must be 3-D .*or 4-D .*got input of shape \[1, 1, 1, 4, 4\]/],
  'output_padding not smaller than stride or dilation': [RangeError, /^outputPadding \(2, 2\) must be smaller than stride \(2, 2\) or dilation \(1, 1\)$/],
  'non-positive output size': [RangeError, /output size \(-1, -1\) is too small: input size \(1, 1\)/],
  'bias length differs from out channels': [RangeError, /bias of shape \[4\] must be 1-D with 3 elements/],
  'stride zero': [RangeError, /stride \(0, 0\) must be positive/],
  'negative padding': [RangeError, /padding \(-1, -1\) must be non-negative/],
  'dilation zero': [RangeError, /dilation \(0, 0\) must be greater than zero/],
  'groups do not divide input channels': [RangeError, /groups 2 must divide weight\.shape\[0\] .*weight of shape \[3, 2, 3, 3\] has 3/],
  'output_size above the reachable range': [RangeError, /outputSize \[11, 11\] is out of range: valid sizes range from \[9, 9\] to \[10, 10\]/],
  'output_size below the reachable range': [RangeError, /outputSize \[8, 8\] is out of range: valid sizes range from \[9, 9\] to \[10, 10\]/],
  'constructor: in_channels not divisible by groups': [RangeError, /inChannels 3 must be divisible by groups 2/],
  'constructor: out_channels not divisible by groups': [RangeError, /outChannels 3 must be divisible by groups 2/],
  'constructor: padding_mode reflect': [RangeError, /paddingMode "reflect" is not supported/],
  'constructor: groups zero': [RangeError, /groups must be a positive integer, got 0/],
};

const zeros = (shape: number[]) => new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
const ourOptions = (o: Record<string, unknown>) => ({
  stride: o.stride as number, padding: o.padding as number, outputPadding: o.output_padding as number,
  dilation: o.dilation as number, groups: o.groups as number, outputSize: o.output_size as number[],
});

// The worked example must still come out right after every error.
const worked = golden.cases[0];
function expectLibraryIntact(): void {
  const y = convTranspose2d(new Tensor(Float32Array.from(worked.input), worked.input_shape),
                            new Tensor(Float32Array.from(worked.weight), worked.weight_shape), null);
  expectClose(y.data, worked.output);
}

beforeAll(async () => { await init(); });

describe('golden error cases', () => {
  it('every golden error has an expectation here', () => {
    expect(golden.errors.map((e) => e.name).sort()).toEqual(Object.keys(expected).sort());
  });

  for (const e of golden.errors) {
    const [kind, message] = expected[e.name];
    it(e.name, () => {
      if (e.constructor) {
        const c = e.constructor;
        const make = () => new ConvTranspose2d(c.in_channels as number, c.out_channels as number, c.kernel_size as number, {
          groups: c.groups as number, paddingMode: c.padding_mode as 'zeros',
        });
        expect(make).toThrow(kind);
        expect(make).toThrow(message);
      } else {
        const x = zeros(e.input_shape!), w = zeros(e.weight_shape!);
        const b = e.bias_shape ? zeros(e.bias_shape) : null;
        const o = ourOptions(e.options);
        for (const call of [
          () => convTranspose2d(x, w, b, o),
          () => convTranspose2dReference(x, w, b, o),
          // Shape inference takes no bias, so it can only reject the other configurations.
          ...(b ? [] : [() => convTranspose2dOutputShape(e.input_shape!, e.weight_shape!, o)]),
        ]) {
          expect(call).toThrow(kind);
          expect(call).toThrow(message);
        }
      }
      expectLibraryIntact();
    });
  }
});

describe('malformed tensors and options', () => {
  const x = zeros([1, 2, 3, 3]), w = zeros([2, 3, 2, 2]);
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ['data length does not match shape', () => convTranspose2d({ data: new Float32Array(17), shape: [1, 2, 3, 3] }, w), TypeError, /input\.data has 17 elements but input\.shape \[1, 2, 3, 3\] needs 18/],
    ['data is a plain Array', () => convTranspose2d({ data: [1, 2] as unknown as Float32Array, shape: [1, 1, 1, 2] }, w), TypeError, /input\.data must be a Float32Array, got an Array/],
    ['data is a Float64Array', () => convTranspose2d(x, { data: new Float64Array(24) as unknown as Float32Array, shape: [2, 3, 2, 2] }), TypeError, /weight\.data must be a Float32Array, got Float64Array/],
    ['input is null', () => convTranspose2d(null as unknown as Tensor, w), TypeError, /input must be a Tensor/],
    ['negative dimension', () => convTranspose2d({ data: new Float32Array(0), shape: [1, 2, -3, 3] }, w), TypeError, /input\.shape \[1, 2, -3, 3\] must hold non-negative integers \(dimension 2 is -3\)/],
    ['fractional dimension', () => convTranspose2d(x, { data: new Float32Array(24), shape: [2, 3, 2.5, 1.6] }), TypeError, /weight\.shape \[2, 3, 2\.5, 1\.6\] must hold non-negative integers \(dimension 2 is 2\.5\)/],
    ['weight of rank 3', () => convTranspose2d(x, zeros([2, 3, 4])), TypeError, /weight must be 4-D .*got weight of shape \[2, 3, 4\]/],
    ['bias of rank 2', () => convTranspose2d(x, w, zeros([3, 1])), RangeError, /bias of shape \[3, 1\] must be 1-D with 3 elements/],
    ['NaN stride', () => convTranspose2d(x, w, null, { stride: NaN }), TypeError, /stride must be an integer or a pair of integers \(height, width\), got NaN/],
    ['fractional stride', () => convTranspose2d(x, w, null, { stride: 1.5 }), TypeError, /stride must be .*got 1\.5/],
    ['fractional padding', () => convTranspose2d(x, w, null, { padding: [0, 0.5] }), TypeError, /padding must be .*got \[0, 0\.5\]/],
    ['NaN dilation', () => convTranspose2d(x, w, null, { dilation: [1, NaN] }), TypeError, /dilation must be .*got \[1, NaN\]/],
    ['stride with three values', () => convTranspose2d(x, w, null, { stride: [1, 2, 3] as unknown as [number, number] }), TypeError, /stride must be .*got \[1, 2, 3\]/],
    ['outputPadding with one value', () => convTranspose2d(x, w, null, { outputPadding: [1] as unknown as [number, number] }), TypeError, /outputPadding must be .*got \[1\]/],
    ['stride as a string', () => convTranspose2d(x, w, null, { stride: '2' as unknown as number }), TypeError, /stride must be .*got "2"/],
    ['fractional groups', () => convTranspose2d(x, w, null, { groups: 1.5 }), TypeError, /groups must be an integer, got 1\.5/],
    ['negative groups', () => convTranspose2d(x, w, null, { groups: -1 }), RangeError, /groups -1 must be a positive integer/],
    ['negative outputPadding', () => convTranspose2d(x, w, null, { outputPadding: -1 }), RangeError, /outputPadding \(-1, -1\) must be non-negative/],
    ['outputSize with three values', () => convTranspose2d(x, w, null, { outputSize: [4, 4, 4] }), RangeError, /outputSize \[4, 4, 4\] must have 2 or 4 elements/],
    ['outputSize not integers', () => convTranspose2d(x, w, null, { outputSize: [4.5, 4] }), TypeError, /outputSize must be an array of integers, got \[4\.5, 4\]/],
    ['unknown option', () => convTranspose2d(x, w, null, { output_padding: 1 } as never), TypeError, /unknown option "output_padding"/],
    ['module kernelSize fractional', () => new ConvTranspose2d(1, 1, 2.5), TypeError, /kernelSize must be .*got 2\.5/],
    ['module inChannels zero', () => new ConvTranspose2d(0, 1, 3), RangeError, /inChannels 0 must be a positive integer/],
    ['module forward with wrong channels', () => new ConvTranspose2d(3, 1, 3).forward(x), RangeError, /input of shape \[1, 2, 3, 3\] has 2 channels, but weight of shape \[3, 1, 3, 3\] expects 3/],
  ];
  for (const [what, call, kind, message] of cases) {
    it(what, () => {
      expect(call).toThrow(kind);
      expect(call).toThrow(message);
      expectLibraryIntact();
    });
  }
});
