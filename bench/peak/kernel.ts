// The machine's f32x4 multiply-add ceiling, as V8 runs it: 12 independent accumulator chains
// (enough to cover the add/FMA latency), each step acc = acc * x + y, 96 flops per iteration.
// x and y are loaded from memory so the optimizer cannot fold or re-splat them in the loop.
// Built twice like the kernels: SIMD128 (mul + add) and relaxed SIMD (relaxed_madd).

// @ts-ignore: decorator
@inline function step(a: v128, x: v128, y: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, x, y);
  return f32x4.add(f32x4.mul(a, x), y);
}

export function peak(iters: i32, p: usize): f32 {
  const x = v128.load(p), y = v128.load(p, 16);
  let a0 = f32x4.splat(1.0), a1 = f32x4.splat(1.01), a2 = f32x4.splat(1.02), a3 = f32x4.splat(1.03);
  let a4 = f32x4.splat(1.04), a5 = f32x4.splat(1.05), a6 = f32x4.splat(1.06), a7 = f32x4.splat(1.07);
  let a8 = f32x4.splat(1.08), a9 = f32x4.splat(1.09), a10 = f32x4.splat(1.1), a11 = f32x4.splat(1.11);
  for (let i = 0; i < iters; i++) {
    a0 = step(a0, x, y); a1 = step(a1, x, y); a2 = step(a2, x, y); a3 = step(a3, x, y);
    a4 = step(a4, x, y); a5 = step(a5, x, y); a6 = step(a6, x, y); a7 = step(a7, x, y);
    a8 = step(a8, x, y); a9 = step(a9, x, y); a10 = step(a10, x, y); a11 = step(a11, x, y);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)),
    f32x4.add(f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)), f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11))));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

export const FLOPS_PER_ITER: i32 = 96;
