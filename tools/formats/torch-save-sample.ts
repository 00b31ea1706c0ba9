/**
 * The state dict that tests/unit/torch-save.test.ts writes with writeTorchStateDict and that
 * tools/formats/check_torch_save.py has PyTorch read back. Deterministic: no random numbers.
 */
import type { Tensor32 } from '../../src/lens/tensor.ts';

function filled(shape: number[], value: (i: number) => number): Tensor32 {
  const count = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: count }, (_, i) => value(i)) };
}

export function torchSaveSample(): Map<string, Tensor32> {
  return new Map<string, Tensor32>([
    // A two-translator lens with d_model 4, as tuned-lens names them.
    ['0.weight', filled([4, 4], (i) => (i % 5 === 0 ? 1 : 0) + 0.01 * (i - 7))],
    ['0.bias', filled([4], (i) => -0.25 * i)],
    ['1.weight', filled([4, 4], (i) => Math.sin(i + 1) / 3)],
    ['1.bias', filled([4], (i) => 1 / (i + 3))],
    // Edge cases of shape and value.
    ['scalar', filled([], () => 3.5)],
    ['empty', filled([0, 3], () => 0)],
    ['cube', filled([2, 3, 4], (i) => i - 11.5)],
    ['rank five', filled([1, 2, 1, 3, 2], (i) => 2 ** (i - 6))],
    ['wide', filled([5, 60], (i) => Math.cos(i * 0.1) * 1e3)], // 300 values: numel needs BININT2
    // Signed zero, the smallest subnormal, the smallest normal, the largest float32, …
    ['spécial ✓', { shape: [7], data: Float32Array.from([-0, 1.4e-45, 2 ** -126, 3.4028235e38, -1 / 3, 65504, 1e-8]) }],
  ]);
}
