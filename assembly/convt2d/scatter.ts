// Tiny calls (a few thousand multiply-adds, like the worked example): the operation as defined,
// every input pixel adding x * kernel into the output, one stride apart. Setting up tiles and
// panels costs more than this whole loop at that size. Reads the raw layout (see pack.ts).
// A work item is (batch n, group g): it owns the output planes of the group's channels.
import {
  param, ptr, P_N, P_CIN, P_H, P_W, P_COUT, P_KH, P_KW, P_SH, P_SW, P_PH, P_PW, P_DH, P_DW,
  P_GROUPS, P_OH, P_OW, P_X, P_Y, P_PACKED, inputPlaneBytes,
} from "../params";
import { biasFloats } from "../pack";
import { fillPlane } from "./store";

export function scatterScratchBytes(p: usize): usize {
  return 0;
}

export function scatterItems(p: usize): i32 {
  return param(p, P_N) * param(p, P_GROUPS);
}

export function scatterRun(p: usize, begin: i32, end: i32): void {
  for (let item = begin; item < end; item++) runItem(p, item);
}

function runItem(p: usize, item: i32): void {
  const groups = param(p, P_GROUPS);
  const g = item % groups, n = item / groups;
  const cin = param(p, P_CIN), cout = param(p, P_COUT);
  const cing = cin / groups, coutg = cout / groups;
  const h = param(p, P_H), w = param(p, P_W), oh = param(p, P_OH), ow = param(p, P_OW);
  const kh = param(p, P_KH), kw = param(p, P_KW), sh = param(p, P_SH), sw = param(p, P_SW);
  const ph = param(p, P_PH), pw = param(p, P_PW), dh = param(p, P_DH), dw = param(p, P_DW);
  const packed = ptr(p, P_PACKED);
  const taps = kh * kw;
  const planeBytes = <usize>(oh * ow) << 2;
  const y = ptr(p, P_Y) + <usize>(n * cout + g * coutg) * planeBytes;
  for (let co = 0; co < coutg; co++) {
    fillPlane(y + <usize>co * planeBytes, oh * ow, load<f32>(packed + (<usize>(g * coutg + co) << 2)));
  }
  const xPlane = inputPlaneBytes(p);
  const weights = packed + (<usize>biasFloats(p) << 2) + (<usize>(g * cing * coutg * taps) << 2);
  for (let ci = 0; ci < cing; ci++) {
    const xc = ptr(p, P_X) + <usize>(n * cin + g * cing + ci) * xPlane;
    const wc = weights + (<usize>(ci * coutg * taps) << 2);
    for (let iy = 0; iy < h; iy++) {
      for (let ix = 0; ix < w; ix++) {
        const v = load<f32>(xc + (<usize>(iy * w + ix) << 2));
        for (let ky = 0; ky < kh; ky++) {
          const oy = iy * sh - ph + ky * dh;
          if (oy < 0 || oy >= oh) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ox = ix * sw - pw + kx * dw;
            if (ox < 0 || ox >= ow) continue;
            const at = y + (<usize>(oy * ow + ox) << 2);
            const wt = wc + (<usize>(ky * kw + kx) << 2);
            for (let co = 0; co < coutg; co++) {
              const o = at + <usize>co * planeBytes;
              store<f32>(o, load<f32>(o) + v * load<f32>(wt + (<usize>(co * taps) << 2)));
            }
          }
        }
      }
    }
  }
}
