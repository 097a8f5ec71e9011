// Weight packing, done once per layer (once per call for the functional API).
//
// Blocked layout (subconv and gemm paths), in floats:
//   bias: COUT values, padded with zeros to a multiple of 4
//   then for each group g, each block b of MR = 5 output channels, each tap t = ky*KW + kx,
//   each input channel ci of the group: MR weights w[ci][b*MR .. b*MR+MR)[ky][kx] (zero past the
//   group's last channel),
// so every (block, tap) is one contiguous run of CIN/G x MR weights that the microkernel streams.
//
// Raw layout (gemv and depthwise paths): the bias as above, then the weight unchanged.
import {
  param, ptr, P_CIN, P_COUT, P_KH, P_KW, P_GROUPS, P_WEIGHT, P_BIAS, P_PACKED,
} from "./params";
import { MR } from "./convt2d/tile";

export const LAYOUT_BLOCKED: i32 = 0;
export const LAYOUT_RAW: i32 = 1;

// @ts-ignore: decorator
@inline export function biasFloats(p: usize): i32 {
  return (param(p, P_COUT) + 3) & ~3;
}

// Bytes of one (block, tap) run of the blocked layout.
// @ts-ignore: decorator
@inline export function runBytes(p: usize): usize {
  return <usize>(param(p, P_CIN) / param(p, P_GROUPS)) * (MR * 4);
}

// Number of MR-channel blocks per group.
// @ts-ignore: decorator
@inline export function blocksPerGroup(p: usize): i32 {
  return (param(p, P_COUT) / param(p, P_GROUPS) + MR - 1) / MR;
}

// Address of the (group g, block b, tap t) run.
// @ts-ignore: decorator
@inline export function runAt(p: usize, g: i32, b: i32, t: i32): usize {
  const taps = param(p, P_KH) * param(p, P_KW);
  return ptr(p, P_PACKED) + (<usize>biasFloats(p) << 2) +
    <usize>((g * blocksPerGroup(p) + b) * taps + t) * runBytes(p);
}

export function packedBytes(p: usize, layout: i32): usize {
  const taps = <usize>(param(p, P_KH) * param(p, P_KW));
  const cing = <usize>(param(p, P_CIN) / param(p, P_GROUPS));
  const weights = layout == LAYOUT_RAW
    ? <usize>param(p, P_CIN) * <usize>(param(p, P_COUT) / param(p, P_GROUPS)) * taps
    : <usize>param(p, P_GROUPS) * <usize>blocksPerGroup(p) * taps * cing * MR;
  return (<usize>biasFloats(p) + weights) << 2;
}

export function pack(p: usize, layout: i32): void {
  const cout = param(p, P_COUT);
  const w = ptr(p, P_WEIGHT), bias = ptr(p, P_BIAS);
  const dst = ptr(p, P_PACKED);
  const nb = biasFloats(p);
  for (let c = 0; c < nb; c++) {
    store<f32>(dst + (<usize>c << 2), bias != 0 && c < cout ? load<f32>(bias + (<usize>c << 2)) : 0);
  }
  const body = dst + (<usize>nb << 2);
  if (layout == LAYOUT_RAW) {
    memory.copy(body, w, packedBytes(p, layout) - (<usize>nb << 2));
    return;
  }
  const groups = param(p, P_GROUPS);
  const cing = param(p, P_CIN) / groups, coutg = cout / groups;
  const taps = param(p, P_KH) * param(p, P_KW);
  const blocks = blocksPerGroup(p);
  const run = runBytes(p);
  const tapStride = <usize>taps << 2;
  for (let g = 0; g < groups; g++) {
    for (let b = 0; b < blocks; b++) {
      const rows = min<i32>(MR, coutg - b * MR);
      const blockDst = body + <usize>((g * blocks + b) * taps) * run;
      for (let ci = 0; ci < cing; ci++) {
        // Source: `rows` channels x taps, contiguous; destination: MR floats in each tap's run.
        const src = w + (<usize>(((g * cing + ci) * coutg + b * MR) * taps) << 2);
        packChannel(src, rows, taps, blockDst + <usize>ci * (MR * 4), run);
      }
    }
  }
}

// One input channel of one block: for each tap t, out[t*run .. +MR) = w[0..MR)[t] (zero past
// `rows`). Four taps at a time: the first four channels by a 4x4 transpose, the fifth by lanes.
function packChannel(src: usize, rows: i32, taps: i32, dst: usize, run: usize): void {
  const tapStride = <usize>taps << 2;
  let t = 0;
  for (; t + 4 <= taps; t += 4) {
    const at = src + (<usize>t << 2);
    const r0 = v128.load(at);
    const r1 = rows > 1 ? v128.load(at + tapStride) : f32x4.splat(0);
    const r2 = rows > 2 ? v128.load(at + 2 * tapStride) : f32x4.splat(0);
    const r3 = rows > 3 ? v128.load(at + 3 * tapStride) : f32x4.splat(0);
    const r4 = rows > 4 ? v128.load(at + 4 * tapStride) : f32x4.splat(0);
    const lo01 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), lo23 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
    const hi01 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), hi23 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
    const d = dst + <usize>t * run;
    v128.store(d, i32x4.shuffle(lo01, lo23, 0, 1, 4, 5));
    store<f32>(d, f32x4.extract_lane(r4, 0), 16);
    v128.store(d + run, i32x4.shuffle(lo01, lo23, 2, 3, 6, 7));
    store<f32>(d + run, f32x4.extract_lane(r4, 1), 16);
    v128.store(d + 2 * run, i32x4.shuffle(hi01, hi23, 0, 1, 4, 5));
    store<f32>(d + 2 * run, f32x4.extract_lane(r4, 2), 16);
    v128.store(d + 3 * run, i32x4.shuffle(hi01, hi23, 2, 3, 6, 7));
    store<f32>(d + 3 * run, f32x4.extract_lane(r4, 3), 16);
  }
  for (; t < taps; t++) {
    const d = dst + <usize>t * run;
    let s = src + (<usize>t << 2);
    for (let r = 0; r < rows; r++) {
      store<f32>(d + (<usize>r << 2), load<f32>(s));
      s += tapStride;
    }
    for (let r = rows; r < MR; r++) store<f32>(d + (<usize>r << 2), 0);
  }
}
