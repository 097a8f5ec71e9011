// How a call is cut for threads (policy only): whether threads pay off at all, and how many
// phase rows one work item covers so that every thread gets several items to balance with.
import { choosePath } from './plan.js';
import { ConvInfo } from './shape.js';

/**
 * Multiply-adds below which a call runs on the calling thread: waking the workers, copying the
 * input in before they start and waiting for the last item cost a few tens of microseconds.
 * Measured on 2 threads: DCGAN's first layer (819,200, a 3 MB weight streamed once) was 1.35x to
 * 1.68x faster in every bench run; a 1x1-input layer of 204,800 (0.05 ms) was 0.78x to 1.11x.
 */
export const MIN_THREADED_MACS = 750_000;
let minMacs = MIN_THREADED_MACS;

/** Changes the threshold (tests set 0 to send every call through the workers); returns the old one. */
export function setMinThreadedMacs(macs: number): number {
  const old = minMacs;
  minMacs = macs;
  return old;
}
/**
 * Input bytes the calling thread copies per step of a threaded call. Workers start on the items
 * whose input rows are already in (output bands are in input-row order), instead of idling while
 * the whole input is copied (2 MB on unet-up: ~0.35 ms of a ~6 ms 2-thread call).
 */
const INPUT_STEP_BYTES = 256 * 1024;
let stepBytes = INPUT_STEP_BYTES;

/** Changes the step size (tests make steps of a row or two); returns the old one. */
export function setInputStepBytes(bytes: number): number {
  const old = stepBytes;
  stepBytes = bytes;
  return old;
}

/** Input rows (of every channel of one image) per copy step: a whole image when it is small. */
export function inputStepRows(info: ConvInfo): number {
  return Math.max(1, Math.min(info.h, Math.floor(stepBytes / (4 * info.cin * Math.max(1, info.w)))));
}

/** Claims wanted per thread: enough that uneven items even out, few enough to stay coarse. */
const CLAIMS_PER_THREAD = 16;
/**
 * Items per claim while the call has plenty left (see leadChunks). Items are cut this much finer
 * than CLAIMS_PER_THREAD asks, so the claims stay as few while the last ones are half the size.
 */
const LEAD_ITEMS = 2;
/** Work items wanted per thread (rowsFor). */
const ITEMS_PER_THREAD = CLAIMS_PER_THREAD * LEAD_ITEMS;

/**
 * How the pool hands out `items` items to `threads` threads, `unit` items being the smallest
 * claim: the first `leads` claims take `lead` items each, every later one `unit`. When items are
 * fine enough for CLAIMS_PER_THREAD claims of LEAD_ITEMS units, all but the last threads *
 * LEAD_ITEMS units go in such pairs: the threads then finish within about one unit of each other
 * instead of one pair. Measured on 2 threads, the gap between the two threads' last items fell
 * from 0.13 to 0.065 ms on decoder, 0.15 to 0.10 ms on unet-up, 0.38-0.51 to 0.21 ms on batch16.
 */
export function leadChunks(items: number, threads: number, unit = 1): { lead: number; leads: number } {
  const lead = LEAD_ITEMS * unit;
  if (threads < 2 || items < lead * CLAIMS_PER_THREAD * threads) return { lead: unit, leads: 0 };
  return { lead, leads: Math.floor((items - threads * lead) / lead) };
}

/**
 * Multiply-adds of the call: every input pixel of every channel times every tap of each output
 * channel of its group (taps that land in the cropped padding included). Counting per output
 * pixel instead (kh*kw/(sh*sw) taps each) overstates layers whose input is smaller than the
 * kernel 16 times for a 1x1 input and a 4x4 kernel.
 */
export function multiplyAdds(info: ConvInfo): number {
  return info.n * info.cin * (info.cout / info.groups) * info.h * info.w * info.kh * info.kw;
}

/**
 * Multiply-adds per output value below which a call needs LOW_INTENSITY_FACTOR times the usual
 * work to go to the workers. Such calls (depthwise layers: 4 for k4 s2) spend much of their time
 * copying the output out, which only the calling thread can do: on 2 threads, depthwise layers of
 * about 1 M multiply-adds ran at 0.68x-1.40x their one-thread time, of 2 M at 1.00x-1.33x, of
 * 4 M at 1.19x-1.29x. Every other bench layer does 100 or more.
 */
const LOW_INTENSITY = 16;
const LOW_INTENSITY_FACTOR = 3;

/** Whether spreading this call over `threads` threads is expected to beat the calling thread alone. */
export function worthThreads(info: ConvInfo, threads: number): boolean {
  const macs = multiplyAdds(info), outputs = info.n * info.cout * info.oh * info.ow;
  return threads > 1 && macs >= (macs < LOW_INTENSITY * outputs ? LOW_INTENSITY_FACTOR * minMacs : minMacs);
}

/** Weights up to this size stay in a core's cache however the items are cut (L2 is 0.5 to 2 MiB). */
const CACHED_WEIGHT_BYTES = 512 * 1024;
/**
 * Output pixels an item must keep when the weights do not stay cached: every item streams the
 * weights of its phase once per tile group, so an item of p pixels does p/4 multiply-adds per
 * weight byte read. Below 32 pixels the threads wait on memory (DCGAN 512>256 4>8: no gain at all).
 */
const MIN_ITEM_PIXELS = 32;

/**
 * Phase rows per work item for `threads` threads: all of them (the kernel's best) when batch,
 * groups and phases already give enough items, else halved until they do, as long as items keep
 * enough pixels to pay for streaming large weights. Paths that ignore the row count keep it whole.
 */
export function rowsFor(info: ConvInfo, threads: number): (itemsAt: (rows: number) => number, fullRows: number) => number {
  // A columns item recomputes the input rows its band shares with the next: few, tall bands.
  const want = threads * (choosePath(info) === 'columns' ? 2 : ITEMS_PER_THREAD);
  const weightBytes = 4 * info.cin * (info.cout / info.groups) * info.kh * info.kw;
  const pixels = info.n * info.groups * info.oh * info.ow;
  const bigEnough = (items: number) => weightBytes <= CACHED_WEIGHT_BYTES || pixels / items >= MIN_ITEM_PIXELS;
  return (itemsAt, fullRows) => {
    const full = itemsAt(fullRows);
    let rows = fullRows, items = full;
    while (items < want && rows > 1) {
      const next = Math.ceil(rows / 2);
      const more = itemsAt(next);
      if (!bigEnough(more)) break;
      rows = next;
      items = more;
    }
    return items > full ? rows : fullRows;
  };
}
