// Output phases of a strided transposed convolution. Output row oy = q + j*s (phase q, 0 <= q < s)
// receives kernel row ky exactly when (q + pad - ky*d) is a multiple of s, from input row
// iy = j + (q + pad - ky*d) / s. So each phase is a dense correlation with a sub-kernel: no
// multiplication by an inserted zero. The same arithmetic serves both axes.

// Writes the phase's taps as (kernel index, input offset) i32 pairs at `out`; returns the count.
export function phaseTapList(q: i32, pad: i32, k: i32, d: i32, s: i32, out: usize): i32 {
  let n = 0;
  for (let t = 0; t < k; t++) {
    const r = q + pad - t * d;
    if (r % s == 0) {
      store<i32>(out + (<usize>n << 3), t);
      store<i32>(out + (<usize>n << 3), r / s, 4);
      n++;
    }
  }
  return n;
}

// Output positions in phase q of an axis of length `len`.
// @ts-ignore: decorator
@inline export function phaseLength(q: i32, len: i32, s: i32): i32 {
  return q < len ? (len - q + s - 1) / s : 0;
}
