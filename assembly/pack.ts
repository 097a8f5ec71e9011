// Weight packing, done once per layer (once per call for the functional API).
//
// Blocked layout (subconv path), in 4-byte words:
//   bias: COUT floats, padded with zeros to a multiple of 4
//   slot table: for each tap ky*KW + kx, its run slot (i32), padded to a multiple of 4
//   then for each group g, each block b of MR = 5 output channels, each run slot, each input
//   channel ci of the group: MR weights w[ci][b*MR .. b*MR+MR)[ky][kx] (zero past the group's
//   last channel),
// so every (block, tap) is one contiguous run of CIN/G x MR weights that the microkernel streams.
// Slots are phase-major (the taps of output phase (0, 0) first, then (0, 1), ...), so the taps of
// one sub-convolution are adjacent runs: an interior tile streams them as one run.
//
// Raw layout (gemv, depthwise and scatter paths): the bias as above, then the weight unchanged.
//
// Columns layout (columns path): the bias as above, then for each group g, each block b of MR = 5
// rows m = co*KH*KW + ky*KW + kx (every tap of every channel of the group is a row), each input
// channel ci of the group: the MR weights w[ci][m0 .. m0+MR) (zero past the last row).
import {
  param, ptr, P_CIN, P_COUT, P_KH, P_KW, P_SH, P_SW, P_PH, P_PW, P_DH, P_DW, P_GROUPS, P_WEIGHT,
  P_BIAS, P_PACKED,
} from "./params";
import { MR } from "./convt2d/tile";

export const LAYOUT_BLOCKED: i32 = 0;
export const LAYOUT_RAW: i32 = 1;
export const LAYOUT_COLUMNS: i32 = 2;

// Rows of the columns layout per group (every tap of every output channel of the group), and
// its blocks of MR rows.
// @ts-ignore: decorator
@inline export function columnRows(p: usize): i32 {
  return param(p, P_COUT) / param(p, P_GROUPS) * param(p, P_KH) * param(p, P_KW);
}
// @ts-ignore: decorator
@inline export function columnBlocks(p: usize): i32 {
  return (columnRows(p) + MR - 1) / MR;
}

// @ts-ignore: decorator
@inline export function biasFloats(p: usize): i32 {
  return (param(p, P_COUT) + 3) & ~3;
}

// Words of the slot table.
// @ts-ignore: decorator
@inline function slotWords(p: usize): i32 {
  return (param(p, P_KH) * param(p, P_KW) + 3) & ~3;
}

// The run slot of tap (ky, kx) in packed blocked weights.
// @ts-ignore: decorator
@inline export function tapSlot(p: usize, ky: i32, kx: i32): i32 {
  return load<i32>(ptr(p, P_PACKED) + (<usize>(biasFloats(p) + ky * param(p, P_KW) + kx) << 2));
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

// Address of the (group g, block b, slot t) run.
// @ts-ignore: decorator
@inline export function runAt(p: usize, g: i32, b: i32, t: i32): usize {
  const taps = param(p, P_KH) * param(p, P_KW);
  return ptr(p, P_PACKED) + (<usize>(biasFloats(p) + slotWords(p)) << 2) +
    <usize>((g * blocksPerGroup(p) + b) * taps + t) * runBytes(p);
}

export function packedBytes(p: usize, layout: i32): usize {
  const taps = <usize>(param(p, P_KH) * param(p, P_KW));
  const cing = <usize>(param(p, P_CIN) / param(p, P_GROUPS));
  const weights = layout == LAYOUT_RAW
    ? <usize>param(p, P_CIN) * <usize>(param(p, P_COUT) / param(p, P_GROUPS)) * taps
    : layout == LAYOUT_COLUMNS
      ? <usize>param(p, P_GROUPS) * <usize>columnBlocks(p) * cing * MR
      : <usize>slotWords(p) + <usize>param(p, P_GROUPS) * <usize>blocksPerGroup(p) * taps * cing * MR;
  return (<usize>biasFloats(p) + weights) << 2;
}

// Bytes before the weights in a packed block: the bias, and the blocked layout's slot table.
export function packedHeaderBytes(p: usize, layout: i32): usize {
  return <usize>(biasFloats(p) + (layout == LAYOUT_BLOCKED ? slotWords(p) : 0)) << 2;
}

// Writes the header: the bias (from P_BIAS, or zeros) and, for the blocked layout, the slot table.
export function packHeader(p: usize, layout: i32): void {
  const cout = param(p, P_COUT);
  const bias = ptr(p, P_BIAS);
  const dst = ptr(p, P_PACKED);
  const nb = biasFloats(p);
  for (let c = 0; c < nb; c++) {
    store<f32>(dst + (<usize>c << 2), bias != 0 && c < cout ? load<f32>(bias + (<usize>c << 2)) : 0);
  }
  if (layout != LAYOUT_BLOCKED) return;
  // Slot table: number the taps phase by phase.
  const table = dst + (<usize>nb << 2);
  const kh = param(p, P_KH), kw = param(p, P_KW);
  const sh = param(p, P_SH), sw = param(p, P_SW);
  let slot = 0;
  for (let qy = 0; qy < sh; qy++) {
    for (let qx = 0; qx < sw; qx++) {
      for (let ky = 0; ky < kh; ky++) {
        if ((qy + param(p, P_PH) - ky * param(p, P_DH)) % sh != 0) continue;
        for (let kx = 0; kx < kw; kx++) {
          if ((qx + param(p, P_PW) - kx * param(p, P_DW)) % sw != 0) continue;
          store<i32>(table + (<usize>(ky * kw + kx) << 2), slot++);
        }
      }
    }
  }
  for (let t = kh * kw; t < slotWords(p); t++) store<i32>(table + (<usize>t << 2), 0);
}

// Packs input channels [c0, c1) (of all groups) into the blocked or columns layout, after
// packHeader. P_WEIGHT holds the raw weight of exactly those channels, so a large weight can be
// staged and packed a few channels at a time while the stage stays in cache. (The raw layout is
// the weight unchanged after the header: the caller copies it there.)
export function packChannels(p: usize, layout: i32, c0: i32, c1: i32): void {
  const groups = param(p, P_GROUPS);
  const cing = param(p, P_CIN) / groups, coutg = param(p, P_COUT) / groups;
  const kh = param(p, P_KH), kw = param(p, P_KW);
  const taps = kh * kw;
  const body = ptr(p, P_PACKED) + packedHeaderBytes(p, layout);
  // Source row of channel ci (all its output channels and taps, contiguous).
  const w = ptr(p, P_WEIGHT) - (<usize>c0 * <usize>(coutg * taps) << 2);
  const blocks = blocksPerGroup(p);
  const run = runBytes(p);
  const table = ptr(p, P_PACKED) + (<usize>biasFloats(p) << 2);
  for (let g = c0 / cing; g * cing < c1; g++) {
    const a = max<i32>(c0, g * cing) - g * cing, e = min<i32>(c1, (g + 1) * cing) - g * cing;
    if (layout == LAYOUT_COLUMNS) {
      packColumns(p, w + (<usize>(g * cing * coutg * taps) << 2), body, g, a, e);
      continue;
    }
    // Block by block over the staged channels: each tap's run takes the channels' weights as one
    // contiguous stretch, and the block's source rows stay in L1 across its taps.
    for (let b = 0; b < blocks; b++) {
      const rows = min<i32>(MR, coutg - b * MR);
      const blockDst = body + <usize>((g * blocks + b) * taps) * run;
      for (let ci = a; ci < e; ci++) {
        // Source: `rows` channels x taps, contiguous; destination: MR floats in each tap's run.
        const src = w + (<usize>(((g * cing + ci) * coutg + b * MR) * taps) << 2);
        packChannel(src, rows, taps, table, blockDst + <usize>ci * (MR * 4), run);
      }
    }
  }
}

// One input channel of one block: for each tap t, out[t*run .. +MR) = w[0..MR)[t] (zero past
// `rows`). Four taps at a time: the first four channels by a 4x4 transpose, the fifth by lanes.
function packChannel(src: usize, rows: i32, taps: i32, table: usize, dst: usize, run: usize): void {
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
    const slots = table + (<usize>t << 2);
    const d0 = dst + <usize>load<i32>(slots) * run, d1 = dst + <usize>load<i32>(slots, 4) * run;
    const d2 = dst + <usize>load<i32>(slots, 8) * run, d3 = dst + <usize>load<i32>(slots, 12) * run;
    v128.store(d0, i32x4.shuffle(lo01, lo23, 0, 1, 4, 5));
    store<f32>(d0, f32x4.extract_lane(r4, 0), 16);
    v128.store(d1, i32x4.shuffle(lo01, lo23, 2, 3, 6, 7));
    store<f32>(d1, f32x4.extract_lane(r4, 1), 16);
    v128.store(d2, i32x4.shuffle(hi01, hi23, 0, 1, 4, 5));
    store<f32>(d2, f32x4.extract_lane(r4, 2), 16);
    v128.store(d3, i32x4.shuffle(hi01, hi23, 2, 3, 6, 7));
    store<f32>(d3, f32x4.extract_lane(r4, 3), 16);
  }
  for (; t < taps; t++) {
    const d = dst + <usize>load<i32>(table + (<usize>t << 2)) * run;
    let s = src + (<usize>t << 2);
    for (let r = 0; r < rows; r++) {
      store<f32>(d + (<usize>r << 2), load<f32>(s));
      s += tapStride;
    }
    for (let r = rows; r < MR; r++) store<f32>(d + (<usize>r << 2), 0);
  }
}

// The columns layout, channels [a, e) of group g (w: the group's first raw row): an input
// channel's row of the raw weight is already ordered by m, so each block is MR consecutive floats.
function packColumns(p: usize, w: usize, body: usize, g: i32, a: i32, e: i32): void {
  const cing = param(p, P_CIN) / param(p, P_GROUPS);
  const rows = columnRows(p), blocks = columnBlocks(p);
  for (let b = 0; b < blocks; b++) {
    const n = min<i32>(MR, rows - b * MR);
    let dst = body + <usize>((g * blocks + b) * cing + a) * (MR * 4);
    for (let ci = a; ci < e; ci++) {
      const src = w + (<usize>(ci * rows + b * MR) << 2);
      for (let r = 0; r < MR; r++) store<f32>(dst + (<usize>r << 2), r < n ? load<f32>(src + (<usize>r << 2)) : 0);
      dst += MR * 4;
    }
  }
}
