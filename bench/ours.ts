// Adapters from a benchmark shape to the library under test (../src/index.js).
import * as lib from '../src/index.js';
import type { BenchShape, ShapeData } from './shapes.js';

export interface InitOptions { threads?: number; variant?: string }
export interface InitResult { variant: string; threads: number }

/** init() with the optional { variant } override (simd128 | relaxed-simd). */
export function initOurs(opts: InitOptions): Promise<InitResult> {
  const init = lib.init as unknown as (o?: InitOptions) => Promise<InitResult>;
  const o: InitOptions = {};
  if (opts.threads !== undefined && opts.threads > 1) o.threads = opts.threads;
  if (opts.variant) o.variant = opts.variant;
  return Object.keys(o).length ? init(o) : init();
}

export function convOptions(s: BenchShape) {
  return { stride: s.s, padding: s.p, outputPadding: s.op, groups: s.g, dilation: s.d };
}

function tensor(t: { data: Float32Array; shape: readonly number[] }) {
  return new lib.Tensor(t.data, t.shape);
}

type AsyncFn = (x: lib.Tensor, w: lib.Tensor, b: lib.Tensor | null,
  o: ReturnType<typeof convOptions>) => Promise<{ data: Float32Array }>;

/** Whether the library exports convTranspose2dAsync (the worker-thread entry of the API). */
export function hasAsync(): boolean {
  return typeof (lib as unknown as Record<string, unknown>).convTranspose2dAsync === 'function';
}

export interface OursRunners {
  functional(): Float32Array;
  module(): Float32Array;
  reference(): Float32Array;
  /** convTranspose2dAsync over the init({ threads }) workers (null if the library lacks it). */
  async: (() => Promise<Float32Array>) | null;
  /** ConvTranspose2d.forwardAsync (weights packed once, like ORT's session), or null. */
  moduleAsync: (() => Promise<Float32Array>) | null;
}

export function makeOursRunners(s: BenchShape, data: ShapeData): OursRunners {
  const x = tensor(data.x);
  const w = tensor(data.w);
  const b = tensor(data.b);
  const opts = convOptions(s);
  const m = new lib.ConvTranspose2d(s.cin, s.cout, s.k, {
    stride: s.s, padding: s.p, outputPadding: s.op, groups: s.g, dilation: s.d, bias: true,
  });
  m.weight = w;
  m.bias = b;
  const asyncFn = hasAsync() ? (lib as unknown as Record<string, AsyncFn>).convTranspose2dAsync : null;
  return {
    functional: () => lib.convTranspose2d(x, w, b, opts).data,
    module: () => m.forward(x).data,
    reference: () => lib.convTranspose2dReference(x, w, b, opts).data,
    async: asyncFn ? async () => (await asyncFn(x, w, b, opts)).data : null,
    moduleAsync: typeof (m as { forwardAsync?: unknown }).forwardAsync === 'function'
      ? async () => (await m.forwardAsync(x)).data : null,
  };
}

/** The builds (without threads) this runtime can run: the peak is measured for each. */
export function supportedVariants(): ('simd128' | 'relaxed-simd')[] {
  return lib.supportedVariants().filter((v): v is 'simd128' | 'relaxed-simd' => v === 'simd128' || v === 'relaxed-simd');
}

/** Ends the worker threads of init({ threads }) so the process can exit. */
export async function disposeOurs(): Promise<void> {
  const dispose = (lib as unknown as { dispose?: () => Promise<void> }).dispose;
  if (dispose) await dispose();
}
