// The parameter block shared with assembly/params.ts: same slots, same order.
import { ConvInfo } from './shape.js';

export const P = {
  N: 0, CIN: 1, H: 2, W: 3, COUT: 4, KH: 5, KW: 6, SH: 7, SW: 8, PH: 9, PW: 10, DH: 11, DW: 12,
  GROUPS: 13, OH: 14, OW: 15, X: 16, WEIGHT: 17, BIAS: 18, Y: 19, PACKED: 20, SCRATCH: 21, ROWS: 22,
  XPLANE: 23,
} as const;
export const P_SLOTS = 24;

export interface Pointers {
  x?: number; weight?: number; bias?: number; y?: number; packed?: number; scratch?: number;
  /** Floats from one input channel plane to the next (default H*W: unpadded). */
  xPlane?: number;
}

/** Writes the shape fields of `info` and the given pointers into the block at `block` (an Int32Array view). */
export function writeParams(block: Int32Array, info: ConvInfo, ptrs: Pointers, rowsPerItem: number): void {
  block[P.N] = info.n; block[P.CIN] = info.cin; block[P.H] = info.h; block[P.W] = info.w;
  block[P.COUT] = info.cout; block[P.KH] = info.kh; block[P.KW] = info.kw;
  block[P.SH] = info.sh; block[P.SW] = info.sw; block[P.PH] = info.ph; block[P.PW] = info.pw;
  block[P.DH] = info.dh; block[P.DW] = info.dw; block[P.GROUPS] = info.groups;
  block[P.OH] = info.oh; block[P.OW] = info.ow;
  block[P.X] = ptrs.x ?? 0; block[P.WEIGHT] = ptrs.weight ?? 0; block[P.BIAS] = ptrs.bias ?? 0;
  block[P.Y] = ptrs.y ?? 0; block[P.PACKED] = ptrs.packed ?? 0; block[P.SCRATCH] = ptrs.scratch ?? 0;
  block[P.ROWS] = rowsPerItem;
  block[P.XPLANE] = ptrs.xPlane ?? info.h * info.w;
}
