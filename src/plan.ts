// Which kernel path runs a call, and the weight layout each path reads. Policy only: the
// kernels themselves (assembly/convt2d/*) compute whatever they are handed.
import { ConvInfo } from './shape.js';

/**
 * - gemv: a 1 x 1 input (a latent vector): one matrix-vector product over the raw weight.
 * - depthwise: one input channel per group: each output channel on its own.
 * - columns: few output channels per group (RGB output layers): every tap of every output
 *   channel is a GEMM row, each finished tile added into the output at its tap's place.
 * - subconv: everything else, as stride_h x stride_w dense sub-convolutions on 5x8 tiles.
 * - scatter: tiny calls (the worked example): the definition, pixel by pixel, with no set-up.
 */
export type Path = 'gemv' | 'depthwise' | 'columns' | 'subconv' | 'scatter';

/**
 * Multiply-adds up to which a call takes the scatter path: below this the set-up of tiles and
 * panels (about 1.5 µs) costs more than scalar multiply-adds (about 1 ns each).
 */
const SCATTER_MACS = 1024;
let scatterMacs = SCATTER_MACS;

/** Changes the scatter threshold (tests set -1 to keep every call on the other paths); returns the old one. */
export function setScatterMacs(macs: number): number {
  const old = scatterMacs;
  scatterMacs = macs;
  return old;
}

/**
 * Whether the columns path beats the sub-convolution tiles (measured on k3 and k4 layers with
 * 16 to 256 input channels): with 1 or 2 output channels per group it does from 8 input
 * channels up, with 3 or 4 from 64 up (each tile row, C_in/G multiply-adds deep, is added into
 * the output one float at a time, so deep rows pay for it); it needs 4 or more taps.
 */
function columnsPay(cing: number, coutg: number, taps: number): boolean {
  return taps >= 4 && ((coutg <= 2 && cing >= 8) || (coutg <= 4 && cing >= 64));
}

let forced: 'scatter' | 'columns' | null = null;

/** Tests: sends every call to one of the paths that run any shape (null: the policy). Returns the old setting. */
export function forcePath(path: 'scatter' | 'columns' | null): 'scatter' | 'columns' | null {
  const old = forced;
  forced = path;
  return old;
}

/** Packed-weight layouts (assembly/pack.ts): blocked runs of 5 channels, the weight as given, or tap rows. */
export const enum Layout { Blocked = 0, Raw = 1, Columns = 2 }

export function layoutOf(path: Path): Layout {
  return path === 'subconv' ? Layout.Blocked : path === 'columns' ? Layout.Columns : Layout.Raw;
}

export function choosePath(info: ConvInfo): Path {
  if (forced) return forced;
  const cing = info.cin / info.groups, coutg = info.cout / info.groups;
  const macs = info.n * info.cin * info.h * info.w * coutg * info.kh * info.kw;
  if (macs <= scatterMacs) return 'scatter';
  if (info.h === 1 && info.w === 1) return 'gemv';
  if (info.cin === info.groups) return 'depthwise';
  if (columnsPay(cing, coutg, info.kh * info.kw)) return 'columns';
  return 'subconv';
}

/**
 * Floats from one input channel plane to the next in linear memory. Planes whose size is a
 * multiple of 1 KiB (32 x 32 and larger powers of two) would put a tile's reads of consecutive
 * channels in the same few L1 cache sets; one cache line of padding after each plane spreads
 * them (the decoder and dilated layers run ~10% faster). Only the subconv and columns paths
 * read many planes at once.
 */
export function inputPlane(info: ConvInfo, path: Path): number {
  const hw = info.h * info.w;
  return (path === 'subconv' || path === 'columns') && (hw * 4) % 1024 === 0 ? hw + 16 : hw;
}
