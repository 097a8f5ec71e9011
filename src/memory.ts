// Linear-memory allocator: first fit over a sorted free list, blocks coalesced on free. Memory
// grows only when no free block fits, so a repeated call of one shape reuses the same blocks.

export const PAGE = 65536;
/** wasm32 addresses 2^32 bytes; engines cap memory at 65536 pages. */
export const MAX_BYTES = 65536 * PAGE;
const ALIGN = 64;

export function alignUp(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}

export class Arena {
  private readonly memory: WebAssembly.Memory;
  private free: { at: number; size: number }[] = [];
  private readonly used = new Map<number, number>();
  private top: number; // end of the managed range (= memory size)

  constructor(memory: WebAssembly.Memory, base: number) {
    this.memory = memory;
    const start = alignUp(base);
    this.top = memory.buffer.byteLength;
    if (this.top > start) this.free.push({ at: start, size: this.top - start });
  }

  /** Bytes that allocations could still get, counting growth up to the 4 GiB limit. */
  available(): number {
    const last = this.free[this.free.length - 1];
    const tail = last && last.at + last.size === this.top ? last.size : 0;
    return MAX_BYTES - this.top + tail;
  }

  get size(): number {
    return this.memory.buffer.byteLength;
  }

  /** Returns the address of `bytes` (rounded up to 64) bytes; grows memory if needed. */
  alloc(bytes: number): number {
    const size = alignUp(Math.max(bytes, 1));
    let i = this.firstFit(size);
    if (i < 0) {
      this.grow(size);
      i = this.firstFit(size);
    }
    const block = this.free[i];
    const at = block.at;
    if (block.size === size) this.free.splice(i, 1);
    else { block.at += size; block.size -= size; }
    this.used.set(at, size);
    return at;
  }

  private firstFit(size: number): number {
    const free = this.free;
    for (let i = 0; i < free.length; i++) if (free[i].size >= size) return i;
    return -1;
  }

  release(at: number): void {
    const size = this.used.get(at);
    if (size === undefined) return;
    this.used.delete(at);
    // Plain loops and in-place merges: small calls allocate and release on every call.
    const free = this.free;
    let i = 0;
    while (i < free.length && free[i].at < at) i++;
    const prev = i > 0 ? free[i - 1] : undefined, next = i < free.length ? free[i] : undefined;
    const joinPrev = prev !== undefined && prev.at + prev.size === at;
    const joinNext = next !== undefined && at + size === next.at;
    if (joinPrev && joinNext) {
      prev.size += size + next.size;
      free.splice(i, 1);
    } else if (joinPrev) {
      prev.size += size;
    } else if (joinNext) {
      next.at = at;
      next.size += size;
    } else {
      free.splice(i, 0, { at, size });
    }
  }

  private grow(size: number): void {
    const last = this.free[this.free.length - 1];
    const tail = last && last.at + last.size === this.top ? last.size : 0;
    const need = size - tail;
    // Grow by at least a quarter of the current size so a slowly rising demand grows rarely.
    const pages = Math.max(Math.ceil(need / PAGE), Math.ceil(this.top / PAGE / 4));
    const maxPages = MAX_BYTES / PAGE - this.top / PAGE;
    const wanted = Math.min(pages, maxPages);
    if (wanted * PAGE < need) throw new RangeError(`needs ${size} bytes of WebAssembly memory, more than the 4 GiB a 32-bit module can address`);
    try {
      this.memory.grow(wanted);
    } catch {
      this.memory.grow(Math.ceil(need / PAGE)); // the engine refused the headroom: ask for the minimum
    }
    const newTop = this.memory.buffer.byteLength;
    if (tail > 0) last.size += newTop - this.top;
    else this.free.push({ at: this.top, size: newTop - this.top });
    this.top = newTop;
  }
}
