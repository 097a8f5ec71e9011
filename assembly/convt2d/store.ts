// Writing a finished 5 x 8 tile (see tile.ts) to the output: each half of a tile row is 4 pixels
// that sit `step` floats apart in one output row.

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
