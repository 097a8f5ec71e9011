// The threads builds differ from the one-thread builds in one bit: their imported memory is
// declared shared. So only the one-thread builds are shipped, and a threads build is made by
// setting that bit (scripts/build-wasm.mjs checks, at every build, that this gives exactly the
// binary the compiler makes for the threads target).

function readU32(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0, shift = 0, b: number;
  do {
    if (at >= bytes.length) throw new Error('truncated WebAssembly binary');
    b = bytes[at++];
    value |= (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  return [value >>> 0, at];
}

/** A copy of a WebAssembly binary whose imported memory is declared shared (limits flag bit 1). */
export function sharedMemoryTwin(binary: Uint8Array): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(binary);
  let at = 8; // magic and version
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, body] = readU32(bytes, at + 1);
    if (id === 2) {
      let [count, p] = readU32(bytes, body);
      while (count-- > 0) {
        for (let name = 0; name < 2; name++) { // module and field names
          const [len, next] = readU32(bytes, p);
          p = next + len;
        }
        const kind = bytes[p++];
        if (kind === 2) { // memory: limits flags, then min (and max)
          if (!(bytes[p] & 1)) throw new Error('a shared memory needs a maximum, and the imported memory has none');
          bytes[p] |= 2;
          return bytes;
        }
        if (kind === 0) p = readU32(bytes, p)[1]; // function: type index
        else if (kind === 1) { // table: element type, limits
          const flags = bytes[p + 1];
          p = readU32(bytes, p + 2)[1];
          if (flags & 1) p = readU32(bytes, p)[1];
        } else if (kind === 3) p += 2; // global: value type, mutability
        else throw new Error(`unexpected import kind ${kind}`);
      }
    }
    at = body + size;
  }
  throw new Error('the WebAssembly binary imports no memory');
}
