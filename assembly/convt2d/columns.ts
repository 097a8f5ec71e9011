// Layers whose sub-convolution tiles would be mostly empty: few output channels per group (an
// RGB output layer: C_out = 3). Every tap of every output channel is a row of its own: one GEMM
// of (C_out/G * kH * kW) rows x (input pixels) x (C_in/G), in 5 x 8 tiles over 8 consecutive
// pixels of an input plane, each finished tile then added at its taps' places in the output
// (col2im one tile at a time: no column buffer).
// Weights in the columns layout (pack.ts).
// A work item is (batch n, group g, band of output rows), numbered like subconv's: a band is
// P_ROWS * stride_h output rows, and its item runs every input row that reaches the band, adding
// only inside it (bands need not align with input rows: edge rows are computed by both items).
import {
  param, ptr, P_N, P_CIN, P_H, P_W, P_COUT, P_KH, P_KW, P_SH, P_SW, P_PH, P_PW, P_DH, P_DW,
  P_GROUPS, P_OH, P_OW, P_X, P_Y, P_PACKED, P_SCRATCH, P_ROWS, inputPlaneBytes,
} from "../params";
import { biasFloats, columnRows, columnBlocks } from "../pack";
import { MR, NR, tileSegments } from "./tile";
import { fillPlane } from "./store";

// Scratch: one segment (16 bytes, padded to 32), then the tile.
export function columnsScratchBytes(p: usize): usize {
  return 32 + MR * NR * 4;
}

// Bands of output rows per image and group.
// @ts-ignore: decorator
@inline function bands(p: usize): i32 {
  const sh = param(p, P_SH), per = param(p, P_ROWS);
  return ((param(p, P_OH) + sh - 1) / sh + per - 1) / per;
}

export function columnsItems(p: usize): i32 {
  return param(p, P_N) * param(p, P_GROUPS) * bands(p);
}

export function columnsRun(p: usize, begin: i32, end: i32): void {
  for (let item = begin; item < end; item++) runItem(p, item);
}

// Weight bytes up to which every block stays in L1 while the pixels stream past.
const CACHED_WEIGHTS: usize = 16384;

function runItem(p: usize, item: i32): void {
  const groups = param(p, P_GROUPS), nb = bands(p);
  const rb = item % nb, g = (item / nb) % groups, n = item / (nb * groups);
  const cin = param(p, P_CIN), cout = param(p, P_COUT);
  const cing = cin / groups, coutg = cout / groups;
  const h = param(p, P_H), w = param(p, P_W), oh = param(p, P_OH), ow = param(p, P_OW);
  const kh = param(p, P_KH), sh = param(p, P_SH), ph = param(p, P_PH), dh = param(p, P_DH);
  const packed = ptr(p, P_PACKED);
  const planeBytes = <usize>(oh * ow) << 2;
  const y = ptr(p, P_Y) + <usize>(n * cout + g * coutg) * planeBytes;
  const r0 = rb * param(p, P_ROWS) * sh, r1 = min<i32>(oh, r0 + param(p, P_ROWS) * sh);
  for (let co = 0; co < coutg; co++) {
    fillPlane(y + <usize>co * planeBytes + (<usize>(r0 * ow) << 2), (r1 - r0) * ow,
              load<f32>(packed + (<usize>(g * coutg + co) << 2)));
  }
  // Input rows [iy0, iy1) reach the band.
  let iy0 = 0;
  while (iy0 < h && iy0 * sh - ph + (kh - 1) * dh < r0) iy0++;
  let iy1 = iy0;
  while (iy1 < h && iy1 * sh - ph < r1) iy1++;
  if (iy0 >= iy1) return;

  const rows = columnRows(p), blocks = columnBlocks(p);
  const run = <usize>cing * (MR * 4); // one block's weights
  const aGroup = packed + (<usize>biasFloats(p) << 2) + <usize>(g * blocks) * run;
  const xPlane = inputPlaneBytes(p);
  const x = ptr(p, P_X) + <usize>(n * cin + g * cing) * xPlane;
  const seg = ptr(p, P_SCRATCH), tile = seg + 32;
  store<u32>(seg, 0);
  store<i32>(seg, cing, 8);
  store<u32>(seg, <u32>xPlane, 12);
  const qa = iy0 * w, q1 = iy1 * w;
  // Lanes past q1 read on into the next plane (or the input's slack): never added.
  if (<usize>blocks * run <= CACHED_WEIGHTS) {
    // All the weights stay in L1: each 8 pixels' inputs are read once, for every block.
    for (let q0 = qa; q0 < q1; q0 += NR) {
      store<u32>(seg, <u32>(x + (<usize>q0 << 2)), 4);
      for (let b = 0; b < blocks; b++) {
        const r = min<i32>(MR, rows - b * MR);
        tileSegments(r, aGroup + <usize>b * run, seg, 1, tile);
        addTile(p, tile, r, b * MR, q0, min<i32>(NR, q1 - q0), r0, r1, y, planeBytes);
      }
    }
    return;
  }
  // Else blocks outermost: a block's weights stay in L1 while all the pixels pass.
  for (let b = 0; b < blocks; b++) {
    const r = min<i32>(MR, rows - b * MR);
    for (let q0 = qa; q0 < q1; q0 += NR) {
      store<u32>(seg, <u32>(x + (<usize>q0 << 2)), 4);
      tileSegments(r, aGroup + <usize>b * run, seg, 1, tile);
      addTile(p, tile, r, b * MR, q0, min<i32>(NR, q1 - q0), r0, r1, y, planeBytes);
    }
  }
}

// Adds the tile's rows (row m = m0 + i: channel m / taps, tap m % taps) for its `cnt` pixels
// (input pixels q0, q0 + 1, ...) to the output pixels they reach, inside output rows [r0, r1).
function addTile(p: usize, tile: usize, rows: i32, m0: i32, q0: i32, cnt: i32, r0: i32, r1: i32,
                 y: usize, planeBytes: usize): void {
  const w = param(p, P_W), ow = param(p, P_OW), kw = param(p, P_KW), taps = param(p, P_KH) * kw;
  const sh = param(p, P_SH), sw = param(p, P_SW), ph = param(p, P_PH), pw = param(p, P_PW);
  const dh = param(p, P_DH), dw = param(p, P_DW);
  const iy = q0 / w, ix = q0 % w;
  if (ix + cnt <= w) {
    // One input row: each tile row lands in one output row, sw apart.
    addRows(tile, rows, m0, taps, kw, iy * sh - ph, ix * sw - pw, dh, dw, sw, cnt, r0, r1, ow, y, planeBytes);
    return;
  }
  // The pixels wrap to the next input row(s): pixel by pixel.
  for (let i = 0; i < rows; i++) {
    const m = m0 + i;
    const t = m % taps;
    const out = y + <usize>(m / taps) * planeBytes;
    const ky = t / kw, kx = t % kw;
    let jy = iy, jx = ix;
    for (let j = 0; j < cnt; j++) {
      const oy = jy * sh - ph + ky * dh, ox = jx * sw - pw + kx * dw;
      if (oy >= r0 && oy < r1 && ox >= 0 && ox < ow) {
        const at = out + (<usize>(oy * ow + ox) << 2);
        store<f32>(at, load<f32>(at) + load<f32>(tile + (<usize>((i << 3) + j) << 2)));
      }
      if (++jx == w) { jx = 0; jy++; }
    }
  }
}

// addTile for pixels of one input row: tile row i goes to output row oy0 + ky*dh, columns
// ox0 + kx*dw + j*sw.
function addRows(tile: usize, rows: i32, m0: i32, taps: i32, kw: i32, oy0: i32, ox0: i32, dh: i32,
                 dw: i32, sw: i32, cnt: i32, r0: i32, r1: i32, ow: i32, y: usize, planeBytes: usize): void {
  for (let i = 0; i < rows; i++) {
    const m = m0 + i;
    const co = m / taps, t = m % taps;
    const oy = oy0 + (t / kw) * dh;
    if (oy < r0 || oy >= r1) continue;
    const ox = ox0 + (t % kw) * dw;
    // Pixels j in [j0, j1) land inside the row.
    const j0 = ox >= 0 ? 0 : (-ox + sw - 1) / sw;
    const j1 = min<i32>(cnt, ox < ow ? (ow - 1 - ox) / sw + 1 : 0);
    let at = y + <usize>co * planeBytes + (<usize>(oy * ow + ox + j0 * sw) << 2);
    const src = tile + (<usize>i << 5);
    if (j1 - j0 == NR && sw <= 2) {
      // All 8 land: whole-vector adds, spread to every other float for stride 2 (adding -0 to
      // the floats in between leaves them exactly as they are).
      const t0 = v128.load(src), t1 = v128.load(src, 16);
      if (sw == 1) {
        v128.store(at, f32x4.add(v128.load(at), t0));
        v128.store(at, f32x4.add(v128.load(at, 16), t1), 16);
      } else {
        const z = f32x4.splat(-0.0);
        v128.store(at, f32x4.add(v128.load(at), i32x4.shuffle(t0, z, 0, 4, 1, 4)));
        v128.store(at, f32x4.add(v128.load(at, 16), i32x4.shuffle(t0, z, 2, 4, 3, 4)), 16);
        v128.store(at, f32x4.add(v128.load(at, 32), i32x4.shuffle(t1, z, 0, 4, 1, 4)), 32);
        // The last float of the span is the next pixel's: only 3 lanes of the last vector.
        store<f32>(at, load<f32>(at, 48) + load<f32>(src, 24), 48);
        store<f32>(at, load<f32>(at, 56) + load<f32>(src, 28), 56);
      }
      continue;
    }
    const step = <usize>sw << 2;
    for (let j = j0; j < j1; j++) {
      store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>j << 2)));
      at += step;
    }
  }
}
