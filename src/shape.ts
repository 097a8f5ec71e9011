// Argument checking and shape inference, in one pure function: the user's tensors' shapes and
// options become one ConvInfo record that the kernel, the reference and the module all read.
// PyTorch's rules and order of checks apply; every message names the parameter and its value.
import { ownShape, shapeString } from './tensor.js';

/** (height, width), or one number for both. */
export type Pair = number | readonly [number, number];

export interface ConvTranspose2dOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  groups?: number;
  dilation?: Pair;
  /** As PyTorch forward(input, output_size): [H, W] or with leading dims; chooses outputPadding. */
  outputSize?: readonly number[];
}

export interface ConvInfo {
  batched: boolean;
  n: number; cin: number; h: number; w: number;
  cout: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number;
  oph: number; opw: number; dh: number; dw: number;
  groups: number;
  oh: number; ow: number;
  inputShape: number[];
  /** Frozen by the library (see ownShape): results share it. */
  outputShape: readonly number[];
}

const OPTION_NAMES = new Set(['stride', 'padding', 'outputPadding', 'groups', 'dilation', 'outputSize']);

function fmtValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => fmtValue(x)).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function pairString(p: readonly [number, number]): string {
  return `(${p[0]}, ${p[1]})`;
}

/** An int or an (h, w) pair of integers; TypeError otherwise. */
export function toPair(name: string, v: unknown, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  throw new TypeError(`${name} must be an integer or a pair of integers (height, width), got ${fmtValue(v)}`);
}

function checkPositive(name: string, p: [number, number], what: string): void {
  if (p[0] <= 0 || p[1] <= 0) throw new RangeError(`${name} ${pairString(p)} must be ${what}`);
}

export interface NormalizedOptions {
  stride: [number, number];
  padding: [number, number];
  outputPadding: [number, number];
  dilation: [number, number];
  groups: number;
  outputSize: number[] | null;
}

/** Checks the options' types and ranges that do not depend on the tensors. */
export function normalizeOptions(options: ConvTranspose2dOptions | undefined | null): NormalizedOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object, got ${fmtValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) {
      throw new TypeError(`unknown option ${JSON.stringify(key)} (expected one of ${[...OPTION_NAMES].join(', ')})`);
    }
  }
  const stride = toPair('stride', options.stride, 1);
  const padding = toPair('padding', options.padding, 0);
  const outputPadding = toPair('outputPadding', options.outputPadding, 0);
  const dilation = toPair('dilation', options.dilation, 1);
  const groups = options.groups ?? 1;
  if (typeof groups !== 'number' || !Number.isInteger(groups)) {
    throw new TypeError(`groups must be an integer, got ${fmtValue(groups)}`);
  }
  checkPositive('stride', stride, 'positive (non-positive stride is not supported)');
  if (padding[0] < 0 || padding[1] < 0) {
    throw new RangeError(`padding ${pairString(padding)} must be non-negative (negative padding is not supported)`);
  }
  checkPositive('dilation', dilation, 'greater than zero');
  if (outputPadding[0] < 0 || outputPadding[1] < 0) {
    throw new RangeError(`outputPadding ${pairString(outputPadding)} must be non-negative`);
  }
  if (groups <= 0) throw new RangeError(`groups ${groups} must be a positive integer`);
  let outputSize: number[] | null = null;
  if (options.outputSize !== undefined && options.outputSize !== null) {
    const os = options.outputSize as unknown;
    if (!Array.isArray(os) || !os.every((x) => typeof x === 'number' && Number.isInteger(x))) {
      throw new TypeError(`outputSize must be an array of integers, got ${fmtValue(os)}`);
    }
    outputSize = os.slice();
  }
  return { stride, padding, outputPadding, dilation, groups, outputSize };
}

/**
 * The one info record for a call, from the input and weight shapes (bias shape optional).
 * Throws TypeError for a wrong rank, RangeError for values out of range, as PyTorch rejects them.
 */
export function convInfo(inputShape: readonly number[], weightShape: readonly number[],
                         options: ConvTranspose2dOptions | undefined | null,
                         biasShape: readonly number[] | null = null): ConvInfo {
  const o = normalizeOptions(options);
  checkShape('input shape', inputShape);
  checkShape('weight shape', weightShape);
  if (inputShape.length !== 3 && inputShape.length !== 4) {
    throw new TypeError(`input must be 3-D (unbatched [C, H, W]) or 4-D (batched [N, C, H, W]), got input of shape ${shapeString(inputShape)}`);
  }
  if (weightShape.length !== 4) {
    throw new TypeError(`weight must be 4-D [C_in, C_out/groups, kH, kW], got weight of shape ${shapeString(weightShape)}`);
  }
  const batched = inputShape.length === 4;
  const [n, cin, h, w] = batched ? inputShape : [1, ...inputShape];
  const [wcin, coutg, kh, kw] = weightShape;
  const { groups } = o;
  if (wcin % groups !== 0) {
    throw new RangeError(`groups ${groups} must divide weight.shape[0] (in channels), but weight of shape ${shapeString(weightShape)} has ${wcin}`);
  }
  if (cin !== wcin) {
    throw new RangeError(`input of shape ${shapeString(inputShape)} has ${cin} channels, but weight of shape ${shapeString(weightShape)} expects ${wcin} (weight.shape[0])`);
  }
  const cout = coutg * groups;
  if (biasShape !== null) {
    if (biasShape.length !== 1 || biasShape[0] !== cout) {
      throw new RangeError(`bias of shape ${shapeString(biasShape)} must be 1-D with ${cout} elements (out channels = weight.shape[1] * groups)`);
    }
  }
  const [sh, sw] = o.stride;
  const [ph, pw] = o.padding;
  const [dh, dw] = o.dilation;
  let [oph, opw] = o.outputPadding;
  if (o.outputSize !== null) {
    [oph, opw] = outputPaddingFor(o.outputSize, inputShape, [h, w], [kh, kw], o);
  } else if (!((oph < sh || oph < dh) && (opw < sw || opw < dw))) {
    throw new RangeError(`outputPadding ${pairString(o.outputPadding)} must be smaller than stride ${pairString(o.stride)} or dilation ${pairString(o.dilation)}`);
  }
  const oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
  const ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
  if (oh <= 0 || ow <= 0 || kh === 0 || kw === 0) {
    throw new RangeError(`output size (${oh}, ${ow}) is too small: input size (${h}, ${w}), kernel (${kh}, ${kw}), stride ${pairString(o.stride)}, padding ${pairString(o.padding)}, dilation ${pairString(o.dilation)}, outputPadding (${oph}, ${opw}); each must be at least 1`);
  }
  const outputShape = ownShape(batched ? [n, cout, oh, ow] : [cout, oh, ow]);
  return {
    batched, n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, oph, opw, dh, dw, groups, oh, ow,
    inputShape: inputShape.slice(), outputShape,
  };
}

function checkShape(name: string, shape: readonly number[]): void {
  if (!Array.isArray(shape)) throw new TypeError(`${name} must be an array of dimensions, got ${fmtValue(shape)}`);
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new TypeError(`${name} ${shapeString(shape)} must hold non-negative integers (dimension ${i} is ${String(d)})`);
    }
  });
}

/** PyTorch's _output_padding: the output padding that makes the output outputSize. */
function outputPaddingFor(outputSize: number[], inputShape: readonly number[], hw: [number, number],
                          k: [number, number], o: NormalizedOptions): [number, number] {
  const nonSpatial = inputShape.length - 2;
  let size = outputSize;
  if (size.length === nonSpatial + 2) size = size.slice(nonSpatial);
  if (size.length !== 2) {
    throw new RangeError(`outputSize ${fmtValue(outputSize)} must have 2 or ${nonSpatial + 2} elements for input of shape ${shapeString(inputShape)}`);
  }
  const min = [0, 1].map((d) => (hw[d] - 1) * o.stride[d] - 2 * o.padding[d] + o.dilation[d] * (k[d] - 1) + 1);
  const max = [0, 1].map((d) => min[d] + o.stride[d] - 1);
  if (size[0] < min[0] || size[0] > max[0] || size[1] < min[1] || size[1] > max[1]) {
    throw new RangeError(`outputSize ${fmtValue(size)} is out of range: valid sizes range from [${min.join(', ')}] to [${max.join(', ')}] for an input of size [${hw.join(', ')}]`);
  }
  return [size[0] - min[0], size[1] - min[1]];
}

/** Output shape alone: the same result or error as the call would give. */
export function convTranspose2dOutputShape(inputShape: readonly number[], weightShape: readonly number[],
                                           options?: ConvTranspose2dOptions): number[] {
  return convInfo(inputShape, weightShape, options).outputShape.slice();
}
