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

/**
 * onnxruntime-node gives each session its own intra-op threads, which spin while they wait for work:
 * with a model in parts (a session per GPT-2 block) the idle parts' threads spun against the running
 * one's, and a GPT-2-shaped keystroke took 148 ms instead of 67 (bench/RESULTS.md). Not spinning costs
 * a thread's wake-up per run.
 */
export const NODE_SESSION_OPTIONS = { extra: { session: { intra_op: { allow_spinning: '0' } } } };

export async function loadNodeSession(source: Source, onProgress?: ProgressCallback, options: LensModelOptions = {}): Promise<LensSession> {
  const files = await loadModelFiles(source, { tokenizerFallback: gpt2TokenizerSource(), onProgress });
  return LensSession.create(ort, files, { sessionOptions: NODE_SESSION_OPTIONS, ...options });
}
