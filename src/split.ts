// How a call is cut for threads (policy only): whether threads pay off at all, and how many
// phase rows one work item covers so that every thread gets several items to balance with.
import { ConvInfo } from './shape.js';

/**
 * Multiply-adds below which a call runs on the calling thread: waking the workers and waiting
 * for the last item cost a few tens of microseconds, as much as this much arithmetic.
 */
export const MIN_THREADED_MACS = 1_000_000;
let minMacs = MIN_THREADED_MACS;

/** Changes the threshold (tests set 0 to send every call through the workers); returns the old one. */
export function setMinThreadedMacs(macs: number): number {
  const old = minMacs;
  minMacs = macs;
  return old;
}
/** Work items wanted per thread: enough that uneven items even out, few enough to stay coarse. */
const ITEMS_PER_THREAD = 8;

/** Multiply-adds of the call: every output pixel sums about kh*kw/(sh*sw) taps of each input channel in its group. */
export function multiplyAdds(info: ConvInfo): number {
  const taps = Math.max(1, (info.kh * info.kw) / (info.sh * info.sw));
  return info.n * info.cout * info.oh * info.ow * (info.cin / info.groups) * taps;
}

/** Whether spreading this call over `threads` threads is expected to beat the calling thread alone. */
export function worthThreads(info: ConvInfo, threads: number): boolean {
  return threads > 1 && multiplyAdds(info) >= minMacs;
}

/**
 * Phase rows per work item for `threads` threads: all of them (the kernel's best) when batch,
 * groups and phases already give enough items, else halved until they do. Paths that ignore
 * the row count keep it whole.
 */
export function rowsFor(threads: number): (itemsAt: (rows: number) => number, fullRows: number) => number {
  return (itemsAt, fullRows) => {
    const want = threads * ITEMS_PER_THREAD;
    const full = itemsAt(fullRows);
    let rows = fullRows, items = full;
    while (items < want && rows > 1) {
      rows = Math.ceil(rows / 2);
      items = itemsAt(rows);
    }
    return items > full ? rows : fullRows;
  };
}
