// Register-tiled microkernels: MR output channels x 8 pixels (two f32x4 per channel row).
// Measured on V8 (Node 20, Zen 4): 5x8 with one load32_splat per weight, no k unroll and an end
// pointer is the fastest tile in both builds (~39 GFLOP/s SIMD128, ~51 relaxed); 6x8 spills in
// the SIMD128 build (mul + add needs a temporary register), unrolling k makes V8 spill too.
//
// Work is a list of segments, each (weight offset from aBase, input pointer): for every segment,
// kc steps of weights a[k][0..MR) (packed MR = 5 apart) times input b[k][0..8) (bStride bytes
// apart). A segment is one kernel tap of one block of input channels, so one call sums all taps of
// a sub-convolution in registers. The 5 x 8 result goes to `tile` (row stride 32 bytes).
import { madd } from "./madd";

export const MR: i32 = 5;
export const NR: i32 = 8;

export function tile5x8(aBase: usize, segs: usize, nseg: i32, kc: i32, bStride: usize, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  const segEnd = segs + (<usize>nseg << 3);
  const aBytes = <usize>kc * (MR * 4);
  for (let s = segs; s < segEnd; s += 8) {
    let pa = aBase + <usize>load<u32>(s);
    let pb = <usize>load<u32>(s, 4);
    const ae = pa + aBytes;
    while (pa < ae) {
      const b0 = v128.load(pb), b1 = v128.load(pb, 16);
      const a0 = v128.load32_splat(pa);
      c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
      const a1 = v128.load32_splat(pa, 4);
      c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
      const a2 = v128.load32_splat(pa, 8);
      c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
      const a3 = v128.load32_splat(pa, 12);
      c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
      const a4 = v128.load32_splat(pa, 16);
      c40 = madd(a4, b0, c40); c41 = madd(a4, b1, c41);
      pa += MR * 4;
      pb += bStride;
    }
  }
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  v128.store(tile, c40, 128); v128.store(tile, c41, 144);
}

// The same for a last block of at most 4 channels (the packed weights still step by MR = 5).
export function tile4x8(aBase: usize, segs: usize, nseg: i32, kc: i32, bStride: usize, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const segEnd = segs + (<usize>nseg << 3);
  const aBytes = <usize>kc * (MR * 4);
  for (let s = segs; s < segEnd; s += 8) {
    let pa = aBase + <usize>load<u32>(s);
    let pb = <usize>load<u32>(s, 4);
    const ae = pa + aBytes;
    while (pa < ae) {
      const b0 = v128.load(pb), b1 = v128.load(pb, 16);
      const a0 = v128.load32_splat(pa);
      c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
      const a1 = v128.load32_splat(pa, 4);
      c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
      const a2 = v128.load32_splat(pa, 8);
      c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
      const a3 = v128.load32_splat(pa, 12);
      c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
      pa += MR * 4;
      pb += bStride;
    }
  }
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
}

// Runs the tile that covers `rows` (1..5) channels.
// @ts-ignore: decorator
@inline export function tile(rows: i32, aBase: usize, segs: usize, nseg: i32, kc: i32, bStride: usize, out: usize): void {
  if (rows == MR) tile5x8(aBase, segs, nseg, kc, bStride, out);
  else tile4x8(aBase, segs, nseg, kc, bStride, out);
}
