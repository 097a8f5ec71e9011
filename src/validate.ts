// The checks every entry point runs first: tensors well formed, then the shape rules.
import { ConvInfo, ConvTranspose2dOptions, convInfo } from './shape.js';
import { TensorLike, checkTensor } from './tensor.js';

export interface CheckedCall {
  info: ConvInfo;
  input: Float32Array;
  weight: Float32Array;
  bias: Float32Array | null;
}

export function checkedCall(input: TensorLike, weight: TensorLike, bias: TensorLike | null | undefined,
                            options: ConvTranspose2dOptions | undefined | null): CheckedCall {
  const inputShape = checkTensor('input', input);
  const weightShape = checkTensor('weight', weight);
  const biasShape = bias === undefined || bias === null ? null : checkTensor('bias', bias);
  const info = convInfo(inputShape, weightShape, options, biasShape);
  return { info, input: input.data, weight: weight.data, bias: biasShape ? bias!.data : null };
}
