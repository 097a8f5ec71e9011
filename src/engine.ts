// One instantiated kernel build over its own linear memory: lays out the buffers of a call,
// copies tensors in and the result out, and chooses which kernel path runs (all policy lives
// here, the WebAssembly only computes on the pointers and sizes it is given).
import { P_SLOTS, Pointers, writeParams } from './abi.js';
import { Arena, alignUp } from './memory.js';
import { Layout, Path, choosePath, inputPlane, layoutOf } from './plan.js';
import { ConvInfo } from './shape.js';
import { resultArray } from './tensor.js';

export type Variant = 'relaxed-simd' | 'simd128';

/** What every kernel build exports (assembly/index.ts). */
interface KernelExports {
  paramSlots(): number;
  heapBase(): number;
  packedBytes(p: number, layout: Layout): number;
  packedHeaderBytes(p: number, layout: Layout): number;
  packHeader(p: number, layout: Layout): void;
  packChannels(p: number, layout: Layout, c0: number, c1: number): void;
  [path: string]: unknown;
}

/** Weights packed in an engine's memory; valid until released. */
export interface PackedWeights {
  readonly engine: Engine;
  readonly layout: Layout;
  readonly at: number;
  readonly bytes: number;
}

/** A kernel path's three exports: scratch size, work-item count, run over an item range. */
interface PathExports {
  scratch(p: number): number;
  items(p: number): number;
  run(p: number, begin: number, end: number): void;
}

/**
 * Raw weight bytes staged per packing step (whole input channels, at least one): small enough to
 * stay in L2 while packed, large enough that the per-step calls cost nothing.
 */
const STAGE_BYTES = 256 * 1024;
let stageChannels = 0;

/** Tests: packs this many input channels per step instead of a stage's worth (0: by size); returns the old value. */
export function setStageChannels(channels: number): number {
  const old = stageChannels;
  stageChannels = channels;
  return old;
}

let poisonBuffers = false;

/**
 * Tests: prepareThreaded() fills the input and output buffers with NaN, so that an item run
 * before the input rows it reads are in gives NaN, and so does a part of the output copied out
 * before its item wrote it, whatever the buffers held before.
 */
export function setPoisonBuffers(on: boolean): boolean {
  const old = poisonBuffers;
  poisonBuffers = on;
  return old;
}

/** How pack() stages a weight: floats per input channel, channels per step, stage bytes. */
function stageOf(info: ConvInfo, layout: Layout): { row: number; step: number; staged: number } {
  const row = (info.cout / info.groups) * info.kh * info.kw;
  const step = Math.max(1, Math.min(info.cin, stageChannels || Math.floor(STAGE_BYTES / (4 * row))));
  return { row, step, staged: layout === Layout.Raw ? 0 : step * row * 4 };
}

// The input buffer gets this much slack: tiles read a full 8-float row past the last pixel they use.
const INPUT_SLACK = 32;

/**
 * Memory with the 4 GiB maximum the builds declare: engines then need no bounds check per access.
 * Runtimes that cannot reserve that much get a smaller maximum (the module accepts any up to it).
 */
function createMemory(shared: boolean): WebAssembly.Memory {
  for (const maximum of [65536, 16384, 4096]) {
    try {
      return new WebAssembly.Memory({ initial: 2, maximum, shared });
    } catch {
      // try a smaller reservation
    }
  }
  return new WebAssembly.Memory({ initial: 2, maximum: 1024, shared });
}

/** Bytes of one parameter block (each thread of a threaded call has its own). */
export const BLOCK_BYTES = P_SLOTS * 4;

/**
 * Floats per run (a channel's rows, or whole planes) below which a threaded call waits for more
 * finished output before copying it out, until the calling thread runs out of items. Each run is
 * one set() (~0.2 µs however short, more between items, when the code is no longer in cache).
 * Measured on 2 threads against 1,024: the calling thread's copying fell from ~1.06 to ~0.86 ms
 * a call on unet-up and from ~0.41 to ~0.35 ms on decoder; 8,192 and 16,384 saved nothing more.
 */
const MIN_RUN_FLOATS = 4096;

/**
 * A call laid out for several threads: the input and output, and per thread a parameter block
 * (thread t's at `params + t * BLOCK_BYTES`) with its own scratch. Items [0, items) of the
 * `${path}Run` export compute the output; any thread may run any item, each exactly once.
 */
export interface ThreadedCall {
  readonly path: Path;
  readonly params: number;
  readonly items: number;
  /**
   * The input is copied in steps (see copyInput), so that workers can start on the items whose
   * input rows are in while the calling thread copies the rest.
   */
  readonly inputSteps: number;
  /** Copies input step `step`: the steps run over images, and within an image over its rows in order. */
  copyInput(step: number): void;
  /** How many input steps item `item` needs copied before it may run (on paths without bands: its whole image). */
  need(item: number): number;
  /**
   * Allocates the JavaScript output array (resultArray: not zeroed where that is possible), while
   * the workers start on the items; its pages are first touched by the band copies.
   */
  allocOutput(): void;
  /**
   * Copies out the output that items [0, items) completed, where the path's item order lets
   * parts of the output finish early (subconv and columns: band by band; depthwise and scatter:
   * plane by plane); the rest waits for finish(). Runs shorter than MIN_RUN_FLOATS wait for more
   * unless `all` (the calling thread has no items left and would otherwise wait idle).
   * allocOutput() first.
   */
  copyDone(items: number, all?: boolean): void;
  /** Copies the output out (allocOutput() first if not done); then frees the call's buffers. */
  finish(): Float32Array;
  /** Frees the call's buffers without reading them (a failed call). */
  free(): void;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export class Engine {
  readonly variant: Variant;
  readonly memory: WebAssembly.Memory;
  /** The compiled build, which worker threads instantiate over the same (shared) memory. */
  readonly module: WebAssembly.Module;
  /** Whether this is the threads build over a shared memory. */
  readonly shared: boolean;
  private readonly k: KernelExports;
  private readonly arena: Arena;
  private readonly params: number;
  // Packed weights that queued threaded calls still read: released only when the last one ends.
  private readonly pins = new Map<number, { count: number; released: boolean }>();

  private constructor(variant: Variant, module: WebAssembly.Module, memory: WebAssembly.Memory,
                      shared: boolean, exports: KernelExports) {
    this.variant = variant;
    this.module = module;
    this.memory = memory;
    this.shared = shared;
    this.k = exports;
    if (exports.paramSlots() !== P_SLOTS) {
      throw new Error(`kernel build ${variant} has a parameter block of ${exports.paramSlots()} slots, src/abi.ts expects ${P_SLOTS}`);
    }
    this.arena = new Arena(memory, exports.heapBase() >>> 0);
    this.params = this.arena.alloc(P_SLOTS * 4);
  }

  private readonly paths = new Map<Path, PathExports>();

  private path(name: Path): PathExports {
    let path = this.paths.get(name);
    if (!path) {
      const k = this.k as unknown as Record<string, (...a: number[]) => number>;
      const scratch = k[`${name}ScratchBytes`], items = k[`${name}Items`], run = k[`${name}Run`];
      path = { scratch: (p) => scratch(p) >>> 0, items: (p) => items(p), run: (p, b, e) => { run(p, b, e); } };
      this.paths.set(name, path);
    }
    return path;
  }

  /** Runs items [begin, end) of a path's kernel on the parameter block at `p` (this thread). */
  run(path: Path, p: number, begin: number, end: number): void {
    this.path(path).run(p, begin, end);
  }

  static async create(variant: Variant, module: WebAssembly.Module, shared = false): Promise<Engine> {
    const memory = createMemory(shared);
    const imports = { env: { memory } };
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(module, imports); // no event-loop wait (see loader.ts)
    } catch {
      instance = await WebAssembly.instantiate(module, imports);
    }
    return new Engine(variant, module, memory, shared, instance.exports as unknown as KernelExports);
  }

  /** Bytes of linear memory, for tests and diagnostics. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * An upper bound of the packed-weight bytes (bias padded, channel blocks padded by at most 7),
   * checked before asking the kernel, whose 32-bit size arithmetic must not overflow.
   */
  private packedBound(info: ConvInfo): number {
    const coutg = info.cout / info.groups;
    return 4 * (info.cout + 4 + info.groups * (coutg + 7) * (info.cin / info.groups) * info.kh * info.kw);
  }

  /** Throws a RangeError naming the sizes when the buffers cannot fit in 32-bit memory. */
  private checkFits(what: Record<string, number>): void {
    let total = 0;
    for (const k in what) total += alignUp(what[k]);
    if (total > this.arena.available()) {
      const parts = Object.entries(what).map(([k, v]) => `${k} ${mib(v)}`).join(', ');
      throw new RangeError(`this call needs ${mib(total)} of WebAssembly memory (${parts}), more than the ${mib(this.arena.available())} a 32-bit module can still address (4 GiB limit)`);
    }
  }

  private paramView: Int32Array | null = null;

  private block(info: ConvInfo, ptrs: Pointers): void {
    // The view is remade only when memory growth replaced the buffer.
    const buffer = this.memory.buffer;
    if (this.paramView?.buffer !== buffer) this.paramView = new Int32Array(buffer, this.params, P_SLOTS);
    writeParams(this.paramView, info, ptrs, Math.ceil(info.oh / info.sh));
  }

  /** Bytes the input takes in linear memory, channel planes `plane` floats apart, with slack. */
  private inputBytes(info: ConvInfo, plane: number): number {
    return info.n * info.cin * plane * 4 + INPUT_SLACK;
  }

  /** Copies the input to `at`, its channel planes `plane` floats apart. */
  private writeInput(at: number, info: ConvInfo, input: Float32Array, plane: number): void {
    for (let n = 0; n < info.n; n++) this.writeInputRows(at, info, input, plane, n, 0, info.h);
  }

  /** Copies rows [r0, r1) of every channel of image n, placed as writeInput() places them. */
  private writeInputRows(at: number, info: ConvInfo, input: Float32Array, plane: number, n: number, r0: number, r1: number): void {
    const hw = info.h * info.w, w = info.w;
    const dst = new Float32Array(this.memory.buffer, at, info.n * info.cin * plane);
    const c0 = n * info.cin, c1 = c0 + info.cin;
    if (plane === hw && r0 === 0 && r1 === info.h) {
      dst.set(input.subarray(c0 * hw, c1 * hw), c0 * hw);
      return;
    }
    for (let c = c0; c < c1; c++) dst.set(input.subarray(c * hw + r0 * w, c * hw + r1 * w), c * plane + r0 * w);
  }

  private copyIn(data: Float32Array): number {
    const at = this.arena.alloc(data.byteLength);
    new Float32Array(this.memory.buffer, at, data.length).set(data);
    return at;
  }

  /** Packs weight (and bias) once into this engine's memory, in the layout a path reads. */
  pack(info: ConvInfo, weight: Float32Array, bias: Float32Array | null, layout: Layout): PackedWeights {
    const { row, step, staged } = stageOf(info, layout);
    this.checkFits({ 'packed weights': this.packedBound(info), 'weight stage': staged, bias: bias?.byteLength ?? 0 });
    this.block(info, {});
    const bytes = this.k.packedBytes(this.params, layout) >>> 0;
    const temps: number[] = [];
    let at = 0;
    try {
      at = this.arena.alloc(bytes);
      const b = bias ? this.copyIn(bias) : 0;
      if (b) temps.push(b);
      this.block(info, { bias: b, packed: at });
      this.k.packHeader(this.params, layout);
      const body = at + (this.k.packedHeaderBytes(this.params, layout) >>> 0);
      if (layout === Layout.Raw) {
        new Float32Array(this.memory.buffer, body, weight.length).set(weight);
      } else {
        // A few input channels at a time through a stage that stays in cache: the weight is read
        // from JavaScript once and the packed copy written once, with no full-size raw copy.
        const stage = this.arena.alloc(staged);
        temps.push(stage);
        this.block(info, { weight: stage, packed: at });
        for (let c0 = 0; c0 < info.cin; c0 += step) {
          const c1 = Math.min(info.cin, c0 + step);
          new Float32Array(this.memory.buffer, stage, (c1 - c0) * row).set(weight.subarray(c0 * row, c1 * row));
          this.k.packChannels(this.params, layout, c0, c1);
        }
      }
    } catch (e) {
      if (at) this.arena.release(at);
      throw e;
    } finally {
      temps.forEach((t) => this.arena.release(t));
    }
    return { engine: this, layout, at, bytes };
  }

  release(packed: PackedWeights): void {
    if (packed.engine !== this) return;
    const pin = this.pins.get(packed.at);
    if (pin) pin.released = true;
    else this.arena.release(packed.at);
  }

  /** Keeps packed weights allocated until unpin(), even if released meanwhile (queued calls). */
  pin(packed: PackedWeights): void {
    const pin = this.pins.get(packed.at);
    if (pin) pin.count++;
    else this.pins.set(packed.at, { count: 1, released: false });
  }

  unpin(packed: PackedWeights): void {
    const pin = this.pins.get(packed.at);
    if (!pin || --pin.count > 0) return;
    this.pins.delete(packed.at);
    if (pin.released) this.arena.release(packed.at);
  }

  // What forward() derives from a call's info record alone, kept while the record lives (a
  // module reuses one record per input shape, so repeated small calls skip this work).
  private readonly plans = new WeakMap<ConvInfo, { name: Path; path: PathExports; layout: Layout; plane: number; scratch: number; items: number }>();

  private planOf(info: ConvInfo) {
    const name = choosePath(info); // cheap, and it may change (the tests' path hooks)
    let plan = this.plans.get(info);
    if (!plan || plan.name !== name) {
      const path = this.path(name);
      this.block(info, {});
      plan = { name, path, layout: layoutOf(name), plane: inputPlane(info, name), scratch: path.scratch(this.params), items: path.items(this.params) };
      this.plans.set(info, plan);
    }
    return plan;
  }

  /** Runs the layer on `input` with weights packed by pack(); returns a fresh output array. */
  forward(info: ConvInfo, input: Float32Array, packed: PackedWeights): Float32Array {
    const outLen = info.n * info.cout * info.oh * info.ow;
    const outBytes = outLen * 4;
    if (outLen === 0) return new Float32Array(0);
    const { path, layout, plane, scratch, items } = this.planOf(info);
    if (packed.layout !== layout) throw new Error('packed weights are in the wrong layout for this path');
    const inBytes = this.inputBytes(info, plane);
    this.checkFits({ input: inBytes, output: outBytes, scratch });
    // One block for input, output and scratch: a small call then costs one allocation.
    const yOff = alignUp(inBytes), sOff = yOff + alignUp(outBytes);
    const x = this.arena.alloc(sOff + scratch);
    try {
      this.writeInput(x, info, input, plane);
      this.block(info, { x, y: x + yOff, packed: packed.at, scratch: x + sOff, xPlane: plane });
      path.run(this.params, 0, items);
      const view = new Float32Array(this.memory.buffer, x + yOff, outLen);
      // Copying constructor: V8 allocates it without zeroing first (slice() zeroes, then copies;
      // measured 20-30% faster on 1-4 MB). From a shared buffer, set() into a fresh array is faster.
      if (!this.shared) return new Float32Array(view);
      const out = resultArray(outLen);
      out.set(view);
      return out;
    } finally {
      this.arena.release(x);
    }
  }

  /**
   * Lays out a call for `threads` threads (see ThreadedCall). `pickRows` chooses the phase rows
   * per work item, given the item count at any row count and the full count, and `stepRows` the
   * input rows per copy step (policy: split.ts). The input is not copied yet (copyInput).
   * The output must not be empty.
   */
  prepareThreaded(info: ConvInfo, input: Float32Array, packed: PackedWeights, threads: number,
                  pickRows: (itemsAt: (rows: number) => number, fullRows: number) => number,
                  stepRows = info.h): ThreadedCall {
    const outLen = info.n * info.cout * info.oh * info.ow;
    const name = choosePath(info);
    if (packed.layout !== layoutOf(name)) throw new Error('packed weights are in the wrong layout for this path');
    const path = this.path(name);
    const view = (at: number) => new Int32Array(this.memory.buffer, at, P_SLOTS);
    const itemsAt = (rows: number) => {
      writeParams(view(this.params), info, {}, rows);
      return path.items(this.params);
    };
    const rows = pickRows(itemsAt, Math.ceil(info.oh / info.sh));
    const items = itemsAt(rows);
    const scratch = alignUp(path.scratch(this.params));
    const plane = inputPlane(info, name);
    this.checkFits({ input: this.inputBytes(info, plane), output: outLen * 4, scratch: scratch * threads, 'parameter blocks': BLOCK_BYTES * threads });
    const temps: number[] = [];
    const free = () => { temps.splice(0).forEach((t) => this.arena.release(t)); };
    try {
      const x = this.arena.alloc(this.inputBytes(info, plane));
      temps.push(x);
      if (poisonBuffers) new Float32Array(this.memory.buffer, x, this.inputBytes(info, plane) >> 2).fill(NaN);
      const y = this.arena.alloc(outLen * 4);
      temps.push(y);
      if (poisonBuffers) new Float32Array(this.memory.buffer, y, outLen).fill(NaN);
      const blocks = this.arena.alloc(BLOCK_BYTES * threads);
      temps.push(blocks);
      const s = this.arena.alloc(scratch * threads);
      temps.push(s);
      for (let t = 0; t < threads; t++) {
        writeParams(view(blocks + t * BLOCK_BYTES), info, { x, y, packed: packed.at, scratch: s + t * scratch, xPlane: plane }, rows);
      }
      let out: Float32Array | null = null;
      const allocOutput = () => { out ??= resultArray(outLen); }; // every band is copied in before it is returned
      // Subconv items run band by band (assembly/convt2d/subconv.ts): a band is `rows` phase rows
      // of every phase, i.e. output rows [rb*rows*sh, (rb+1)*rows*sh) of one image and group.
      // A columns item is one such band.
      const perBand = name === 'subconv' ? info.sh * (info.sw === 2 ? 1 : info.sw) : name === 'columns' ? 1 : 0;
      const bandRows = rows * info.sh;
      const nrb = Math.ceil(Math.ceil(info.oh / info.sh) / rows);
      const bands = perBand ? info.n * info.groups * nrb : 0;
      const coutg = info.cout / info.groups;
      // Finished bands [copied, end) are copied a group block at a time: a block whose bands are
      // all finished in one set, else one set per channel over the rows of its finished bands.
      // Until the last copies, runs shorter than MIN_RUN_FLOATS wait for more bands (batch16's
      // 64-float runs made ~2,000 sets a call without).
      let copied = 0;
      const copyBands = (end: number, last: boolean) => {
        if (copied >= end) return;
        const src = new Float32Array(this.memory.buffer, y, outLen);
        while (copied < end) {
          const rb0 = copied % nrb, ng = (copied - rb0) / nrb;
          const rb1 = Math.min(nrb, end - ng * nrb);
          const g = ng % info.groups, n = (ng - g) / info.groups;
          const r0 = rb0 * bandRows, r1 = Math.min(info.oh, rb1 * bandRows);
          const c0 = n * info.cout + g * coutg;
          if (r0 === 0 && r1 === info.oh) {
            const at = c0 * info.oh * info.ow, to = at + coutg * info.oh * info.ow;
            out!.set(src.subarray(at, to), at);
          } else {
            if (!last && (r1 - r0) * info.ow < MIN_RUN_FLOATS) return;
            for (let c = c0; c < c0 + coutg; c++) {
              const at = (c * info.oh + r0) * info.ow;
              out!.set(src.subarray(at, at + (r1 - r0) * info.ow), at);
            }
          }
          copied = ng * nrb + rb1;
        }
      };
      // Depthwise and scatter items each own whole output planes, in item order (depthwise: one
      // channel of one image; scatter: the channels of one group of one image), so finished items
      // [0, k) have written the first k * planesPerItem planes: copied out while the rest computes.
      const planesPerItem = name === 'depthwise' ? 1 : name === 'scatter' ? coutg : 0;
      const planeFloats = info.oh * info.ow;
      let copiedPlanes = 0;
      const copyPlanes = (end: number, last: boolean) => {
        if ((end - copiedPlanes) * planeFloats < (last ? 1 : MIN_RUN_FLOATS)) return;
        const at = copiedPlanes * planeFloats, to = end * planeFloats;
        out!.set(new Float32Array(this.memory.buffer, y + at * 4, to - at), at);
        copiedPlanes = end;
      };
      // Input steps: `stepRows` rows of every channel of one image at a time, image after image.
      const perImage = Math.ceil(info.h / stepRows);
      const inputSteps = info.n * perImage;
      const copyInput = (step: number) => {
        const r0 = (step % perImage) * stepRows;
        this.writeInputRows(x, info, input, plane, Math.floor(step / perImage), r0, Math.min(info.h, r0 + stepRows));
      };
      // A band reads input rows up to (its last output row + padding) / stride: kernel row 0 reaches
      // furthest. The other paths number their items image by image, and an item reads only its
      // image (but all of its rows).
      const need = (item: number) => {
        if (!perBand) return (Math.floor(item / (items / info.n)) + 1) * perImage;
        const band = Math.floor(item / perBand), rb = band % nrb;
        const n = Math.floor(Math.floor(band / nrb) / info.groups);
        const lastRow = Math.min(info.h - 1, Math.floor((Math.min(info.oh, (rb + 1) * bandRows) - 1 + info.ph) / info.sh));
        return n * perImage + (lastRow < 0 ? 0 : Math.floor(lastRow / stepRows) + 1);
      };
      return {
        path: name, params: blocks, items, inputSteps, copyInput, need, free, allocOutput,
        copyDone: (done: number, all = false) => {
          if (perBand) copyBands(Math.floor(done / perBand), all);
          else if (planesPerItem) copyPlanes(done * planesPerItem, all);
        },
        finish: () => {
          try {
            allocOutput();
            if (perBand) copyBands(bands, true);
            else if (planesPerItem) copyPlanes(info.n * info.cout, true);
            else out!.set(new Float32Array(this.memory.buffer, y, outLen));
            return out!;
          } finally {
            free();
          }
        },
      };
    } catch (e) {
      free();
      throw e;
    }
  }

  /** The up-front size check of the functional call (throws the same RangeError as call()). */
  checkCall(info: ConvInfo, input: Float32Array): void {
    const outBytes = info.n * info.cout * info.oh * info.ow * 4;
    this.checkFits({
      input: input.byteLength, 'weight stage': stageOf(info, layoutOf(choosePath(info))).staged,
      'packed weights': this.packedBound(info), output: outBytes,
    });
  }

  /** The functional call: pack, run, release. */
  call(info: ConvInfo, input: Float32Array, weight: Float32Array, bias: Float32Array | null): Float32Array {
    this.checkCall(info, input);
    const packed = this.pack(info, weight, bias, layoutOf(choosePath(info)));
    try {
      return this.forward(info, input, packed);
    } finally {
      this.release(packed);
    }
  }
}
