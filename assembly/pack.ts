// Weight packing for the sub-convolution kernel, done once per layer (per call for the functional
// API). Layout, in floats:
//   bias: COUT values, padded with zeros to a multiple of 4
//   then for each group g, each phase (qy, qx), each block of MR output channels:
//     for each tap (ky, kx) of the phase (ky outer), for each input channel ci of the group:
//       MR weights w[ci][co..co+MR)[ky][kx], zero past the group's last channel
// so the microkernel streams one contiguous run of MR weights per (tap, ci).
import {
  param, ptr, P_CIN, P_COUT, P_KH, P_KW, P_SH, P_SW, P_PH, P_PW, P_DH, P_DW, P_GROUPS,
  P_WEIGHT, P_BIAS, P_PACKED,
} from "./params";
import { phaseTaps } from "./convt2d/phase";

export const MR: i32 = 4;

// @ts-ignore: decorator
@inline export function biasFloats(p: usize): i32 {
  return (param(p, P_COUT) + 3) & ~3;
}

// Floats of one phase's weights in one group.
export function phaseFloats(p: usize, qy: i32, qx: i32): i32 {
  const groups = param(p, P_GROUPS);
  const cing = param(p, P_CIN) / groups;
  const blocks = (param(p, P_COUT) / groups + MR - 1) / MR;
  const ty = phaseTaps(qy, param(p, P_PH), param(p, P_KH), param(p, P_DH), param(p, P_SH));
  const tx = phaseTaps(qx, param(p, P_PW), param(p, P_KW), param(p, P_DW), param(p, P_SW));
  return blocks * ty * tx * cing * MR;
}

// Offset (floats from the packed base) of phase (qy, qx) of group g.
export function phaseOffset(p: usize, g: i32, qy: i32, qx: i32): i32 {
  const sh = param(p, P_SH), sw = param(p, P_SW);
  let before = 0, group = 0;
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const f = phaseFloats(p, y, x);
      if (y < qy || (y == qy && x < qx)) before += f;
      group += f;
    }
  }
  return biasFloats(p) + g * group + before;
}

export function packedBytes(p: usize): usize {
  return <usize>phaseOffset(p, param(p, P_GROUPS), 0, 0) << 2;
}

export function pack(p: usize): void {
  const groups = param(p, P_GROUPS);
  const cin = param(p, P_CIN), cout = param(p, P_COUT);
  const kh = param(p, P_KH), kw = param(p, P_KW);
  const sh = param(p, P_SH), sw = param(p, P_SW);
  const ph = param(p, P_PH), pw = param(p, P_PW);
  const dh = param(p, P_DH), dw = param(p, P_DW);
  const cing = cin / groups, coutg = cout / groups;
  const blocks = (coutg + MR - 1) / MR;
  const w = ptr(p, P_WEIGHT), bias = ptr(p, P_BIAS);
  let dst = ptr(p, P_PACKED);

  const nb = biasFloats(p);
  for (let c = 0; c < nb; c++) {
    store<f32>(dst, bias != 0 && c < cout ? load<f32>(bias + (<usize>c << 2)) : 0);
    dst += 4;
  }
  for (let g = 0; g < groups; g++) {
    for (let qy = 0; qy < sh; qy++) {
      for (let qx = 0; qx < sw; qx++) {
        for (let b = 0; b < blocks; b++) {
          for (let ky = 0; ky < kh; ky++) {
            if ((qy + ph - ky * dh) % sh != 0) continue;
            for (let kx = 0; kx < kw; kx++) {
              if ((qx + pw - kx * dw) % sw != 0) continue;
              for (let ci = 0; ci < cing; ci++) {
                for (let r = 0; r < MR; r++) {
                  const co = b * MR + r;
                  let v: f32 = 0;
                  if (co < coutg) {
                    const idx = (((g * cing + ci) * coutg + co) * kh + ky) * kw + kx;
                    v = load<f32>(w + (<usize>idx << 2));
                  }
                  store<f32>(dst, v);
                  dst += 4;
                }
              }
            }
          }
        }
      }
    }
  }
}
