// One input channel per group (depthwise, or depthwise with a channel multiplier): a channel-
// block GEMM would waste most of its tile, so each output channel is computed on its own. The
// input plane is copied once into a zero-bordered scratch plane, so every tap of every phase
// reads 4 consecutive phase pixels with one f32x4 load and no bounds checks; stride-2 column
// phases are computed side by side and stored interleaved (see store.ts).
// A work item is (batch n, group g, output channel co of the group); weights are raw.
import {
  param, ptr, P_N, P_CIN, P_H, P_W, P_COUT, P_KH, P_KW, P_SH, P_SW, P_PH, P_PW, P_DH, P_DW,
  P_GROUPS, P_OH, P_OW, P_X, P_Y, P_PACKED, P_SCRATCH, inputPlaneBytes,
} from "../params";
import { phaseLength, phaseTapList } from "./phase";
import { biasFloats } from "../pack";
import { madd } from "./madd";
import { storeQuad, storeInterleaved } from "./store";

// Extent of the input offsets c = (q + pad - k*d) / s over every tap: [lo, hi].
function offsetLo(pad: i32, k: i32, d: i32, s: i32): i32 {
  let lo = 0x7fffffff;
  for (let t = 0; t < k; t++) {
    const r = t * d - pad;
    const q = ((r % s) + s) % s; // the phase this tap lands on
    lo = min<i32>(lo, (q + pad - t * d) / s);
  }
  return lo;
}
function offsetHi(pad: i32, k: i32, d: i32, s: i32): i32 {
  let hi = -0x7fffffff;
  for (let t = 0; t < k; t++) {
    const r = t * d - pad;
    const q = ((r % s) + s) % s;
    hi = max<i32>(hi, (q + pad - t * d) / s);
  }
  return hi;
}

// Geometry of the bordered plane along one axis: [before, length].
// @ts-ignore: decorator
@inline function border(len: i32, out: i32, pad: i32, k: i32, d: i32, s: i32, quad: i32): i64 {
  const before = max<i32>(0, -offsetLo(pad, k, d, s));
  const phases = (out + s - 1) / s;
  const reach = ((phases + quad - 1) / quad) * quad + offsetHi(pad, k, d, s);
  return (<i64>before << 32) | <i64>(before + max<i32>(len, reach));
}

export function depthwiseScratchBytes(p: usize): usize {
  const kh = param(p, P_KH), kw = param(p, P_KW);
  const by = border(param(p, P_H), param(p, P_OH), param(p, P_PH), kh, param(p, P_DH), param(p, P_SH), 1);
  const bx = border(param(p, P_W), param(p, P_OW), param(p, P_PW), kw, param(p, P_DW), param(p, P_SW), 4);
  const plane = <usize>(<i32>by) * <usize>(<i32>bx);
  return ((<usize>(kh + kw * 2) << 3) + 32 + 15 & ~15) + (plane << 2);
}

export function depthwiseItems(p: usize): i32 {
  return param(p, P_N) * param(p, P_COUT);
}

export function depthwiseRun(p: usize, begin: i32, end: i32): void {
  for (let item = begin; item < end; item++) runItem(p, item);
}

function runItem(p: usize, item: i32): void {
  const groups = param(p, P_GROUPS), cout = param(p, P_COUT), coutg = cout / groups;
  const c = item % cout, n = item / cout;
  const g = c / coutg;
  const h = param(p, P_H), w = param(p, P_W), oh = param(p, P_OH), ow = param(p, P_OW);
  const kh = param(p, P_KH), kw = param(p, P_KW);
  const sh = param(p, P_SH), sw = param(p, P_SW);
  const ph = param(p, P_PH), pw = param(p, P_PW), dh = param(p, P_DH), dw = param(p, P_DW);
  const by = border(h, oh, ph, kh, dh, sh, 1), bx = border(w, ow, pw, kw, dw, sw, 4);
  const top = <i32>(by >> 32), left = <i32>(bx >> 32), cols = <i32>bx, rows = <i32>by;

  const scratch = ptr(p, P_SCRATCH);
  const tapsY = scratch, tapsX0 = tapsY + (<usize>kh << 3), tapsX1 = tapsX0 + (<usize>kw << 3);
  const quads = tapsX1 + (<usize>kw << 3); // two quads staged for storeInterleaved
  const pad = (quads + 32 + 15) & ~15;
  const colsB = <usize>cols << 2;

  // The bordered copy of input plane g of image n.
  memory.fill(pad, 0, <usize>rows * colsB);
  const src = ptr(p, P_X) + <usize>(n * param(p, P_CIN) + g) * inputPlaneBytes(p);
  copyRows(pad + <usize>top * colsB + (<usize>left << 2), colsB, src, h, w);
  const origin = pad + <usize>top * colsB + (<usize>left << 2); // input pixel (0, 0)
  const wts = ptr(p, P_PACKED) + (<usize>biasFloats(p) << 2) + (<usize>(c * kh * kw) << 2);
  const bv = load<f32>(ptr(p, P_PACKED) + (<usize>c << 2));
  const out = ptr(p, P_Y) + (<usize>((n * cout + c) * oh * ow) << 2);
  const pair = sw == 2;

  for (let qy = 0; qy < sh; qy++) {
    const nty = phaseTapList(qy, ph, kh, dh, sh, tapsY);
    const hp = phaseLength(qy, oh, sh);
    for (let qx = 0; qx < sw; qx += pair ? 2 : 1) {
      const ntx0 = phaseTapList(qx, pw, kw, dw, sw, tapsX0);
      const wp0 = phaseLength(qx, ow, sw);
      const ntx1 = pair ? phaseTapList(qx + 1, pw, kw, dw, sw, tapsX1) : 0;
      const wp1 = pair ? phaseLength(qx + 1, ow, sw) : 0;
      if (nty * ntx0 <= 4 && nty * ntx1 <= 4) {
        // Up to 4 taps a phase (every k <= 2*stride layer): weights and offsets in registers.
        phaseRows4(origin, colsB, wts, kw, tapsY, nty, tapsX0, ntx0, tapsX1, ntx1, hp, wp0, wp1,
                   out + (<usize>(qy * ow + qx) << 2), <usize>(sh * ow) << 2, sw, pair, bv, quads);
        continue;
      }
      for (let j = 0; j < hp; j++) {
        const row = out + (<usize>((qy + j * sh) * ow + qx) << 2);
        for (let i = 0; i < wp0; i += 4) {
          const at = origin + <usize>j * colsB + (<usize>i << 2);
          const v0 = phaseQuad(at, colsB, wts, kw, tapsY, nty, tapsX0, ntx0);
          const dst = row + (<usize>(i * sw) << 2);
          v128.store(quads, v0);
          if (pair) {
            v128.store(quads, phaseQuad(at, colsB, wts, kw, tapsY, nty, tapsX1, ntx1), 16);
            storeInterleaved(quads, quads + 16, dst, min<i32>(4, wp0 - i), max<i32>(0, min<i32>(4, wp1 - i)), bv, true);
          } else {
            storeQuad(quads, dst, min<i32>(4, wp0 - i), sw, bv, true);
          }
        }
      }
    }
  }
}

// h rows of w floats from src (contiguous) to dst (rows dstStep bytes apart). Rows are short
// (one input row), so an inline vector loop beats a memory.copy call per row.
function copyRows(dst: usize, dstStep: usize, src: usize, h: i32, w: i32): void {
  const vecBytes = <usize>(w & ~3) << 2, rowBytes = <usize>w << 2;
  for (let iy = 0; iy < h; iy++) {
    let i: usize = 0;
    for (; i < vecBytes; i += 16) v128.store(dst + i, v128.load(src + i));
    for (; i < rowBytes; i += 4) store<f32>(dst + i, load<f32>(src + i));
    dst += dstStep;
    src += rowBytes;
  }
}

// The taps of one phase as (weight, byte offset) with unused slots weight 0, offset 0.
// @ts-ignore: decorator
@inline function tapWeight(wts: usize, kw: i32, tapsY: usize, nty: i32, tapsX: usize, ntx: i32, t: i32): v128 {
  if (t >= nty * ntx) return f32x4.splat(0);
  const ky = load<i32>(tapsY + (<usize>(t / ntx) << 3)), kx = load<i32>(tapsX + (<usize>(t % ntx) << 3));
  return v128.load32_splat(wts + (<usize>(ky * kw + kx) << 2));
}
// @ts-ignore: decorator
@inline function tapOffset(colsB: usize, tapsY: usize, nty: i32, tapsX: usize, ntx: i32, t: i32): usize {
  if (t >= nty * ntx) return 0;
  const cy = load<i32>(tapsY + (<usize>(t / ntx) << 3), 4), cx = load<i32>(tapsX + (<usize>(t % ntx) << 3), 4);
  return <usize>cy * colsB + (<usize>cx << 2);
}

function phaseRows4(origin: usize, colsB: usize, wts: usize, kw: i32, tapsY: usize, nty: i32,
                    tapsX0: usize, ntx0: i32, tapsX1: usize, ntx1: i32, hp: i32, wp0: i32, wp1: i32,
                    out: usize, rowStep: usize, sw: i32, pair: bool, bv: f32, quads: usize): void {
  const w0 = tapWeight(wts, kw, tapsY, nty, tapsX0, ntx0, 0), o0 = tapOffset(colsB, tapsY, nty, tapsX0, ntx0, 0);
  const w1 = tapWeight(wts, kw, tapsY, nty, tapsX0, ntx0, 1), o1 = tapOffset(colsB, tapsY, nty, tapsX0, ntx0, 1);
  const w2 = tapWeight(wts, kw, tapsY, nty, tapsX0, ntx0, 2), o2 = tapOffset(colsB, tapsY, nty, tapsX0, ntx0, 2);
  const w3 = tapWeight(wts, kw, tapsY, nty, tapsX0, ntx0, 3), o3 = tapOffset(colsB, tapsY, nty, tapsX0, ntx0, 3);
  const u0 = tapWeight(wts, kw, tapsY, nty, tapsX1, ntx1, 0), p0 = tapOffset(colsB, tapsY, nty, tapsX1, ntx1, 0);
  const u1 = tapWeight(wts, kw, tapsY, nty, tapsX1, ntx1, 1), p1 = tapOffset(colsB, tapsY, nty, tapsX1, ntx1, 1);
  const u2 = tapWeight(wts, kw, tapsY, nty, tapsX1, ntx1, 2), p2 = tapOffset(colsB, tapsY, nty, tapsX1, ntx1, 2);
  const u3 = tapWeight(wts, kw, tapsY, nty, tapsX1, ntx1, 3), p3 = tapOffset(colsB, tapsY, nty, tapsX1, ntx1, 3);
  const b = f32x4.splat(bv);
  // Quads where both phases have 4 pixels take the branch-free loop; the rest the general one.
  const full = pair ? min<i32>(wp0, wp1) & ~3 : 0;
  const shared = nty * ntx0 == 4 && nty * ntx1 == 4 && p1 == o0 && p3 == o2;
  // When the two tap rows are adjacent input rows and the three tap columns adjacent input
  // columns (k = 2 * stride again, no dilation), output rows j and j + 1 are computed together
  // from three input rows (see rowPairs). (`shared` already implies the column condition; it is
  // checked because rowPairs' constant offsets depend on it.)
  const paired = shared && o0 == o2 + colsB && o1 == o3 + colsB && p0 == p2 + colsB &&
    o1 == o0 - 4 && p0 == o0 + 4 ? hp & ~1 : 0;
  for (let j = 0; j < paired; j += 2) {
    const base = origin + <usize>j * colsB + o3;
    rowPairs(base, base + colsB, base + (colsB << 1), base + (<usize>full << 2),
             out + <usize>j * rowStep, rowStep, w0, w1, w2, w3, u0, u1, u2, u3, b);
  }
  // Paired rows still need this loop for a last partial quad; without one they are done.
  for (let j = full >= wp0 ? paired : 0; j < hp; j++) {
    const row = out + <usize>j * rowStep;
    const base = origin + <usize>j * colsB;
    const fullEnd = base + (<usize>full << 2);
    let dst = row;
    if (shared && j >= paired) {
      // k = 2 * stride (DCGAN's k4s2): phase 1's second tap of each row reads what phase 0's
      // first does, so six loads serve both phases.
      for (let at = base; at < fullEnd; at += 16) {
        const l0 = v128.load(at + o0), l2 = v128.load(at + o2);
        let v = madd(w0, l0, b);
        let u = madd(u1, l0, b);
        v = madd(w2, l2, v);
        u = madd(u3, l2, u);
        v = madd(w1, v128.load(at + o1), v);
        u = madd(u0, v128.load(at + p0), u);
        v = madd(w3, v128.load(at + o3), v);
        u = madd(u2, v128.load(at + p2), u);
        v128.store(dst, i32x4.shuffle(v, u, 0, 4, 1, 5));
        v128.store(dst, i32x4.shuffle(v, u, 2, 6, 3, 7), 16);
        dst += 32;
      }
    }
    for (let at = shared ? fullEnd : base; at < fullEnd; at += 16) {
      let v = madd(w0, v128.load(at + o0), b);
      let u = madd(u0, v128.load(at + p0), b);
      v = madd(w1, v128.load(at + o1), v);
      u = madd(u1, v128.load(at + p1), u);
      v = madd(w2, v128.load(at + o2), v);
      u = madd(u2, v128.load(at + p2), u);
      v = madd(w3, v128.load(at + o3), v);
      u = madd(u3, v128.load(at + p3), u);
      v128.store(dst, i32x4.shuffle(v, u, 0, 4, 1, 5));
      v128.store(dst, i32x4.shuffle(v, u, 2, 6, 3, 7), 16);
      dst += 32;
    }
    for (let i = full; i < wp0; i += 4) {
      const at = base + (<usize>i << 2);
      let v = madd(w0, v128.load(at + o0), b);
      v = madd(w1, v128.load(at + o1), v);
      v = madd(w2, v128.load(at + o2), v);
      v = madd(w3, v128.load(at + o3), v);
      const dst = row + (<usize>(i * sw) << 2);
      const n0 = min<i32>(4, wp0 - i);
      if (pair) {
        let u = madd(u0, v128.load(at + p0), b);
        u = madd(u1, v128.load(at + p1), u);
        u = madd(u2, v128.load(at + p2), u);
        u = madd(u3, v128.load(at + p3), u);
        const n1 = max<i32>(0, min<i32>(4, wp1 - i));
        v128.store(quads, v);
        v128.store(quads, u, 16);
        storeQuad(quads, dst, n0, 2, 0, true);
        storeQuad(quads + 16, dst + 4, n1, 2, 0, true);
      } else {
        v128.store(quads, v);
        storeQuad(quads, dst, n0, sw, 0, true);
      }
    }
  }
}

// Two output rows of the k = 2 * stride case from three input rows A, B, C (each pointer at the
// leftmost of the three tap columns): row j sums taps over B (upper taps w0, w1 / u0, u1) and A,
// row j + 1 over C and B. Each input quad is one load at a constant offset from its row
// pointer, so V8 keeps weights, bias and pointers in registers with no spills (the earlier form,
// nine loads at nine runtime offsets, spilled weights and offsets every iteration).
function rowPairs(a: usize, bRow: usize, c: usize, end: usize, d0: usize, rowStep: usize,
                  w0: v128, w1: v128, w2: v128, w3: v128, u0: v128, u1: v128, u2: v128, u3: v128,
                  b: v128): void {
  const d1 = d0 + rowStep;
  let d = d0, e = d1;
  while (a < end) {
    let x = v128.load(bRow, 4);
    let v = madd(w0, x, b), u = madd(u1, x, b);
    v = madd(w1, v128.load(bRow), v);
    u = madd(u0, v128.load(bRow, 8), u);
    x = v128.load(a, 4);
    v = madd(w2, x, v); u = madd(u3, x, u);
    v = madd(w3, v128.load(a), v);
    u = madd(u2, v128.load(a, 8), u);
    v128.store(d, i32x4.shuffle(v, u, 0, 4, 1, 5));
    v128.store(d, i32x4.shuffle(v, u, 2, 6, 3, 7), 16);
    x = v128.load(bRow, 4);
    v = madd(w2, x, b); u = madd(u3, x, b);
    v = madd(w3, v128.load(bRow), v);
    u = madd(u2, v128.load(bRow, 8), u);
    x = v128.load(c, 4);
    v = madd(w0, x, v); u = madd(u1, x, u);
    v = madd(w1, v128.load(c), v);
    u = madd(u0, v128.load(c, 8), u);
    v128.store(e, i32x4.shuffle(v, u, 0, 4, 1, 5));
    v128.store(e, i32x4.shuffle(v, u, 2, 6, 3, 7), 16);
    a += 16; bRow += 16; c += 16; d += 32; e += 32;
  }
}

// Sum over the phase's taps of w[ky][kx] times the 4 bordered-input pixels at (j + cy, i + cx).
function phaseQuad(at: usize, colsB: usize, wts: usize, kw: i32, tapsY: usize, nty: i32, tapsX: usize, ntx: i32): v128 {
  let acc = f32x4.splat(0);
  for (let ty = 0; ty < nty; ty++) {
    const ky = load<i32>(tapsY + (<usize>ty << 3)), cy = load<i32>(tapsY + (<usize>ty << 3), 4);
    const rowAt = at + <usize>cy * colsB;
    const wRow = wts + (<usize>(ky * kw) << 2);
    for (let tx = 0; tx < ntx; tx++) {
      const kx = load<i32>(tapsX + (<usize>tx << 3)), cx = load<i32>(tapsX + (<usize>tx << 3), 4);
      acc = madd(v128.load32_splat(wRow + (<usize>kx << 2)), v128.load(rowAt + (<usize>cx << 2)), acc);
    }
  }
  return acc;
}
