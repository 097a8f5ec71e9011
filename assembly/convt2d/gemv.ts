// A 1 x 1 input (DCGAN's first layer, a latent vector): every output channel and tap receives one
// product per input channel, so out[co][ky*d - pad][kx*d - pad] = bias + sum_ci x[ci] w[ci][co][ky][kx].
// With the weight as given (raw layout), w[ci][co*taps + t] is a contiguous row per input channel:
// a matrix-vector product that streams every weight once, 32 outputs per pass in 8 f32x4
// accumulators. A work item is (batch n, group g, block of CO_BLOCK output channels); it fills its
// channels' planes with the bias first (pixels no tap reaches keep it), then writes the taps.
import {
  param, ptr, P_N, P_CIN, P_COUT, P_KH, P_KW, P_PH, P_PW, P_DH, P_DW, P_GROUPS, P_OH, P_OW,
  P_X, P_Y, P_PACKED, P_SCRATCH, inputPlaneBytes,
} from "../params";
import { biasFloats } from "../pack";
import { madd } from "./madd";
import { fillPlane } from "./store";

const CO_BLOCK: i32 = 8;

export function gemvScratchBytes(p: usize): usize {
  return <usize>(CO_BLOCK * param(p, P_KH) * param(p, P_KW) + 32) << 2;
}

export function gemvItems(p: usize): i32 {
  const coutg = param(p, P_COUT) / param(p, P_GROUPS);
  return param(p, P_N) * param(p, P_GROUPS) * ((coutg + CO_BLOCK - 1) / CO_BLOCK);
}

export function gemvRun(p: usize, begin: i32, end: i32): void {
  for (let item = begin; item < end; item++) runItem(p, item);
}

function runItem(p: usize, item: i32): void {
  const groups = param(p, P_GROUPS);
  const cin = param(p, P_CIN), cout = param(p, P_COUT);
  const cing = cin / groups, coutg = cout / groups;
  const nb = (coutg + CO_BLOCK - 1) / CO_BLOCK;
  const b = item % nb;
  const g = (item / nb) % groups;
  const n = item / (nb * groups);
  const kh = param(p, P_KH), kw = param(p, P_KW);
  const taps = kh * kw;
  const co0 = b * CO_BLOCK, co1 = min<i32>(coutg, co0 + CO_BLOCK);
  const m0 = co0 * taps, m1 = co1 * taps;
  const rowBytes = <usize>(coutg * taps) << 2;
  const xs = inputPlaneBytes(p); // one float per channel plane of a 1 x 1 input
  const x = ptr(p, P_X) + <usize>(n * cin + g * cing) * xs;
  const packed = ptr(p, P_PACKED);
  const w = packed + (<usize>biasFloats(p) << 2) + <usize>(g * cing) * rowBytes;
  const col = ptr(p, P_SCRATCH); // (m1 - m0) sums, then written out

  let m = m0;
  for (; m + 32 <= m1; m += 32) sum32(x, xs, cing, w + (<usize>m << 2), rowBytes, col + (<usize>(m - m0) << 2));
  for (; m + 4 <= m1; m += 4) sum4(x, xs, cing, w + (<usize>m << 2), rowBytes, col + (<usize>(m - m0) << 2));
  for (; m < m1; m++) {
    let s: f32 = 0;
    for (let ci = 0; ci < cing; ci++) {
      s += load<f32>(x + <usize>ci * xs) * load<f32>(w + <usize>ci * rowBytes + (<usize>m << 2));
    }
    store<f32>(col + (<usize>(m - m0) << 2), s);
  }

  const oh = param(p, P_OH), ow = param(p, P_OW);
  const plane = oh * ow;
  const ph = param(p, P_PH), pw = param(p, P_PW), dh = param(p, P_DH), dw = param(p, P_DW);
  for (let co = co0; co < co1; co++) {
    const c = g * coutg + co;
    const bv = load<f32>(packed + (<usize>c << 2));
    const out = ptr(p, P_Y) + (<usize>((n * cout + c) * plane) << 2);
    fillPlane(out, plane, bv);
    for (let ky = 0; ky < kh; ky++) {
      const oy = ky * dh - ph;
      if (oy < 0 || oy >= oh) continue;
      for (let kx = 0; kx < kw; kx++) {
        const ox = kx * dw - pw;
        if (ox < 0 || ox >= ow) continue;
        const v = load<f32>(col + (<usize>((co - co0) * taps + ky * kw + kx) << 2));
        store<f32>(out + (<usize>(oy * ow + ox) << 2), bv + v);
      }
    }
  }
}

// col[0..32) = sum over ci of x[ci] * w[ci][0..32) (inputs xs bytes apart, weight rows rowBytes apart).
function sum32(x: usize, xs: usize, cing: i32, w: usize, rowBytes: usize, col: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  const xe = x + <usize>cing * xs;
  for (let px = x; px < xe; px += xs) {
    const s = v128.load32_splat(px);
    a0 = madd(s, v128.load(w), a0); a1 = madd(s, v128.load(w, 16), a1);
    a2 = madd(s, v128.load(w, 32), a2); a3 = madd(s, v128.load(w, 48), a3);
    a4 = madd(s, v128.load(w, 64), a4); a5 = madd(s, v128.load(w, 80), a5);
    a6 = madd(s, v128.load(w, 96), a6); a7 = madd(s, v128.load(w, 112), a7);
    w += rowBytes;
  }
  v128.store(col, a0); v128.store(col, a1, 16); v128.store(col, a2, 32); v128.store(col, a3, 48);
  v128.store(col, a4, 64); v128.store(col, a5, 80); v128.store(col, a6, 96); v128.store(col, a7, 112);
}

function sum4(x: usize, xs: usize, cing: i32, w: usize, rowBytes: usize, col: usize): void {
  let a = f32x4.splat(0);
  const xe = x + <usize>cing * xs;
  for (let px = x; px < xe; px += xs) {
    a = madd(v128.load32_splat(px), v128.load(w), a);
    w += rowBytes;
  }
  v128.store(col, a);
}
