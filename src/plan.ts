// Which kernel path runs a call, and the weight layout each path reads. Policy only: the
// kernels themselves (assembly/convt2d/*) compute whatever they are handed.
import { ConvInfo } from './shape.js';

/**
 * - gemv: a 1 x 1 input (a latent vector): one matrix-vector product over the raw weight.
 * - depthwise: one input channel per group: each output channel on its own.
 * - subconv: everything else, as stride_h x stride_w dense sub-convolutions on 5x8 tiles.
 * - scatter: tiny calls (the worked example): the definition, pixel by pixel, with no set-up.
 */
export type Path = 'gemv' | 'depthwise' | 'subconv' | 'scatter';

/**
 * Multiply-adds up to which a call takes the scatter path: below this the set-up of tiles and
 * panels (about 1.5 µs) costs more than scalar multiply-adds (about 1 ns each).
 */
export const SCATTER_MACS = 1024;
let scatterMacs = SCATTER_MACS;

/** Changes the scatter threshold (tests set -1 to keep every call on the other paths); returns the old one. */
export function setScatterMacs(macs: number): number {
  const old = scatterMacs;
  scatterMacs = macs;
  return old;
}

/** Packed-weight layouts (assembly/pack.ts): blocked runs of 5 channels, or the weight as given. */
export const enum Layout { Blocked = 0, Raw = 1 }

export function layoutOf(path: Path): Layout {
  return path === 'subconv' ? Layout.Blocked : Layout.Raw;
}

export function choosePath(info: ConvInfo): Path {
  const macs = info.n * info.cin * info.h * info.w * (info.cout / info.groups) * info.kh * info.kw;
  if (macs <= scatterMacs) return 'scatter';
  if (info.h === 1 && info.w === 1) return 'gemv';
  if (info.cin === info.groups) return 'depthwise';
  return 'subconv';
}

/**
 * Floats from one input channel plane to the next in linear memory. Planes whose size is a
 * multiple of 1 KiB (32 x 32 and larger powers of two) would put a tile's reads of consecutive
 * channels in the same few L1 cache sets; one cache line of padding after each plane spreads
 * them (the decoder and dilated layers run ~10% faster). Only the sub-convolution path reads
 * many planes at once.
 */
export function inputPlane(info: ConvInfo, path: Path): number {
  const hw = info.h * info.w;
  return path === 'subconv' && (hw * 4) % 1024 === 0 ? hw + 16 : hw;
}
