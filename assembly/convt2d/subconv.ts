// Transposed convolution as stride_h x stride_w dense sub-convolutions (see phase.ts): no
// multiplication by an inserted zero. A work item is (batch n, group g, phase (qy, qx), block of
// phase rows), numbered band by band (see runItem). Its output pixels are taken 4 consecutive
// phase columns at a time; two such quads make the 8 pixels of a tile. For each tile and each
// block of 5 output channels, the microkernel sums every tap of the phase over every input
// channel of the group.
//
// Where the 8 pixels are one run of a phase row and every tap reads inside the input row, the
// microkernel reads the input in place (one segment per tap). Elsewhere (image borders, tiles
// that wrap to the next phase row) the tile's inputs are first packed into a zero-padded panel.
import {
  param, ptr, P_N, P_CIN, P_H, P_W, P_COUT, P_KH, P_KW, P_SH, P_SW, P_PH, P_PW, P_DH, P_DW,
  P_GROUPS, P_OH, P_OW, P_X, P_Y, P_PACKED, P_SCRATCH, P_ROWS, inputPlaneBytes,
} from "../params";
import { phaseTapList, phaseLength } from "./phase";
import { blocksPerGroup, runAt, runBytes, tapSlot } from "../pack";
import { MR, NR, tileSegments } from "./tile";
import { storeQuad, storeInterleaved } from "./store";

// Panel budget in floats (128 KiB, shared by the tiles of a tile group): consecutive tiles of a
// phase row are packed together, then each channel block runs over all of them, so the packing
// reads whole input lines once and a block's weights stay in L1 across the group's tiles.
// Input channels are split into chunks only when one tile alone does not fit.
const PANEL_FLOATS: i32 = 32768;
const GROUP_TILES: i32 = 16;
const TILE_BYTES: usize = MR * NR * 4;
const REC_BYTES: usize = 64; // per tile of a group: geometry, output pointers, segment counts

// Phases handled together per item along x: with stride 2 the two column phases are computed
// side by side so their tiles interleave into whole f32x4 output stores.
// @ts-ignore: decorator
@inline function phasesPerPass(sw: i32): i32 {
  return sw == 2 ? 2 : 1;
}

// Scratch layout, in order: row taps, column taps of both phases, two tiles, the tile records,
// the segment lists (two per tile of a group), the panel.
// @ts-ignore: decorator
@inline function segBytes(kh: i32, kw: i32): usize {
  return <usize>(kh * kw) << 4;
}
// @ts-ignore: decorator
@inline function tapsXAt(scratch: usize, kh: i32, kw: i32, q: i32): usize {
  return scratch + ((<usize>kh << 3) + 15 & ~15) + <usize>q * ((<usize>kw << 3) + 15 & ~15);
}
// @ts-ignore: decorator
@inline function tilesAt(scratch: usize, kh: i32, kw: i32): usize {
  return tapsXAt(scratch, kh, kw, 2);
}
// @ts-ignore: decorator
@inline function recordsAt(scratch: usize, kh: i32, kw: i32): usize {
  return tilesAt(scratch, kh, kw) + 2 * TILE_BYTES;
}
// @ts-ignore: decorator
@inline function segsAt(scratch: usize, kh: i32, kw: i32): usize {
  return recordsAt(scratch, kh, kw) + <usize>GROUP_TILES * REC_BYTES;
}
// @ts-ignore: decorator
@inline function panelAt(scratch: usize, kh: i32, kw: i32): usize {
  return segsAt(scratch, kh, kw) + <usize>(2 * GROUP_TILES) * segBytes(kh, kw);
}

export function subconvScratchBytes(p: usize): usize {
  const kh = param(p, P_KH), kw = param(p, P_KW);
  const panel = max<usize>(PANEL_FLOATS, <usize>kh * <usize>kw * (2 * NR)) << 2;
  return panelAt(0, kh, kw) + panel;
}

// @ts-ignore: decorator
@inline function rowBlocks(p: usize): i32 {
  const sh = param(p, P_SH);
  const rows = (param(p, P_OH) + sh - 1) / sh;
  const per = param(p, P_ROWS);
  return (rows + per - 1) / per;
}

export function subconvItems(p: usize): i32 {
  const sw = param(p, P_SW);
  return param(p, P_N) * param(p, P_GROUPS) * param(p, P_SH) * (sw / phasesPerPass(sw)) * rowBlocks(p);
}

export function subconvRun(p: usize, begin: i32, end: i32): void {
  for (let item = begin; item < end; item++) runItem(p, item);
}

function runItem(p: usize, item: i32): void {
  const sh = param(p, P_SH), sw = param(p, P_SW), groups = param(p, P_GROUPS);
  const xq = phasesPerPass(sw);
  const nrb = rowBlocks(p);
  // Item order: the phases of one band of rows (rb) are adjacent, so that bands of the output
  // finish one after another and a threaded call can copy each out while the rest computes.
  let t = item;
  const pass = t % (sw / xq); t /= sw / xq;
  const qy = t % sh; t /= sh;
  const rb = t % nrb; t /= nrb;
  const g = t % groups;
  const n = t / groups;
  const qx0 = pass * xq;

  const oh = param(p, P_OH), ow = param(p, P_OW);
  const hp = phaseLength(qy, oh, sh);
  const wp0 = phaseLength(qx0, ow, sw);
  const wp1 = xq == 2 ? phaseLength(qx0 + 1, ow, sw) : 0;
  const rows = param(p, P_ROWS);
  const j0 = rb * rows;
  const j1 = min<i32>(hp, j0 + rows);
  if (j0 >= j1 || wp0 == 0) return;

  const kh = param(p, P_KH), kw = param(p, P_KW);
  const scratch = ptr(p, P_SCRATCH);
  const tapsY = scratch, tapsX0 = tapsXAt(scratch, kh, kw, 0), tapsX1 = tapsXAt(scratch, kh, kw, 1);
  const tile0 = tilesAt(scratch, kh, kw), tile1 = tile0 + TILE_BYTES;
  const records = recordsAt(scratch, kh, kw), segsBase = segsAt(scratch, kh, kw);
  const panel = panelAt(scratch, kh, kw);
  const sb = segBytes(kh, kw);
  const nty = phaseTapList(qy, param(p, P_PH), kh, param(p, P_DH), sh, tapsY);
  const ntx0 = phaseTapList(qx0, param(p, P_PW), kw, param(p, P_DW), sw, tapsX0);
  const ntx1 = xq == 2 ? phaseTapList(qx0 + 1, param(p, P_PW), kw, param(p, P_DW), sw, tapsX1) : 0;

  const cin = param(p, P_CIN), cout = param(p, P_COUT);
  const cing = cin / groups, coutg = cout / groups;
  const h = param(p, P_H), w = param(p, P_W);
  const plane = inputPlaneBytes(p);
  const outPlane = <usize>(oh * ow) << 2;
  const x = ptr(p, P_X) + <usize>(n * cin + g * cing) * plane;
  const y = ptr(p, P_Y) + (<usize>((n * cout + g * coutg) * oh * ow) << 2);
  const bias = ptr(p, P_PACKED) + (<usize>(g * coutg) << 2);
  const blocks = blocksPerGroup(p);
  const aGroup = runAt(p, g, 0, 0);
  const blockStride = <usize>(kh * kw) * runBytes(p);

  // Tiles per group, and the input-channel chunk when one tile's panel is over budget.
  const perChannel = <i64>(nty * (ntx0 + ntx1)) * NR; // panel floats per input channel per tile
  let kc = cing, group = GROUP_TILES;
  if (perChannel * cing > PANEL_FLOATS) {
    group = 1;
    kc = max<i32>(1, <i32>(PANEL_FLOATS / max<i64>(1, perChannel)));
  } else if (perChannel > 0) {
    group = <i32>min<i64>(GROUP_TILES, PANEL_FLOATS / (perChannel * cing));
  }

  const perRow = (wp0 + 3) >> 2;
  const quads = (j1 - j0) * perRow;
  const tiles = (quads + 1) >> 1;
  for (let tg = 0; tg < tiles; tg += group) {
    const tEnd = min<i32>(tiles, tg + group);
    let c0 = 0;
    do {
      const kcc = min<i32>(kc, cing - c0);
      let cursor = panel;
      for (let ti = tg; ti < tEnd; ti++) {
        const gi = ti << 1;
        const ja = j0 + gi / perRow, ia = (gi % perRow) << 2;
        let jb = 0, ib = 0;
        const hasB = gi + 1 < quads;
        if (hasB) { jb = j0 + (gi + 1) / perRow; ib = ((gi + 1) % perRow) << 2; }
        // Pixels of each phase in each quad (phase 1 can be one column shorter than phase 0).
        const na0 = min<i32>(4, wp0 - ia), nb0 = hasB ? min<i32>(4, wp0 - ib) : 0;
        const na1 = max<i32>(0, min<i32>(4, wp1 - ia)), nb1 = hasB ? max<i32>(0, min<i32>(4, wp1 - ib)) : 0;
        const direct = kc == cing && blocks <= 2 && (!hasB || (jb == ja && ib == ia + 4));
        const segs0 = segsBase + <usize>((ti - tg) << 1) * sb;
        const rec = records + <usize>(ti - tg) * REC_BYTES;
        store<u32>(rec, <u32>(y + (<usize>((qy + ja * sh) * ow + qx0 + ia * sw) << 2)));
        store<u32>(rec, <u32>(y + (<usize>((qy + jb * sh) * ow + qx0 + ib * sw) << 2)), 4);
        store<i32>(rec, na0, 8); store<i32>(rec, nb0, 12);
        store<i32>(rec, na1, 16); store<i32>(rec, nb1, 20);
        // Segments for phase 0 (and 1): in place where possible, else from packed panels.
        const xc = x + <usize>c0 * plane;
        cursor = phaseSegments(p, direct, xc, h, w, tapsY, nty, tapsX0, ntx0, kcc, c0, ja, ia, na0,
                               jb, ib, nb0, segs0, cursor, rec);
        store<i32>(rec, 0, 28);
        if (na1 + nb1 > 0) {
          cursor = phaseSegments(p, direct, xc, h, w, tapsY, nty, tapsX1, ntx1, kcc, c0, ja, ia, na1,
                                 jb, ib, nb1, segs0 + sb, cursor, rec + 4);
        }
      }
      for (let b = 0; b < blocks; b++) {
        const r = min<i32>(MR, coutg - b * MR);
        const a = aGroup + <usize>b * blockStride;
        const chan = <usize>b * MR * outPlane;
        const bb = bias + (<usize>(b * MR) << 2);
        for (let ti = tg; ti < tEnd; ti++) {
          const rec = records + <usize>(ti - tg) * REC_BYTES;
          const segs0 = segsBase + <usize>((ti - tg) << 1) * sb;
          const oa = <usize>load<u32>(rec), ob = <usize>load<u32>(rec, 4);
          const na0 = load<i32>(rec, 8), nb0 = load<i32>(rec, 12);
          const na1 = load<i32>(rec, 16), nb1 = load<i32>(rec, 20);
          tileSegments(r, a, segs0, load<i32>(rec, 24), tile0);
          if (na1 + nb1 > 0) {
            tileSegments(r, a, segs0 + sb, load<i32>(rec, 28), tile1);
            storePair(tile0, tile1, r, chan, outPlane, oa, na0, na1, ob, nb0, nb1, bb, c0 == 0);
          } else {
            storeTile(tile0, r, chan, outPlane, oa, na0, ob, nb0, sw, bb, c0 == 0);
          }
        }
      }
      c0 += kc;
    } while (c0 < cing);
  }
}

// The segments of one phase of a tile (see packPanel); stores their count at rec + 24 and
// returns the panel cursor after what was packed.
function phaseSegments(p: usize, direct: bool, x: usize, h: i32, w: i32, tapsY: usize, nty: i32,
                       tapsX: usize, ntx: i32, kcc: i32, c0: i32, ja: i32, ia: i32, na: i32, jb: i32,
                       ib: i32, nb: i32, segs: usize, cursor: usize, rec: usize): usize {
  const ns = packPanel(p, direct, x, h, w, tapsY, nty, tapsX, ntx, kcc, <usize>c0 * (MR * 4), runBytes(p),
                       ja, ia, na, jb, ib, nb, segs, cursor);
  store<i32>(rec, ns, 24);
  return panelEnd(segs, ns, cursor);
}

// First panel byte after the rows that `ns` packed segments use.
function panelEnd(segs: usize, ns: i32, start: usize): usize {
  let end = start;
  for (let i = 0; i < ns; i++) {
    const at = segs + (<usize>i << 4);
    if (load<u32>(at, 12) == NR * 4) end += <usize>load<i32>(at, 8) * (NR * 4);
  }
  return end;
}

// Writes one segment (4 words: weight offset, input pointer, steps, input step) per tap that
// touches the tile, for input channels [c0, c0 + kcc) (x already points at c0); returns their
// count. With `direct` (the tile's 8 pixels are one run of a row, and channel blocks are too few
// to amortize packing), a tap whose 8 input columns lie inside the image is read in place;
// every other tap is packed into the panel, zero outside the image. Adjacent packed taps with
// adjacent weight runs merge into one segment.
function packPanel(p: usize, direct: bool, x: usize, h: i32, w: i32, tapsY: usize, nty: i32, tapsX: usize,
                   ntx: i32, kcc: i32, aChunk: usize, run: usize, ja: i32, ia: i32, na: i32,
                   jb: i32, ib: i32, nb: i32, segs: usize, panel: usize): i32 {
  const plane = inputPlaneBytes(p);
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
      const aOff = <u32>(<usize>tapSlot(p, ky, kx) * run + aChunk);
      const srcA = x + (<usize>(ya * w + xa) << 2);
      if (direct && xa >= 0 && xa + na + nb <= w) {
        const at = segs + (<usize>ns << 4);
        store<u32>(at, aOff);
        store<u32>(at, <u32>srcA, 4);
        store<i32>(at, kcc, 8);
        store<u32>(at, <u32>plane, 12);
        ns++;
        continue;
      }
      const prev = segs + (<usize>(ns - 1) << 4);
      if (ns > 0 && load<u32>(prev, 12) == NR * 4 && load<u32>(prev) + <u32>load<i32>(prev, 8) * (MR * 4) == aOff &&
          load<u32>(prev, 4) + <u32>load<i32>(prev, 8) * (NR * 4) == <u32>dst) {
        // Adjacent weight runs and adjacent panel rows: one longer segment.
        store<i32>(prev, load<i32>(prev, 8) + kcc, 8);
      } else {
        const at = segs + (<usize>ns << 4);
        store<u32>(at, aOff);
        store<u32>(at, <u32>dst, 4);
        store<i32>(at, kcc, 8);
        store<u32>(at, NR * 4, 12);
        ns++;
      }
      const srcB = x + (<usize>(yb * w + xb) << 2);
      const fullA = useA && xa >= 0 && xa + 4 <= w;
      const fullB = useB && xb >= 0 && xb + 4 <= w;
      if (fullA && fullB) {
        // Hot case: both quads inside the image: two straight copies per channel.
        const end = dst + (<usize>kcc << 5);
        let sa = srcA, sb = srcB;
        while (dst < end) {
          v128.store(dst, v128.load(sa));
          v128.store(dst, v128.load(sb), 16);
          sa += plane; sb += plane;
          dst += NR << 2;
        }
        continue;
      }
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

// Rows of both phases' tiles (stride 2: phase 0 at even, phase 1 at odd output columns) to
// output channels: interleaved into whole f32x4 stores where both quads are full.
function storePair(t0: usize, t1: usize, rows: i32, chan: usize, outPlane: usize, oa: usize,
                   na0: i32, na1: i32, ob: usize, nb0: i32, nb1: i32, bias: usize, first: bool): void {
  for (let r = 0; r < rows; r++) {
    const bv = load<f32>(bias + (<usize>r << 2));
    const off = chan + <usize>r * outPlane;
    const ta = <usize>r << 5;
    storeInterleaved(t0 + ta, t1 + ta, oa + off, na0, na1, bv, first);
    if (nb0 > 0) storeInterleaved(t0 + ta + 16, t1 + ta + 16, ob + off, nb0, nb1, bv, first);
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
