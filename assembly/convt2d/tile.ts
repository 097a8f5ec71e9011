// Register-tiled microkernels: MR output channels x 8 pixels (two f32x4 per channel row).
// Measured on V8 (Node 20, Zen 4): 5x8 with one load32_splat per weight, no k unroll and an end
// pointer is the fastest tile in both builds (~39 GFLOP/s SIMD128, ~51 relaxed); 6x8 spills in
// the SIMD128 build (mul + add needs a temporary register), unrolling k makes V8 spill too.
// The k loop must be the function's only loop: nested in a loop over taps, V8 allocates the
// accumulators badly and the same tile runs at ~20 GFLOP/s. So a call covers one tap (one
// segment) and carries the sum across taps through the tile buffer.
//
// One call: kc steps of weights a[k][0..MR) (packed MR = 5 floats apart) times inputs
// b[k][0..8) (bStride bytes apart), added to the tile when `acc`, else replacing it. The tile is
// 5 rows of 8 floats (row stride 32 bytes).
import { madd } from "./madd";

export const MR: i32 = 5;
export const NR: i32 = 8;

export function tile5x8(pa: usize, pb: usize, kc: i32, bStride: usize, tile: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  if (acc) {
    c00 = v128.load(tile, 0); c01 = v128.load(tile, 16);
    c10 = v128.load(tile, 32); c11 = v128.load(tile, 48);
    c20 = v128.load(tile, 64); c21 = v128.load(tile, 80);
    c30 = v128.load(tile, 96); c31 = v128.load(tile, 112);
    c40 = v128.load(tile, 128); c41 = v128.load(tile, 144);
  }
  const ae = pa + <usize>kc * (MR * 4);
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
  v128.store(tile, c00, 0); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  v128.store(tile, c40, 128); v128.store(tile, c41, 144);
}

// The same for a last block of at most 4 channels (the packed weights still step by MR = 5).
export function tile4x8(pa: usize, pb: usize, kc: i32, bStride: usize, tile: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (acc) {
    c00 = v128.load(tile, 0); c01 = v128.load(tile, 16);
    c10 = v128.load(tile, 32); c11 = v128.load(tile, 48);
    c20 = v128.load(tile, 64); c21 = v128.load(tile, 80);
    c30 = v128.load(tile, 96); c31 = v128.load(tile, 112);
  }
  const ae = pa + <usize>kc * (MR * 4);
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
  v128.store(tile, c00, 0); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
}

// The same for a last block of at most 3 channels (C_out = 3 layers: RGB output).
export function tile3x8(pa: usize, pb: usize, kc: i32, bStride: usize, tile: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  if (acc) {
    c00 = v128.load(tile, 0); c01 = v128.load(tile, 16);
    c10 = v128.load(tile, 32); c11 = v128.load(tile, 48);
    c20 = v128.load(tile, 64); c21 = v128.load(tile, 80);
  }
  const ae = pa + <usize>kc * (MR * 4);
  while (pa < ae) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
    const a1 = v128.load32_splat(pa, 4);
    c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
    const a2 = v128.load32_splat(pa, 8);
    c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
    pa += MR * 4;
    pb += bStride;
  }
  v128.store(tile, c00, 0); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
}

// Sums `nseg` segments (4 words each: weight offset from aBase, input pointer, steps k, input
// step in bytes) into the tile, using the smallest kernel that covers `rows` (1..5) channels. No segment: a zero tile.
// (Each kernel is called from two sites on purpose: the optimizer then keeps it a function of
// its own instead of inlining it into this loop, which would nest its k loop; see above.)
export function tileSegments(rows: i32, aBase: usize, segs: usize, nseg: i32, tile: usize): void {
  if (nseg == 0) {
    memory.fill(tile, 0, MR * NR * 4);
    return;
  }
  const end = segs + (<usize>nseg << 4);
  if (rows == MR) {
    tile5x8(aBase + <usize>load<u32>(segs), <usize>load<u32>(segs, 4), load<i32>(segs, 8), <usize>load<u32>(segs, 12), tile, false);
    for (let at = segs + 16; at < end; at += 16) {
      tile5x8(aBase + <usize>load<u32>(at), <usize>load<u32>(at, 4), load<i32>(at, 8), <usize>load<u32>(at, 12), tile, true);
    }
  } else if (rows == 4) {
    tile4x8(aBase + <usize>load<u32>(segs), <usize>load<u32>(segs, 4), load<i32>(segs, 8), <usize>load<u32>(segs, 12), tile, false);
    for (let at = segs + 16; at < end; at += 16) {
      tile4x8(aBase + <usize>load<u32>(at), <usize>load<u32>(at, 4), load<i32>(at, 8), <usize>load<u32>(at, 12), tile, true);
    }
  } else {
    tile3x8(aBase + <usize>load<u32>(segs), <usize>load<u32>(segs, 4), load<i32>(segs, 8), <usize>load<u32>(segs, 12), tile, false);
    for (let at = segs + 16; at < end; at += 16) {
      tile3x8(aBase + <usize>load<u32>(at), <usize>load<u32>(at, 4), load<i32>(at, 8), <usize>load<u32>(at, 12), tile, true);
    }
  }
}
