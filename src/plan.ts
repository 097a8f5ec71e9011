// Which kernel path runs a call, and the weight layout each path reads. Policy only: the
// kernels themselves (assembly/convt2d/*) compute whatever they are handed.
import { ConvInfo } from './shape.js';

export type Path = 'subconv';

/** Packed-weight layouts (assembly/pack.ts): blocked runs of 5 channels, or the weight as given. */
export const enum Layout { Blocked = 0, Raw = 1 }

export function layoutOf(path: Path): Layout {
  switch (path) {
    case 'subconv': return Layout.Blocked;
  }
}

export function choosePath(_info: ConvInfo): Path {
  return 'subconv';
}
