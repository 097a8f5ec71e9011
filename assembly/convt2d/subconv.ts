// Transposed convolution as stride_h x stride_w dense sub-convolutions (see phase.ts): no
// multiplication by an inserted zero. A work item is (batch n, group g, phase (qy, qx), block of
// phase rows). Its output pixels are taken 4 consecutive phase columns at a time; two such quads
// make the 8 pixels of a tile. For each tile and each block of 5 output channels, the microkernel
// sums every tap of the phase over every input channel of the group.
//
// Where the 8 pixels are one run of a phase row and every tap reads inside the input row, the
// microkernel reads the input in place (one segment per tap). Elsewhere (image borders, tiles
// that wrap to the next phase row) the tile's inputs are first packed into a zero-padded panel.
import {
  param, ptr, P_N, P_CIN, P_H, P_W, P_COUT, P_KH, P_KW, P_SH, P_SW, P_PH, P_PW, P_DH, P_DW,
  P_GROUPS, P_OH, P_OW, P_X, P_Y, P_PACKED, P_SCRATCH, P_ROWS,
} from "../params";
import { phaseTapList, phaseLength } from "./phase";
import { blocksPerGroup, runAt, runBytes } from "../pack";
import { MR, NR, tileSegments } from "./tile";
import { storeQuad } from "./store";

// Panel budget in floats (32 KiB): input channels are split into chunks that fit.
const PANEL_FLOATS: i32 = 8192;
const TILE_BYTES: usize = MR * NR * 4;

// Scratch: tap lists (kh + kw pairs), segments (kh*kw pairs), the tile, then the panel.
// @ts-ignore: decorator
@inline function headerBytes(kh: i32, kw: i32): usize {
  return ((<usize>(kh + kw + kh * kw) << 3) + 15 & ~15) + TILE_BYTES;
}

export function subconvScratchBytes(p: usize): usize {
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

export function subconvItems(p: usize): i32 {
  return param(p, P_N) * param(p, P_GROUPS) * param(p, P_SH) * param(p, P_SW) * rowBlocks(p);
}

export function subconvRun(p: usize, begin: i32, end: i32): void {
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
  const segs = tapsX + (<usize>kw << 3);
  const tileBuf = scratch + headerBytes(kh, kw) - TILE_BYTES;
  const panel = scratch + headerBytes(kh, kw);
  const nty = phaseTapList(qy, param(p, P_PH), kh, param(p, P_DH), sh, tapsY);
  const ntx = phaseTapList(qx, param(p, P_PW), kw, param(p, P_DW), sw, tapsX);

  const cin = param(p, P_CIN), cout = param(p, P_COUT);
  const cing = cin / groups, coutg = cout / groups;
  const h = param(p, P_H), w = param(p, P_W);
  const plane = <usize>(h * w) << 2;
  const outPlane = <usize>(oh * ow) << 2;
  const x = ptr(p, P_X) + (<usize>((n * cin + g * cing) * h * w) << 2);
  const y = ptr(p, P_Y) + (<usize>((n * cout + g * coutg) * oh * ow) << 2);
  const bias = ptr(p, P_PACKED) + (<usize>(g * coutg) << 2);
  const blocks = blocksPerGroup(p);
  const aGroup = runAt(p, g, 0, 0);
  const blockStride = <usize>(kh * kw) * runBytes(p);
  let kc = cing;
  if (<i64>nty * ntx * cing * NR > PANEL_FLOATS) kc = max<i32>(1, PANEL_FLOATS / (nty * ntx * NR));

  const perRow = (wp + 3) >> 2;
  const total = (j1 - j0) * perRow;
  for (let gi = 0; gi < total; gi += 2) {
    const ja = j0 + gi / perRow, ia = (gi % perRow) << 2, na = min<i32>(4, wp - ia);
    let jb = 0, ib = 0, nb = 0;
    if (gi + 1 < total) {
      jb = j0 + (gi + 1) / perRow; ib = ((gi + 1) % perRow) << 2; nb = min<i32>(4, wp - ib);
    }
    const oa = y + (<usize>((qy + ja * sh) * ow + qx + ia * sw) << 2);
    const ob = y + (<usize>((qy + jb * sh) * ow + qx + ib * sw) << 2);
    // In place only where a packed panel would be reused little: reading in place streams each
    // input row once per channel block, and planes a power of two apart thrash the L1 sets.
    let nseg = -1;
    if (blocks <= 2 && (nb == 0 || (jb == ja && ib == ia + 4))) {
      nseg = directSegments(tapsY, nty, tapsX, ntx, kw, ja, ia, na + nb, h, w, x, runBytes(p), segs);
    }
    if (nseg >= 0) {
      for (let b = 0; b < blocks; b++) {
        const r = min<i32>(MR, coutg - b * MR);
        tileSegments(r, aGroup + <usize>b * blockStride, segs, nseg, cing, plane, tileBuf);
        storeTile(tileBuf, r, <usize>b * MR * outPlane, outPlane, oa, na, ob, nb, sw, bias + (<usize>(b * MR) << 2), true);
      }
      continue;
    }
    let c0 = 0;
    do {
      const kcc = min<i32>(kc, cing - c0);
      const ns = packPanel(x + <usize>c0 * plane, h, w, tapsY, nty, tapsX, ntx, kw, kcc,
                           <usize>c0 * (MR * 4), runBytes(p), ja, ia, na, jb, ib, nb, segs, panel);
      for (let b = 0; b < blocks; b++) {
        const r = min<i32>(MR, coutg - b * MR);
        tileSegments(r, aGroup + <usize>b * blockStride, segs, ns, kcc, NR * 4, tileBuf);
        storeTile(tileBuf, r, <usize>b * MR * outPlane, outPlane, oa, na, ob, nb, sw, bias + (<usize>(b * MR) << 2), c0 == 0);
      }
      c0 += kc;
    } while (c0 < cing);
  }
}

// Segments for reading the input in place: one per tap whose input row is inside the image.
// Returns -1 when some tap needs columns outside the row (the caller packs a panel instead).
function directSegments(tapsY: usize, nty: i32, tapsX: usize, ntx: i32, kw: i32, j: i32, i: i32, cnt: i32,
                        h: i32, w: i32, x: usize, run: usize, segs: usize): i32 {
  let n = 0;
  for (let ty = 0; ty < nty; ty++) {
    const iy = j + load<i32>(tapsY + (<usize>ty << 3), 4);
    if (iy < 0 || iy >= h) continue;
    const ky = load<i32>(tapsY + (<usize>ty << 3));
    for (let tx = 0; tx < ntx; tx++) {
      const ix = i + load<i32>(tapsX + (<usize>tx << 3), 4);
      if (ix + cnt <= 0 || ix >= w) continue;
      if (ix < 0 || ix + cnt > w) return -1;
      const kx = load<i32>(tapsX + (<usize>tx << 3));
      const at = segs + (<usize>n << 3);
      store<u32>(at, <u32>(<usize>(ky * kw + kx) * run));
      store<u32>(at, <u32>(x + (<usize>(iy * w + ix) << 2)), 4);
      n++;
    }
  }
  return n;
}

// Packs input channels [c0, c0 + kcc) (x already points at c0) of every tap that touches the tile
// into the panel, zero outside the image; writes one segment per kept tap; returns their count.
function packPanel(x: usize, h: i32, w: i32, tapsY: usize, nty: i32, tapsX: usize, ntx: i32,
                   kwTaps: i32, kcc: i32, aChunk: usize, run: usize, ja: i32, ia: i32, na: i32,
                   jb: i32, ib: i32, nb: i32, segs: usize, panel: usize): i32 {
  const plane = <usize>(h * w) << 2;
  let ns = 0;
  let dst = panel;
  for (let ty = 0; ty < nty; ty++) {
    const cy = load<i32>(tapsY + (<usize>ty << 3), 4);
    const ky = load<i32>(tapsY + (<usize>ty << 3));
    const ya = ja + cy, yb = jb + cy;
    const rowA = ya >= 0 && ya < h, rowB = nb > 0 && yb >= 0 && yb < h;
    if (!rowA && !rowB) continue;
    for (let tx = 0; tx < ntx; tx++) {
      const cx = load<i32>(tapsX + (<usize>tx << 3), 4);
      const xa = ia + cx, xb = ib + cx;
      const useA = rowA && xa < w && xa + na > 0;
      const useB = rowB && xb < w && xb + nb > 0;
      if (!useA && !useB) continue;
      const kx = load<i32>(tapsX + (<usize>tx << 3));
      const at = segs + (<usize>ns << 3);
      store<u32>(at, <u32>(<usize>(ky * kwTaps + kx) * run + aChunk));
      store<u32>(at, <u32>dst, 4);
      ns++;
      const srcA = x + (<usize>(ya * w + xa) << 2);
      const srcB = x + (<usize>(yb * w + xb) << 2);
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
  return ns;
}

// Four lanes starting at input column x0, zero where the column or the lane is out of range.
function packPartial(dst: usize, src: usize, x0: i32, cnt: i32, w: i32): void {
  for (let l = 0; l < 4; l++) {
    const xi = x0 + l;
    let v: f32 = 0;
    if (l < cnt && xi >= 0 && xi < w) v = load<f32>(src + (<usize>l << 2));
    store<f32>(dst + (<usize>l << 2), v);
  }
}

// Rows of the tile to output channels (plane bytes apart from `chan`), both quads.
function storeTile(t: usize, rows: i32, chan: usize, outPlane: usize, oa: usize, na: i32,
                   ob: usize, nb: i32, sw: i32, bias: usize, first: bool): void {
  for (let r = 0; r < rows; r++) {
    const bv = load<f32>(bias + (<usize>r << 2));
    const planeOff = chan + <usize>r * outPlane;
    storeQuad(t + (<usize>r << 5), oa + planeOff, na, sw, bv, first);
    if (nb > 0) storeQuad(t + (<usize>r << 5) + 16, ob + planeOff, nb, sw, bv, first);
  }
}
