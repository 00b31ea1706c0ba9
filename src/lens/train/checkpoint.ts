/**
 * A training checkpoint: everything a run needs to continue exactly where it stopped, in one
 * safetensors file (so it is written, and replaced, as a single file):
 *
 *   tensors   `weight` [L, d, d], `bias` [L, d]                  the translators after `step` steps
 *             `momentum.weight` [L, d, d], `momentum.bias` [L, d]  SGD's momentum buffers
 *   metadata  `format` = "tuned-lens-live/train-checkpoint", `version` = "1",
 *             `state` = JSON {step, chunksConsumed, run}          `run` = the settings that must not
 *                                                                 change on resume (see trainer.ts)
 */
import { LensFormatError } from '../errors.ts';
import { readSafetensors, writeSafetensors } from '../formats/safetensors.ts';
import { formatShape, sameShape } from '../tensor.ts';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
const FORMAT = 'tuned-lens-live/train-checkpoint';

export interface Checkpoint<Run = Record<string, unknown>> {
  /** Completed optimiser steps. */
  step: number;
  /** Training chunks consumed so far (the data position to skip to). */
  chunksConsumed: number;
  /** The run's settings, compared on resume. */
  run: Run;
  numLayers: number;
  dModel: number;
  weight: Float32Array;
  bias: Float32Array;
  momentumWeight: Float32Array;
  momentumBias: Float32Array;
}

export function encodeCheckpoint(c: Checkpoint<unknown>): Uint8Array {
  const { numLayers: L, dModel: d } = c;
  const tensors = new Map([
    ['weight', { shape: [L, d, d], data: c.weight }],
    ['bias', { shape: [L, d], data: c.bias }],
    ['momentum.weight', { shape: [L, d, d], data: c.momentumWeight }],
    ['momentum.bias', { shape: [L, d], data: c.momentumBias }],
  ]);
  const state = { step: c.step, chunksConsumed: c.chunksConsumed, run: c.run };
  return writeSafetensors(tensors, { format: FORMAT, version: '1', state: JSON.stringify(state) });
}

export function decodeCheckpoint<Run = Record<string, unknown>>(bytes: Uint8Array, fileName = CHECKPOINT_FILE): Checkpoint<Run> {
  const metadata = readMetadata(bytes, fileName);
  if (metadata.format !== FORMAT || metadata.version !== '1' || typeof metadata.state !== 'string') {
    throw new LensFormatError(
      `${fileName}: not a training checkpoint of this version (format ${JSON.stringify(metadata.format)}, version ${JSON.stringify(metadata.version)})`,
    );
  }
  const state = JSON.parse(metadata.state) as { step: number; chunksConsumed: number; run: Run };
  const tensors = readSafetensors(bytes, fileName);
  const weight = tensors.get('weight');
  const bias = tensors.get('bias');
  const momentumWeight = tensors.get('momentum.weight');
  const momentumBias = tensors.get('momentum.bias');
  if (!weight || !bias || !momentumWeight || !momentumBias || weight.shape.length !== 3) {
    throw new LensFormatError(`${fileName}: a training checkpoint needs weight, bias, momentum.weight and momentum.bias`);
  }
  const [L, d] = weight.shape;
  for (const [name, t, shape] of [
    ['bias', bias, [L, d]],
    ['momentum.weight', momentumWeight, [L, d, d]],
    ['momentum.bias', momentumBias, [L, d]],
  ] as const) {
    if (!sameShape(t.shape, shape)) throw new LensFormatError(`${fileName}: ${name} has shape ${formatShape(t.shape)}, expected ${formatShape(shape)}`);
  }
  return {
    step: state.step,
    chunksConsumed: state.chunksConsumed,
    run: state.run,
    numLayers: L,
    dModel: d,
    weight: weight.data,
    bias: bias.data,
    momentumWeight: momentumWeight.data,
    momentumBias: momentumBias.data,
  };
}

/** The `__metadata__` of a safetensors file (string → string). */
function readMetadata(bytes: Uint8Array, fileName: string): Record<string, string> {
  if (bytes.byteLength < 8) throw new LensFormatError(`${fileName}: too short to be a checkpoint`);
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (length > bytes.byteLength - 8) throw new LensFormatError(`${fileName}: truncated (header of ${length} bytes in a file of ${bytes.byteLength})`);
  let header: { __metadata__?: Record<string, string> };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  } catch {
    throw new LensFormatError(`${fileName}: the header is not valid JSON — the checkpoint is corrupted`);
  }
  return header.__metadata__ ?? {};
}
