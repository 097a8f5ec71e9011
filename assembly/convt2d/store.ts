// Writing results to the output: a finished 5 x 8 tile (see tile.ts), each half of a tile row
// being 4 pixels `step` floats apart in one output row; and planes filled with the bias.

// Stores lanes [0, cnt) of the 4 floats at `t` to dst, dst + step, ...: bias + value when
// `first`, else added to what the output holds (later input-channel chunks).
// @ts-ignore: decorator
@inline export function storeQuad(t: usize, dst: usize, cnt: i32, step: i32, bias: f32, first: bool): void {
  if (cnt == 4 && step == 1) {
    const v = v128.load(t);
    v128.store(dst, f32x4.add(v, first ? f32x4.splat(bias) : v128.load(dst)));
    return;
  }
  const stride = <usize>step << 2;
  for (let l = 0; l < cnt; l++) {
    const at = dst + <usize>l * stride;
    const v = load<f32>(t + (<usize>l << 2));
    store<f32>(at, first ? v + bias : load<f32>(at) + v);
  }
}

// Two quads of the two column phases of stride 2 (phase 0 at even, phase 1 at odd columns from
// dst): interleaved into two whole f32x4 stores when both are full, else lane by lane.
// @ts-ignore: decorator
@inline export function storeInterleaved(q0: usize, q1: usize, dst: usize, n0: i32, n1: i32, bv: f32, first: bool): void {
  if (n0 == 4 && n1 == 4) {
    const v0 = v128.load(q0), v1 = v128.load(q1);
    const lo = i32x4.shuffle(v0, v1, 0, 4, 1, 5), hi = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
    const b = f32x4.splat(bv);
    v128.store(dst, f32x4.add(lo, first ? b : v128.load(dst)));
    v128.store(dst, f32x4.add(hi, first ? b : v128.load(dst, 16)), 16);
  } else {
    storeQuad(q0, dst, n0, 2, bv, first);
    storeQuad(q1, dst + 4, n1, 2, bv, first);
  }
}

// len floats of value v from out (the bias, before taps are added onto it).
export function fillPlane(out: usize, len: i32, v: f32): void {
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= len; i += 4) v128.store(out + (<usize>i << 2), vv);
  for (; i < len; i++) store<f32>(out + (<usize>i << 2), v);
}
