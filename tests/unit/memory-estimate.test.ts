/**
 * What the model picker says before a download: the parameters a config implies (so the memory the
 * model will need), and when to warn that the device may not have it.
 */
import { describe, expect, it } from 'vitest';
import { PathSource } from '../../src/node/path-source.ts';
import { GPT2Checkpoint } from '../../src/lens/model/gpt2-checkpoint.ts';
import { parseGPT2Config } from '../../src/lens/model/gpt2-config.ts';
import { gpt2Parameters, memoryEstimate, memoryShortfall } from '../../src/lens/model/memory-estimate.ts';
import { loadModelFiles } from '../../src/lens/model/model-files.ts';
import { numel } from '../../src/lens/tensor.ts';

const GPT2_SMALL = parseGPT2Config({ model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257, layer_norm_epsilon: 1e-5 });

describe('the memory a model needs, from its config alone', () => {
  it('counts GPT-2 small’s 124,439,808 parameters (498 MB as float32)', () => {
    expect(gpt2Parameters(GPT2_SMALL)).toBe(124_439_808);
    const estimate = memoryEstimate(GPT2_SMALL);
    expect(estimate.weightBytes).toBe(497_759_232);
    expect(estimate.unembeddingBytes).toBe(4 * 50257 * 768);
    // Loading holds more than the weights for a while; the estimate says so.
    expect(estimate.peakBytes).toBeGreaterThan(estimate.weightBytes + estimate.unembeddingBytes);
  });

  it('counts exactly the weights the embedded model’s checkpoint holds', async () => {
    const { checkpoint } = await loadModelFiles(new PathSource('public/models/pd-gpt2-6l'));
    expect(checkpoint).toBeInstanceOf(GPT2Checkpoint);
    const gpt2 = checkpoint as GPT2Checkpoint;
    const held = gpt2.names().reduce((sum, name) => sum + numel(gpt2.get(name).shape), 0);
    expect(gpt2Parameters(gpt2.config)).toBe(held);
  });
});

describe('warning before a download that may not fit', () => {
  const peak = 2.6 * 2 ** 30;
  const never = () => {
    throw new Error('the allocation test must not run where deviceMemory answers');
  };

  it('warns when the device reports less memory than the model needs', () => {
    expect(memoryShortfall(peak, 2, never)).toBe('this device reports about 2 GB of memory');
    expect(memoryShortfall(peak, 0.5, never)).toBe('this device reports about 0.5 GB of memory');
  });

  it('does not warn when the device reports enough, or 8 GB (the most a browser reports)', () => {
    expect(memoryShortfall(peak, 4, never)).toBeNull();
    expect(memoryShortfall(16 * 2 ** 30, 8, never)).toBeNull();
  });

  it('falls back to an allocation test where the browser does not report its memory', () => {
    expect(memoryShortfall(peak, undefined, () => true)).toBe('this browser could not set that much memory aside just now');
    expect(memoryShortfall(peak, undefined, () => false)).toBeNull();
  });
});
