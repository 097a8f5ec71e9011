// The plain-JavaScript reference: the definition itself, kept naive on purpose. Every input pixel
// scatters x * kernel into the output at stride steps (dilation between taps), overlaps summed,
// in float64; then bias is added and the result rounded to float32 once.
import { ConvInfo, ConvTranspose2dOptions } from './shape.js';
import { Tensor, TensorLike, resultTensor } from './tensor.js';
import { checkedCall } from './validate.js';

export function referenceCompute(info: ConvInfo, x: Float32Array, weight: Float32Array,
                                 bias: Float32Array | null): Float32Array {
  const { n: batch, cin, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow } = info;
  const cing = cin / groups, coutg = cout / groups;
  const acc = new Float64Array(batch * cout * oh * ow);
  for (let n = 0; n < batch; n++) {
    for (let g = 0; g < groups; g++) {
      for (let ci = 0; ci < cing; ci++) {
        const c = g * cing + ci;
        for (let iy = 0; iy < h; iy++) {
          for (let ix = 0; ix < w; ix++) {
            const xv = x[((n * cin + c) * h + iy) * w + ix];
            for (let co = 0; co < coutg; co++) {
              const outPlane = (n * cout + g * coutg + co) * oh * ow;
              for (let ky = 0; ky < kh; ky++) {
                const oy = iy * sh - ph + ky * dh;
                if (oy < 0 || oy >= oh) continue;
                for (let kx = 0; kx < kw; kx++) {
                  const ox = ix * sw - pw + kx * dw;
                  if (ox < 0 || ox >= ow) continue;
                  acc[outPlane + oy * ow + ox] += xv * weight[((c * coutg + co) * kh + ky) * kw + kx];
                }
              }
            }
          }
        }
      }
    }
  }
  if (bias) {
    for (let i = 0; i < acc.length; i++) acc[i] += bias[Math.floor(i / (oh * ow)) % cout];
  }
  return Float32Array.from(acc);
}

/** PyTorch's conv_transpose2d computed in plain JavaScript with float64 accumulation; needs no init(). */
export function convTranspose2dReference(input: TensorLike, weight: TensorLike, bias?: TensorLike | null,
                                         options?: ConvTranspose2dOptions): Tensor {
  const call = checkedCall(input, weight, bias, options);
  const out = referenceCompute(call.info, call.input, call.weight, call.bias);
  return resultTensor(out, call.info.outputShape);
}
