// The linear-memory allocator: first fit, merging on release, growth only when nothing fits.
import { describe, expect, it } from 'vitest';
import { Arena, PAGE } from '../src/memory.js';

function arena(pages = 1) {
  const memory = new WebAssembly.Memory({ initial: pages, maximum: 64 });
  return { memory, arena: new Arena(memory, 0) };
}

describe('Arena', () => {
  it('hands out 64-byte aligned, non-overlapping blocks', () => {
    const { arena: a } = arena();
    const blocks = [1, 64, 65, 100, 3].map((n) => [a.alloc(n), n] as const);
    for (const [at] of blocks) expect(at % 64).toBe(0);
    const spans = blocks.map(([at, n]) => [at, at + Math.ceil(n / 64) * 64]).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
  });

  it('merges released neighbours in any order, so the whole range is reusable', () => {
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 0, 2], [0, 2, 1], [2, 0, 1], [1, 2, 0]]) {
      const { arena: a, memory } = arena();
      const at = [a.alloc(1000), a.alloc(2000), a.alloc(3000)];
      for (const i of order) a.release(at[i]);
      // One block the size of the whole memory fits again without growing.
      expect(a.alloc(PAGE)).toBe(0);
      expect(memory.buffer.byteLength).toBe(PAGE);
    }
  });

  it('reuses a freed hole first fit, and grows only when nothing fits', () => {
    const { arena: a, memory } = arena();
    const x = a.alloc(128), y = a.alloc(128), z = a.alloc(128);
    a.release(y);
    expect(a.alloc(64)).toBe(y); // first fit: the hole
    expect(a.alloc(64)).toBe(y + 64);
    a.release(x);
    a.release(z);
    expect(memory.buffer.byteLength).toBe(PAGE);
    const big = a.alloc(3 * PAGE);
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(big + 3 * PAGE);
  });

  it('ignores a release of an address it did not hand out, or one already released', () => {
    const { arena: a } = arena();
    const x = a.alloc(64);
    a.release(x + 64);
    a.release(x);
    a.release(x);
    expect(a.alloc(PAGE)).toBe(0);
  });
});
