import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { Variant, supportedVariants } from '../src/index.js';

export interface GoldenParams {
  in_channels: number; out_channels: number; kernel_size: [number, number];
  stride: [number, number]; padding: [number, number]; output_padding: [number, number];
  groups: number; dilation: [number, number]; bias: boolean;
}
export interface GoldenCase {
  name: string; params: GoldenParams; output_size: [number, number] | null;
  input_shape: number[]; input: number[]; weight_shape: number[]; weight: number[];
  bias: number[] | null; output_shape: number[]; output: number[];
}
export interface GoldenError {
  name: string; input_shape: number[] | null; weight_shape: number[] | null; bias_shape: number[] | null;
  options: Record<string, unknown>; constructor: Record<string, unknown> | null; pytorch_error: string;
}

export const golden: { cases: GoldenCase[]; errors: GoldenError[] } = JSON.parse(
  readFileSync(new URL('./fixtures/convtranspose2d.json', import.meta.url), 'utf8'));

/** The variants this process tests: CONVT_VARIANTS (comma list) or every one the runtime supports. */
export function variantsUnderTest(): Variant[] {
  const env = process.env.CONVT_VARIANTS;
  const want = env ? (env.split(',') as Variant[]) : supportedVariants();
  const missing = want.filter((v) => !supportedVariants().includes(v));
  if (missing.length) throw new Error(`variants ${missing.join(', ')} requested but not supported here`);
  return want;
}

/** The golden tolerance: |got - expected| <= 1e-4 * (1 + |expected|), element-wise. */
export function expectClose(got: ArrayLike<number>, expected: ArrayLike<number>, what = 'output'): void {
  expect(got.length, `${what} length`).toBe(expected.length);
  let worst = -1, worstIdx = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(got[i] - expected[i]) - 1e-4 * (1 + Math.abs(expected[i]));
    if (!(err <= 0) && (worstIdx < 0 || !(err <= worst))) { worst = err; worstIdx = i; }
  }
  if (worstIdx >= 0) {
    throw new Error(`${what}[${worstIdx}] = ${got[worstIdx]}, expected ${expected[worstIdx]} (tolerance 1e-4 * (1 + |expected|))`);
  }
}

/** Deterministic pseudo-random floats in [-1, 1) (mulberry32). */
export function randomData(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export function optionsOf(c: GoldenCase) {
  const p = c.params;
  return {
    stride: p.stride, padding: p.padding, outputPadding: p.output_padding,
    dilation: p.dilation, groups: p.groups, outputSize: c.output_size ?? undefined,
  };
}
