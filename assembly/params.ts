// The parameter block: one i32 slot per field, written by src/abi.ts before each call.
// Passing one pointer keeps every export's signature short and stable as fields are added.
export const P_N: i32 = 0;
export const P_CIN: i32 = 1;
export const P_H: i32 = 2;
export const P_W: i32 = 3;
export const P_COUT: i32 = 4;
export const P_KH: i32 = 5;
export const P_KW: i32 = 6;
export const P_SH: i32 = 7;
export const P_SW: i32 = 8;
export const P_PH: i32 = 9;
export const P_PW: i32 = 10;
export const P_DH: i32 = 11;
export const P_DW: i32 = 12;
export const P_GROUPS: i32 = 13;
export const P_OH: i32 = 14;
export const P_OW: i32 = 15;
export const P_X: i32 = 16;        // input [N, CIN, H, W]
export const P_WEIGHT: i32 = 17;   // raw weight of the channels packChannels packs (packing only)
export const P_BIAS: i32 = 18;     // bias [COUT] or 0 (read by packing only)
export const P_Y: i32 = 19;        // output [N, COUT, OH, OW]
export const P_PACKED: i32 = 20;   // packed weights + bias
export const P_SCRATCH: i32 = 21;  // per-thread scratch, scratchBytes() long
export const P_ROWS: i32 = 22;     // phase rows per work item (work split granularity)
export const P_XPLANE: i32 = 23;   // floats from one input channel plane to the next (>= H*W)
export const P_SLOTS: i32 = 24;    // block size in slots (spare slots keep 16-byte alignment)

// @ts-ignore: decorator
@inline export function param(p: usize, slot: i32): i32 {
  return load<i32>(p + (<usize>slot << 2));
}

// Bytes from one input channel plane to the next.
// @ts-ignore: decorator
@inline export function inputPlaneBytes(p: usize): usize {
  return <usize>load<u32>(p + (<usize>P_XPLANE << 2)) << 2;
}

// @ts-ignore: decorator
@inline export function ptr(p: usize, slot: i32): usize {
  return <usize>load<u32>(p + (<usize>slot << 2));
}
