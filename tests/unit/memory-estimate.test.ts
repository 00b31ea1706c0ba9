/**
 * What the model picker says before a download: the parameters a config implies (so the memory the
 * model will need), and when to warn that the device may not have it.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { ParsedConfig } from '../../src/lens/model/architecture.ts';
import { parseModelConfig } from '../../src/lens/model/architectures.ts';
import { readSafetensors } from '../../src/lens/formats/safetensors.ts';
import { memoryEstimate, memoryShortfall } from '../../src/lens/model/memory-estimate.ts';
import { numel } from '../../src/lens/tensor.ts';
import { fixturePath, readFixture } from '../helpers/fixtures.ts';
import { PYTHIA_70M_CONFIG } from '../helpers/model-configs.ts';

const GPT2_SMALL = { model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257, layer_norm_epsilon: 1e-5 };

/** A checkpoint folder's config.json as its architecture reads it, and the elements of the tensors its model uses (buffers it ignores left out). */
function folder(path: string): { parsed: ParsedConfig; held: number } {
  const parsed = parseModelConfig(JSON.parse(readFileSync(fixturePath(`${path}/config.json`), 'utf8')));
  const tensors = readSafetensors(readFixture(`${path}/model.safetensors`), 'model.safetensors');
  const { ignored } = parsed.checkpoint(tensors, 'model.safetensors');
  const held = [...tensors].reduce((sum, [name, t]) => sum + (ignored.includes(name) ? 0 : numel(t.shape)), 0);
  return { parsed, held };
}

describe('the memory a model needs, from its config alone', () => {
  it('counts GPT-2 small’s 124,439,808 parameters (498 MB as float32), its tied unembedding held once, by the lens head', () => {
    const estimate = memoryEstimate(parseModelConfig(GPT2_SMALL));
    expect(estimate.parameters).toBe(124_439_808);
    expect(estimate.weightBytes).toBe(497_759_232);
    // Loading holds more than the weights for a while; the estimate says so.
    expect(estimate.peakBytes).toBeGreaterThan(estimate.weightBytes);
  });

  it('counts Pythia-70M’s 70,426,624 parameters, its token embedding (untied) left in the file', () => {
    const estimate = memoryEstimate(parseModelConfig(PYTHIA_70M_CONFIG));
    expect(estimate.parameters).toBe(70_426_624);
    expect(estimate.weightBytes).toBe(4 * (70_426_624 - 50_304 * 512));
  });

  it.each([
    ['the embedded GPT-2 (pd-gpt2-6l)', '../../public/models/pd-gpt2-6l'],
    ['tiny GPT-NeoX', 'tiny-neox'],
  ])('counts exactly the weights %s’s checkpoint holds', (_, path) => {
    const { parsed, held } = folder(path);
    expect(parsed.parameters).toBe(held);
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
