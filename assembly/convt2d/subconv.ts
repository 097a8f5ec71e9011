// Generic transposed convolution as stride_h x stride_w dense sub-convolutions (see phase.ts).
// Each work item is (batch n, group g, phase (qy, qx), block of phase rows). Within an item the
// phase's output pixels are taken in groups of 4 consecutive columns of one phase row; two
// groups form a tile of NR = 8 pixels. Per tile the input values it needs are packed into a
// panel [tap][ci][8] (zeros outside the input), then every block of MR = 4 output channels runs
// the 4x8 microkernel over that panel, so the panel is packed once and reused C_out/4 times.
// Taps whose input row or columns fall outside the image for the whole tile are dropped.
import {
  param, ptr, P_N, P_CIN, P_H, P_W, P_COUT, P_KH, P_KW, P_SH, P_SW, P_PH, P_PW, P_DH, P_DW,
  P_GROUPS, P_OH, P_OW, P_X, P_Y, P_PACKED, P_SCRATCH, P_ROWS,
} from "../params";
import { phaseTapList, phaseLength } from "./phase";
import { MR, phaseOffset } from "../pack";
import { madd } from "./madd";

const NR: i32 = 8;
// Panel budget in floats (32 KiB): input channels are split into chunks that fit.
const PANEL_FLOATS: i32 = 8192;

// Scratch layout (bytes from P_SCRATCH): tap lists, kept-tap offsets, tile, panel.
// @ts-ignore: decorator
@inline function headerBytes(kh: i32, kw: i32): usize {
  return ((<usize>(kh + kw) * 8 + <usize>(kh * kw) * 4 + 128 + 15) & ~15) + 32 * 4;
}

export function scratchBytes(p: usize): usize {
  const kh = param(p, P_KH), kw = param(p, P_KW);
  const panel = max<usize>(PANEL_FLOATS, <usize>kh * <usize>kw * NR);
  return headerBytes(kh, kw) + (panel << 2);
}

// @ts-ignore: decorator
@inline function rowBlocks(p: usize): i32 {
  const sh = param(p, P_SH);
  const rows = (param(p, P_OH) + sh - 1) / sh;
  const per = param(p, P_ROWS);
  return (rows + per - 1) / per;
}

export function workItems(p: usize): i32 {
  return param(p, P_N) * param(p, P_GROUPS) * param(p, P_SH) * param(p, P_SW) * rowBlocks(p);
}

export function run(p: usize, begin: i32, end: i32): void {
  for (let item = begin; item < end; item++) runItem(p, item);
}

function runItem(p: usize, item: i32): void {
  const sh = param(p, P_SH), sw = param(p, P_SW), groups = param(p, P_GROUPS);
  const nrb = rowBlocks(p);
  let t = item;
  const rb = t % nrb; t /= nrb;
  const qx = t % sw; t /= sw;
  const qy = t % sh; t /= sh;
  const g = t % groups;
  const n = t / groups;

  const oh = param(p, P_OH), ow = param(p, P_OW);
  const hp = phaseLength(qy, oh, sh), wp = phaseLength(qx, ow, sw);
  const rows = param(p, P_ROWS);
  const j0 = rb * rows;
  const j1 = min<i32>(hp, j0 + rows);
  if (j0 >= j1 || wp == 0) return;

  const kh = param(p, P_KH), kw = param(p, P_KW);
  const scratch = ptr(p, P_SCRATCH);
  const tapsY = scratch;
  const tapsX = tapsY + (<usize>kh << 3);
  const kept = tapsX + (<usize>kw << 3);
  const tile = scratch + headerBytes(kh, kw) - 32 * 4;
  const panel = scratch + headerBytes(kh, kw);
  const nty = phaseTapList(qy, param(p, P_PH), kh, param(p, P_DH), sh, tapsY);
  const ntx = phaseTapList(qx, param(p, P_PW), kw, param(p, P_DW), sw, tapsX);
  const nt = nty * ntx;

  const cin = param(p, P_CIN), cout = param(p, P_COUT);
  const cing = cin / groups, coutg = cout / groups;
  const blocks = (coutg + MR - 1) / MR;
  const packed = ptr(p, P_PACKED);
  const phaseA = packed + (<usize>phaseOffset(p, g, qy, qx) << 2);
  const blockBytes = <usize>nt * <usize>cing * (MR * 4);
  let kc = cing;
  if (<i64>nt * <i64>cing * NR > PANEL_FLOATS) kc = max<i32>(1, PANEL_FLOATS / (nt * NR));

  const h = param(p, P_H), w = param(p, P_W);
  const xImage = ptr(p, P_X) + (<usize>((n * cin + g * cing) * h * w) << 2);
  const yImage = ptr(p, P_Y) + (<usize>((n * cout + g * coutg) * oh * ow) << 2);
  const biasG = packed + (<usize>(g * coutg) << 2);

  const perRow = (wp + 3) >> 2;
  const total = (j1 - j0) * perRow;
  for (let gi = 0; gi < total; gi += 2) {
    const ja = j0 + gi / perRow, ia = (gi % perRow) << 2, na = min<i32>(4, wp - ia);
    let jb = 0, ib = 0, nb = 0;
    if (gi + 1 < total) {
      jb = j0 + (gi + 1) / perRow; ib = ((gi + 1) % perRow) << 2; nb = min<i32>(4, wp - ib);
    }
    let c0 = 0;
    do {
      const kcc = min<i32>(kc, cing - c0);
      const nk = packPanel(xImage, h, w, tapsY, nty, tapsX, ntx, c0, kcc, cing,
                           ja, ia, na, jb, ib, nb, kept, panel);
      for (let b = 0; b < blocks; b++) {
        microkernel4x8(phaseA + <usize>b * blockBytes + (<usize>c0 << 4), kept, nk, kcc, panel, tile);
        storeTile(tile, yImage + (<usize>(b * MR * oh * ow) << 2), min<i32>(MR, coutg - b * MR),
                  oh * ow, ow, sh, sw, qy, qx, ja, ia, na, jb, ib, nb,
                  c0 == 0 ? biasG + (<usize>(b * MR) << 2) : 0);
      }
      c0 += kc;
    } while (c0 < cing);
  }
}

// Packs input channels [c0, c0 + kcc) of every tap that touches the tile into the panel.
// Writes the kept taps' weight offsets (bytes within a channel block) to `kept`; returns their count.
function packPanel(x: usize, h: i32, w: i32, tapsY: usize, nty: i32, tapsX: usize, ntx: i32,
                   c0: i32, kcc: i32, cing: i32, ja: i32, ia: i32, na: i32, jb: i32, ib: i32,
                   nb: i32, kept: usize, panel: usize): i32 {
  const plane = <usize>(h * w) << 2;
  let nk = 0;
  let dst = panel;
  for (let ty = 0; ty < nty; ty++) {
    const cy = load<i32>(tapsY + (<usize>ty << 3), 4);
    const ya = ja + cy, yb = jb + cy;
    const rowA = ya >= 0 && ya < h, rowB = nb > 0 && yb >= 0 && yb < h;
    if (!rowA && !rowB) continue;
    for (let tx = 0; tx < ntx; tx++) {
      const cx = load<i32>(tapsX + (<usize>tx << 3), 4);
      const xa = ia + cx, xb = ib + cx;
      const useA = rowA && xa < w && xa + na > 0;
      const useB = rowB && xb < w && xb + nb > 0;
      if (!useA && !useB) continue;
      const tap = ty * ntx + tx;
      store<u32>(kept + (<usize>nk << 2), <u32>(<usize>tap * <usize>cing * (MR * 4)));
      nk++;
      const srcA = x + (<usize>(c0 * h * w + ya * w + xa) << 2);
      const srcB = x + (<usize>(c0 * h * w + yb * w + xb) << 2);
      const fullA = useA && xa >= 0 && xa + 4 <= w;
      const fullB = useB && xb >= 0 && xb + 4 <= w;
      for (let c = 0; c < kcc; c++) {
        const off = <usize>c * plane;
        if (fullA) v128.store(dst, v128.load(srcA + off));
        else if (useA) packPartial(dst, srcA + off, xa, na, w);
        else v128.store(dst, f32x4.splat(0));
        if (fullB) v128.store(dst, v128.load(srcB + off), 16);
        else if (useB) packPartial(dst + 16, srcB + off, xb, nb, w);
        else v128.store(dst, f32x4.splat(0), 16);
        dst += NR << 2;
      }
    }
  }
  return nk;
}

// Four lanes starting at input column x0, zero where the column or the lane is out of range.
function packPartial(dst: usize, src: usize, x0: i32, cnt: i32, w: i32): void {
  for (let l = 0; l < 4; l++) {
    const xi = x0 + l;
    store<f32>(dst + (<usize>l << 2), l < cnt && xi >= 0 && xi < w ? load<f32>(src + (<usize>l << 2)) : 0);
  }
}

// tile[4][8] = sum over kept taps and channels of a[k][0..4) (outer) panel[k][0..8).
function microkernel4x8(a: usize, kept: usize, nk: i32, kcc: i32, panel: usize, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let bp = panel;
  for (let t = 0; t < nk; t++) {
    let ap = a + <usize>load<u32>(kept + (<usize>t << 2));
    for (let k = 0; k < kcc; k++) {
      const b0 = v128.load(bp), b1 = v128.load(bp, 16);
      const a0 = v128.load32_splat(ap), a1 = v128.load32_splat(ap + 4);
      const a2 = v128.load32_splat(ap + 8), a3 = v128.load32_splat(ap + 12);
      c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
      c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
      c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
      c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
      ap += MR * 4;
      bp += NR * 4;
    }
  }
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
}

// Writes `rows` channels of the tile to their strided output pixels. With a bias pointer the
// values are bias + tile (first channel chunk); without, they are added to what is there.
function storeTile(tile: usize, y: usize, rows: i32, plane: i32, ow: i32, sh: i32, sw: i32,
                   qy: i32, qx: i32, ja: i32, ia: i32, na: i32, jb: i32, ib: i32, nb: i32,
                   bias: usize): void {
  for (let r = 0; r < rows; r++) {
    const base = y + (<usize>(r * plane) << 2);
    const bv: f32 = bias != 0 ? load<f32>(bias + (<usize>r << 2)) : 0;
    const t = tile + (<usize>r << 5);
    storeGroup(t, base + (<usize>((qy + ja * sh) * ow + qx + ia * sw) << 2), na, sw, bv, bias != 0);
    if (nb > 0) {
      storeGroup(t + 16, base + (<usize>((qy + jb * sh) * ow + qx + ib * sw) << 2), nb, sw, bv, bias != 0);
    }
  }
}

// @ts-ignore: decorator
@inline function storeGroup(t: usize, dst: usize, cnt: i32, sw: i32, bv: f32, first: bool): void {
  const step = <usize>sw << 2;
  for (let l = 0; l < cnt; l++) {
    const v = load<f32>(t + (<usize>l << 2));
    const at = dst + <usize>l * step;
    store<f32>(at, first ? v + bv : load<f32>(at) + v);
  }
}
