// a * b + c on f32x4. The relaxed build fuses it (one FMA where the CPU has one); the SIMD128
// build must not see the relaxed instruction, so the branch is on the compiler's feature flag.
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}
