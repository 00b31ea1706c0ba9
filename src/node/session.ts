/**
 * A LensSession on onnxruntime-node, for the `lens` CLI and the build: a model folder without a
 * tokenizer of its own gets GPT-2's (gpt2-tokenizer.ts).
 */
import * as ort from 'onnxruntime-node';
import type { ProgressCallback, Source } from '../lens/io/source.ts';
import { loadModelFiles } from '../lens/model/model-files.ts';
import type { LensModelOptions } from '../lens/lens-model.ts';
import { LensSession } from '../lens/session.ts';
import { gpt2TokenizerSource } from './gpt2-tokenizer.ts';

export async function loadNodeSession(source: Source, onProgress?: ProgressCallback, options: LensModelOptions = {}): Promise<LensSession> {
  return LensSession.create(ort, await loadModelFiles(source, { tokenizerFallback: gpt2TokenizerSource(), onProgress }), options);
}
