// nn.ConvTranspose2d: owns weight and bias, created with PyTorch's default init, and keeps a
// packed copy of them in WebAssembly memory between forward() calls.
import { Engine, PackedWeights } from './engine.js';
import { Layout, choosePath, layoutOf } from './plan.js';
import { ConvInfo, Pair, convInfo, normalizeOptions, toPair } from './shape.js';
import { currentEngine } from './state.js';
import { Tensor, TensorLike, checkTensor, resultTensor, shapeString } from './tensor.js';
import { forwardAsync } from './threaded.js';

export interface ConvTranspose2dModuleOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  groups?: number;
  bias?: boolean;
  dilation?: Pair;
  paddingMode?: 'zeros';
}

// Packed weights are freed when their module is collected (or by dispose()).
const registry = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<PackedWeights>((p) => p.engine.release(p))
  : null;

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${name} must be an integer, got ${String(v)}`);
  if (v <= 0) throw new RangeError(`${name} ${v} must be a positive integer`);
  return v;
}

function uniform(n: number, bound: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (Math.random() * 2 - 1) * bound;
  return a;
}

export class ConvTranspose2d {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly paddingMode = 'zeros';
  private _weight!: Tensor;
  private _bias: Tensor | null = null;
  // One packed copy per layout in use (input sizes can select paths with different layouts).
  private packed = new Map<Layout, PackedWeights>();
  // The last input shape's info record and the geometry it was made with (see prepare).
  private lastInfo: ConvInfo | null = null;
  private lastGeometry: number[] = [];

  constructor(inChannels: number, outChannels: number, kernelSize: Pair,
              options: ConvTranspose2dModuleOptions = {}) {
    const groups = options.groups ?? 1;
    if (typeof groups !== 'number' || !Number.isInteger(groups) || groups <= 0) {
      throw new RangeError(`groups must be a positive integer, got ${String(groups)}`);
    }
    this.inChannels = positiveInt('inChannels', inChannels);
    this.outChannels = positiveInt('outChannels', outChannels);
    if (inChannels % groups !== 0) throw new RangeError(`inChannels ${inChannels} must be divisible by groups ${groups}`);
    if (outChannels % groups !== 0) throw new RangeError(`outChannels ${outChannels} must be divisible by groups ${groups}`);
    if ((options.paddingMode ?? 'zeros') !== 'zeros') {
      throw new RangeError(`paddingMode ${JSON.stringify(options.paddingMode)} is not supported: only "zeros" padding mode is supported for ConvTranspose2d`);
    }
    this.kernelSize = toPair('kernelSize', kernelSize, 0);
    if (this.kernelSize[0] <= 0 || this.kernelSize[1] <= 0) {
      throw new RangeError(`kernelSize (${this.kernelSize.join(', ')}) must be positive`);
    }
    this.stride = toPair('stride', options.stride, 1);
    this.padding = toPair('padding', options.padding, 0);
    this.outputPadding = toPair('outputPadding', options.outputPadding, 0);
    this.dilation = toPair('dilation', options.dilation, 1);
    this.groups = groups;
    normalizeOptions(this.callOptions()); // types and ranges now; the rest at forward, as PyTorch
    // PyTorch: kaiming_uniform_(a=sqrt(5)) with fan_in = weight.size(1) * kH * kW, i.e. U(-b, b)
    // with b = 1/sqrt(fan_in); the bias uses the same bound.
    const [kh, kw] = this.kernelSize;
    const fanIn = (outChannels / groups) * kh * kw;
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = new Tensor(uniform(inChannels * (outChannels / groups) * kh * kw, bound),
                             [inChannels, outChannels / groups, kh, kw]);
    this.bias = options.bias === false ? null : new Tensor(uniform(outChannels, bound), [outChannels]);
  }

  get weight(): Tensor {
    return this._weight;
  }

  /** Replaces the weight ([inChannels, outChannels/groups, kH, kW]); the packed copy is refreshed. */
  set weight(t: TensorLike) {
    const shape = checkTensor('weight', t);
    const want = [this.inChannels, this.outChannels / this.groups, ...this.kernelSize];
    if (shape.length !== 4 || shape.some((d, i) => d !== want[i])) {
      throw new RangeError(`weight of shape ${shapeString(shape)} must have shape ${shapeString(want)}`);
    }
    this._weight = t instanceof Tensor ? t : new Tensor(t.data, t.shape);
    this.repack();
  }

  get bias(): Tensor | null {
    return this._bias;
  }

  /** Replaces the bias ([outChannels]) or removes it (null); the packed copy is refreshed. */
  set bias(t: TensorLike | null) {
    if (t !== null) {
      const shape = checkTensor('bias', t);
      if (shape.length !== 1 || shape[0] !== this.outChannels) {
        throw new RangeError(`bias of shape ${shapeString(shape)} must have shape [${this.outChannels}]`);
      }
    }
    this._bias = t === null ? null : t instanceof Tensor ? t : new Tensor(t.data, t.shape);
    this.repack();
  }

  private callOptions(outputSize?: readonly number[]) {
    return {
      stride: this.stride, padding: this.padding, outputPadding: this.outputPadding,
      dilation: this.dilation, groups: this.groups, outputSize,
    };
  }

  /**
   * Drops the packed copy so the next forward() packs weight and bias again. Assigning weight or
   * bias does this; call it after editing weight.data or bias.data in place.
   */
  repack(): void {
    for (const p of this.packed.values()) {
      registry?.unregister(p);
      p.engine.release(p);
    }
    this.packed.clear();
  }

  /** Frees the packed weights in WebAssembly memory now instead of when the module is collected. */
  dispose(): void {
    this.repack();
  }

  /** Checks the input and returns the call's info record (used by forward and forwardAsync). */
  protected prepare(input: TensorLike, outputSize?: readonly number[]): ConvInfo {
    // Weight and bias were checked when assigned (their shapes are frozen): only the input here.
    const shape = checkTensor('input', input);
    const last = this.lastInfo;
    // A layer usually sees one input shape over and over: its info record is then reused, as
    // long as stride, padding, output padding, dilation and groups are still the values it was
    // made with (they may be reassigned, as in PyTorch; weight and bias keep their shapes).
    if (outputSize === undefined && last && sameShape(last.inputShape, shape) && this.sameGeometry(this.lastGeometry)) return last;
    const info = convInfo(shape, this._weight.shape, this.callOptions(outputSize),
                          this._bias ? this._bias.shape : null);
    if (outputSize === undefined) {
      this.lastInfo = info;
      this.lastGeometry = [...this.stride, ...this.padding, ...this.outputPadding, ...this.dilation, this.groups];
    }
    return info;
  }

  /** Whether `g` (as stored in lastGeometry) holds the current geometry; no allocation per call. */
  private sameGeometry(g: readonly number[]): boolean {
    const { stride: s, padding: p, outputPadding: o, dilation: d } = this;
    return g[0] === s[0] && g[1] === s[1] && g[2] === p[0] && g[3] === p[1] && g[4] === o[0] &&
      g[5] === o[1] && g[6] === d[0] && g[7] === d[1] && g[8] === this.groups;
  }

  protected packedFor(engine: Engine, info: ConvInfo): PackedWeights {
    const layout = layoutOf(choosePath(info));
    let p = this.packed.get(layout);
    if (p && p.engine !== engine) {
      this.repack();
      p = undefined;
    }
    if (!p) {
      p = engine.pack(info, this._weight.data, this._bias?.data ?? null, layout);
      this.packed.set(layout, p);
      registry?.register(this, p, p);
    }
    return p;
  }

  /** y = conv_transpose2d(input, weight, bias), as PyTorch's forward(input, output_size). */
  forward(input: TensorLike, outputSize?: readonly number[]): Tensor {
    const engine = currentEngine();
    if (!engine) throw new Error('ConvTranspose2d.forward: call `await init()` before running the WebAssembly kernel');
    const info = this.prepare(input, outputSize);
    const out = engine.forward(info, input.data, this.packedFor(engine, info));
    return resultTensor(out, info.outputShape);
  }

  /**
   * forward() spread over the threads of init({ threads }); resolves with the output. The call
   * uses the weight and bias as they are when it is made, even if they are replaced before it
   * runs; errors reject with the error forward() would throw.
   */
  forwardAsync(input: TensorLike, outputSize?: readonly number[]): Promise<Tensor> {
    try {
      const engine = currentEngine();
      if (!engine) throw new Error('ConvTranspose2d.forwardAsync: call `await init()` before running the WebAssembly kernel');
      const info = this.prepare(input, outputSize);
      return forwardAsync(engine, info, input.data, this.packedFor(engine, info));
    } catch (e) {
      return Promise.reject(e);
    }
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
