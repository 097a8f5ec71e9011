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
  return planeAt(p, 0) + (plane << 2);
}

// Scratch layout, in order: every row phase's tap list, every column phase's, one record per
// (row phase, column pass) (see tableOf), two staged quads, the bordered plane.
// @ts-ignore: decorator
@inline function passesOf(sw: i32): i32 {
  return sw == 2 ? 1 : sw;
}
// @ts-ignore: decorator
@inline function tapsXAt(p: usize, scratch: usize): usize {
  return scratch + (<usize>(param(p, P_SH) * param(p, P_KH)) << 3);
}
// @ts-ignore: decorator
@inline function recordsAt(p: usize, scratch: usize): usize {
  return (tapsXAt(p, scratch) + (<usize>(param(p, P_SW) * param(p, P_KW)) << 3) + 15) & ~15;
}
// @ts-ignore: decorator
@inline function quadsAt(p: usize, scratch: usize): usize {
  return recordsAt(p, scratch) + <usize>(param(p, P_SH) * passesOf(param(p, P_SW))) * REC_BYTES;
}
// @ts-ignore: decorator
@inline function planeAt(p: usize, scratch: usize): usize {
  return quadsAt(p, scratch) + 32;
}

// A (row phase, column pass) record, i32 words: tap counts nty, ntx0, ntx1, then for phases
// with at most 4 taps each (every k <= 2 * stride layer) each tap's weight index ky*KW + kx
// (-1: no tap) and byte offset into the bordered plane, column phase 0's four then phase 1's.
const REC_BYTES: usize = 80;
const R_NTY = 0, R_NTX0 = 4, R_NTX1 = 8, R_IDX = 16, R_OFF = 48;

// Fills the per-call tables (tap lists and records): the same for every channel, so an item
// only reads them.
function tableOf(p: usize, scratch: usize, colsB: usize): void {
  const kh = param(p, P_KH), kw = param(p, P_KW), sh = param(p, P_SH), sw = param(p, P_SW);
  const ph = param(p, P_PH), pw = param(p, P_PW), dh = param(p, P_DH), dw = param(p, P_DW);
  const tapsX = tapsXAt(p, scratch);
  const pair = sw == 2;
  let rec = recordsAt(p, scratch);
  for (let qy = 0; qy < sh; qy++) {
    const tapsY = scratch + (<usize>(qy * kh) << 3);
    const nty = phaseTapList(qy, ph, kh, dh, sh, tapsY);
    for (let pass = 0; pass < passesOf(sw); pass++) {
      const qx = pair ? 0 : pass;
      const ntx0 = phaseTapList(qx, pw, kw, dw, sw, tapsX + (<usize>(qx * kw) << 3));
      const ntx1 = pair ? phaseTapList(1, pw, kw, dw, sw, tapsX + (<usize>kw << 3)) : 0;
      store<i32>(rec + R_NTY, nty); store<i32>(rec + R_NTX0, ntx0); store<i32>(rec + R_NTX1, ntx1);
      for (let half = 0; half < 2; half++) {
        const ntx = half == 0 ? ntx0 : ntx1;
        const tx = tapsX + (<usize>((qx + half) * kw) << 3);
        for (let t = 0; t < 4; t++) {
          let idx = -1, off = 0;
          if (t < nty * ntx) {
            const ty = tapsY + (<usize>(t / ntx) << 3), txa = tx + (<usize>(t % ntx) << 3);
            idx = load<i32>(ty) * kw + load<i32>(txa);
            off = <i32>(<usize>load<i32>(ty, 4) * colsB + (<usize>load<i32>(txa, 4) << 2));
          }
          store<i32>(rec + R_IDX + (<usize>(half * 4 + t) << 2), idx);
          store<i32>(rec + R_OFF + (<usize>(half * 4 + t) << 2), off);
        }
      }
      rec += REC_BYTES;
    }
  }
}

export function depthwiseItems(p: usize): i32 {
  return param(p, P_N) * param(p, P_COUT);
}

export function depthwiseRun(p: usize, begin: i32, end: i32): void {
  if (begin >= end) return;
  const bx = border(param(p, P_W), param(p, P_OW), param(p, P_PW), param(p, P_KW), param(p, P_DW), param(p, P_SW), 4);
  tableOf(p, ptr(p, P_SCRATCH), <usize><i32>bx << 2);
  for (let item = begin; item < end; item++) runItem(p, item);
}

function runItem(p: usize, item: i32): void {
  const groups = param(p, P_GROUPS), cout = param(p, P_COUT), coutg = cout / groups;
  const c = item % cout, n = item / cout;
  const g = c / coutg;
  const h = param(p, P_H), w = param(p, P_W), oh = param(p, P_OH), ow = param(p, P_OW);
  const kh = param(p, P_KH), kw = param(p, P_KW);
  const sh = param(p, P_SH), sw = param(p, P_SW);
  const by = border(h, oh, param(p, P_PH), kh, param(p, P_DH), sh, 1);
  const bx = border(w, ow, param(p, P_PW), kw, param(p, P_DW), sw, 4);
  const top = <i32>(by >> 32), left = <i32>(bx >> 32), cols = <i32>bx, rows = <i32>by;

  const scratch = ptr(p, P_SCRATCH);
  const tapsX = tapsXAt(p, scratch);
  const quads = quadsAt(p, scratch); // two quads staged for storeInterleaved
  const pad = planeAt(p, scratch);
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

  let rec = recordsAt(p, scratch);
  for (let qy = 0; qy < sh; qy++) {
    const tapsY = scratch + (<usize>(qy * kh) << 3);
    const hp = phaseLength(qy, oh, sh);
    for (let qx = 0; qx < sw; qx += pair ? 2 : 1) {
      const nty = load<i32>(rec + R_NTY), ntx0 = load<i32>(rec + R_NTX0), ntx1 = load<i32>(rec + R_NTX1);
      const wp0 = phaseLength(qx, ow, sw);
      const wp1 = pair ? phaseLength(qx + 1, ow, sw) : 0;
      if (nty * ntx0 <= 4 && nty * ntx1 <= 4) {
        // Up to 4 taps a phase: weights and offsets in registers.
        phaseRows4(origin, colsB, wts, rec, hp, wp0, wp1, out + (<usize>(qy * ow + qx) << 2),
                   <usize>(sh * ow) << 2, sw, pair, bv, quads);
        rec += REC_BYTES;
        continue;
      }
      rec += REC_BYTES;
      const tapsX0 = tapsX + (<usize>(qx * kw) << 3), tapsX1 = tapsX0 + (<usize>kw << 3);
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

// Tap t (0..7: column phase 0's four, then phase 1's) of a record: its weight splat (0 where
// there is no tap) and its byte offset (0 there).
// @ts-ignore: decorator
@inline function tapWeight(wts: usize, rec: usize, t: i32): v128 {
  const idx = load<i32>(rec + R_IDX + (<usize>t << 2));
  return idx < 0 ? f32x4.splat(0) : v128.load32_splat(wts + (<usize>idx << 2));
}
// @ts-ignore: decorator
@inline function tapOffset(rec: usize, t: i32): usize {
  return <usize>load<i32>(rec + R_OFF + (<usize>t << 2));
}

function phaseRows4(origin: usize, colsB: usize, wts: usize, rec: usize, hp: i32, wp0: i32, wp1: i32,
                    out: usize, rowStep: usize, sw: i32, pair: bool, bv: f32, quads: usize): void {
  const nty = load<i32>(rec + R_NTY), ntx0 = load<i32>(rec + R_NTX0), ntx1 = load<i32>(rec + R_NTX1);
  const w0 = tapWeight(wts, rec, 0), o0 = tapOffset(rec, 0);
  const w1 = tapWeight(wts, rec, 1), o1 = tapOffset(rec, 1);
  const w2 = tapWeight(wts, rec, 2), o2 = tapOffset(rec, 2);
  const w3 = tapWeight(wts, rec, 3), o3 = tapOffset(rec, 3);
  const u0 = tapWeight(wts, rec, 4), p0 = tapOffset(rec, 4);
  const u1 = tapWeight(wts, rec, 5), p1 = tapOffset(rec, 5);
  const u2 = tapWeight(wts, rec, 6), p2 = tapOffset(rec, 6);
  const u3 = tapWeight(wts, rec, 7), p3 = tapOffset(rec, 7);
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
  let d = d0, e = d0 + rowStep;
  while (a < end) {
    pairQuads(bRow, a, d, w0, w1, w2, w3, u0, u1, u2, u3, b);
    pairQuads(bRow, c, e, w2, w3, w0, w1, u2, u3, u0, u1, b);
    a += 16; bRow += 16; c += 16; d += 32; e += 32;
  }
}

// One output row's 4 + 4 pixels (column phases 0 and 1, stored interleaved) from its two tap
// rows: `near` with taps a0, a1 (phase 0) and c0, c1 (phase 1), `far` with a2, a3 and c2, c3.
// @ts-ignore: decorator
@inline function pairQuads(near: usize, far: usize, dst: usize, a0: v128, a1: v128, a2: v128, a3: v128,
                           c0: v128, c1: v128, c2: v128, c3: v128, b: v128): void {
  let x = v128.load(near, 4);
  let v = madd(a0, x, b), u = madd(c1, x, b);
  v = madd(a1, v128.load(near), v);
  u = madd(c0, v128.load(near, 8), u);
  x = v128.load(far, 4);
  v = madd(a2, x, v); u = madd(c3, x, u);
  v = madd(a3, v128.load(far), v);
  u = madd(c2, v128.load(far, 8), u);
  v128.store(dst, i32x4.shuffle(v, u, 0, 4, 1, 5));
  v128.store(dst, i32x4.shuffle(v, u, 2, 6, 3, 7), 16);
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
