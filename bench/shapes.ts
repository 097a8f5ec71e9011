// Benchmark shapes: loading shapes.json, FLOP counts and deterministic test data.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

export interface BenchShape {
  name: string;
  n: number; cin: number; h: number; w: number; cout: number;
  k: number; s: number; p: number; op: number; d: number; g: number;
}

/** The bench/ source folder, found from this module whether run from bench/ or build/bench/. */
export function benchDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // build/bench/shapes.js -> <root>/bench ; bench/shapes.ts (ts-node style) -> <root>/bench
  const parts = here.split(/[\\/]/);
  if (parts[parts.length - 1] === 'bench' && parts[parts.length - 2] === 'build') {
    return resolve(here, '..', '..', 'bench');
  }
  return here;
}

export function repoRoot(): string { return resolve(benchDir(), '..'); }

export function loadShapes(): BenchShape[] {
  const raw = JSON.parse(readFileSync(resolve(benchDir(), 'shapes.json'), 'utf8')) as BenchShape[];
  for (const s of raw) {
    for (const key of ['n', 'cin', 'h', 'w', 'cout', 'k', 's', 'p', 'op', 'd', 'g'] as const) {
      if (!Number.isInteger(s[key])) throw new Error(`shapes.json: ${s.name}: ${key} is not an integer`);
    }
  }
  return raw;
}

/** Output spatial size, PyTorch formula. */
export function outSize(s: BenchShape): [number, number] {
  const ho = (s.h - 1) * s.s - 2 * s.p + s.d * (s.k - 1) + s.op + 1;
  const wo = (s.w - 1) * s.s - 2 * s.p + s.d * (s.k - 1) + s.op + 1;
  return [ho, wo];
}

export function outShape(s: BenchShape): number[] {
  const [ho, wo] = outSize(s);
  return [s.n, s.cout, ho, wo];
}

/** Multiply-adds * 2 that a transposed convolution really needs. */
export function flops(s: BenchShape): number {
  return 2 * s.n * s.cin * s.h * s.w * (s.cout / s.g) * s.k * s.k;
}

/** Short human label of the geometry, e.g. "1x512x4x4 -> 256ch k4 s2 p1". */
export function describe(s: BenchShape): string {
  let t = `${s.n}x${s.cin}x${s.h}x${s.w} -> ${s.cout}ch k${s.k} s${s.s}`;
  if (s.p) t += ` p${s.p}`;
  if (s.op) t += ` op${s.op}`;
  if (s.d !== 1) t += ` d${s.d}`;
  if (s.g !== 1) t += ` g${s.g}`;
  return t;
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(len: number, lo: number, hi: number, r: () => number): Float32Array {
  const a = new Float32Array(len);
  for (let i = 0; i < len; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

export interface TensorData { data: Float32Array; shape: number[] }

export interface ShapeData {
  x: TensorData;        // [N, Cin, H, W]
  w: TensorData;        // [Cin, Cout/g, k, k]
  b: TensorData;        // [Cout]
}

/** Input in [-1, 1); weight and bias within PyTorch's default init bound 1/sqrt(fan_in). */
export function makeData(s: BenchShape, seed = 1234): ShapeData {
  const r = rng(seed ^ (s.cin * 7919 + s.cout * 104729 + s.h * 31 + s.k));
  const coutG = s.cout / s.g;
  const fanIn = coutG * s.k * s.k; // PyTorch computes fan_in of ConvTranspose weight from dim 1
  const bound = 1 / Math.sqrt(fanIn);
  const xShape = [s.n, s.cin, s.h, s.w];
  const wShape = [s.cin, coutG, s.k, s.k];
  return {
    x: { data: uniform(s.n * s.cin * s.h * s.w, -1, 1, r), shape: xShape },
    w: { data: uniform(s.cin * coutG * s.k * s.k, -bound, bound, r), shape: wShape },
    b: { data: uniform(s.cout, -bound, bound, r), shape: [s.cout] },
  };
}

/** Max |a-b| and whether every element satisfies |a-b| <= tol*(1+|ref|). */
export function compare(actual: Float32Array, ref: Float32Array, tol = 1e-4): { maxDiff: number; ok: boolean; worst: number } {
  if (actual.length !== ref.length) return { maxDiff: Infinity, ok: false, worst: -1 };
  let maxDiff = 0; let ok = true; let worst = -1;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(actual[i] - ref[i]);
    if (!(d <= tol * (1 + Math.abs(ref[i])))) { if (ok) worst = i; ok = false; }
    if (d > maxDiff || Number.isNaN(d)) { maxDiff = Number.isNaN(d) ? Infinity : d; }
  }
  return { maxDiff, ok, worst };
}
