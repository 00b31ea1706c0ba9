/** InferenceSession.create's arguments for a graph built with its weights as external data (GraphBuilder.toExternalModel). */
import type { InferenceSession } from 'onnxruntime-common';
import type { OnnxModel } from '../../src/lens/onnx/graph-builder.ts';

export function sessionArgs({ bytes, externalData }: OnnxModel, options: InferenceSession.SessionOptions = {}): [Uint8Array, InferenceSession.SessionOptions] {
  return [bytes, { ...options, externalData }];
}
