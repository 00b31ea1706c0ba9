/**
 * Refuses weights that are NaN, ±Infinity or beyond MAX_WEIGHT_MAGNITUDE, naming the tensor and the
 * first bad element. Every checkpoint and lens loader calls it on each tensor it uses, at load time:
 * a single such value otherwise loads silently and turns a whole row of predictions into NaN.
 *
 * One pass over the data with one comparison per element (`!(|v| <= bound)` is also true for NaN),
 * so checking GPT-2's 124M weights costs about as much as copying them once.
 */
import { LensFormatError } from '../errors.ts';
import { formatShape, type Tensor32 } from '../tensor.ts';
import { MAX_WEIGHT_MAGNITUDE } from './limits.ts';

export function checkFiniteWeights(tensor: Tensor32, name: string, fileName: string): void {
  const data = tensor.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v <= MAX_WEIGHT_MAGNITUDE && v >= -MAX_WEIGHT_MAGNITUDE) continue;
    const at = formatShape(unravel(i, tensor.shape));
    if (!Number.isFinite(v)) {
      throw new LensFormatError(
        `${fileName}: tensor '${name}' holds ${v} at ${at} (element ${i}) — weights must be finite; the file is corrupted or was saved from a diverged run`,
      );
    }
    throw new LensFormatError(
      `${fileName}: tensor '${name}' holds ${v.toExponential(3)} at ${at} (element ${i}) — weights beyond ±${MAX_WEIGHT_MAGNITUDE} would overflow float32 arithmetic; the file is corrupted or was saved from a diverged run`,
    );
  }
}

/** The row-major index of flat element `i` in `shape`. */
function unravel(i: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = shape[d] > 0 ? i % shape[d] : 0;
    i = shape[d] > 0 ? Math.floor(i / shape[d]) : i;
  }
  return index;
}
