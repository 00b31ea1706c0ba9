import { describe, expect, it } from 'vitest';
import { LensFormatError } from '../../src/lens/errors.ts';
import { readSafetensors } from '../../src/lens/formats/safetensors.ts';
import { GPT2Checkpoint } from '../../src/lens/model/gpt2-checkpoint.ts';
import { parseGPT2Config, type GPT2Config } from '../../src/lens/model/gpt2-config.ts';
import type { Tensor32 } from '../../src/lens/tensor.ts';
import { readFixture, readFixtureJson } from '../helpers/fixtures.ts';
import { loadTinyCheckpoint } from '../helpers/tiny-gpt2.ts';

const FILE = 'model.safetensors';

function tinyTensors(): { config: GPT2Config; tensors: Map<string, Tensor32> } {
  const config = parseGPT2Config(readFixtureJson('tiny-gpt2/config.json'));
  const tensors = readSafetensors(readFixture('tiny-gpt2/model.safetensors'), FILE);
  return { config, tensors };
}

function refusal(run: () => unknown): LensFormatError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(LensFormatError);
    return e as LensFormatError;
  }
  throw new Error('expected a LensFormatError, but nothing was thrown');
}

describe('GPT-2 config', () => {
  it('reads the tiny GPT-2 config.json', () => {
    const config = parseGPT2Config(readFixtureJson('tiny-gpt2/config.json'));
    expect(config).toEqual({
      dModel: 32,
      numLayers: 3,
      numHeads: 4,
      nPositions: config.nPositions,
      vocabSize: 50257,
      layerNormEpsilon: 1e-5,
      modelType: 'gpt2',
    });
    expect(config.nPositions).toBeGreaterThan(0);
  });

  it('takes n_ctx when n_positions is absent and defaults layer_norm_epsilon to 1e-5', () => {
    const config = parseGPT2Config({ model_type: 'gpt2', n_embd: 8, n_layer: 1, n_head: 2, n_ctx: 16, vocab_size: 10 });
    expect(config.nPositions).toBe(16);
    expect(config.layerNormEpsilon).toBe(1e-5);
  });

  it('refuses a config for another architecture, saying which one it is', () => {
    const error = refusal(() => parseGPT2Config({ model_type: 'llama', n_embd: 8 }, 'config.json'));
    expect(error.message).toMatch(/config\.json: says model_type "llama", but only GPT-2/);
  });

  it('refuses a config with a missing or malformed size', () => {
    expect(refusal(() => parseGPT2Config({ model_type: 'gpt2', n_layer: 1, n_head: 1, n_positions: 4, vocab_size: 4 })).message).toMatch(/n_embd is missing/);
    expect(refusal(() => parseGPT2Config({ model_type: 'gpt2', n_embd: 10, n_layer: 1, n_head: 3, n_positions: 4, vocab_size: 4 })).message).toMatch(
      /n_embd 10 is not a multiple of n_head 3/,
    );
    expect(refusal(() => parseGPT2Config({ model_type: 'gpt2', n_embd: 8, n_layer: 1.5, n_head: 2, n_positions: 4, vocab_size: 4 })).message).toMatch(
      /n_layer should be a positive integer, found 1.5/,
    );
  });

  it('refuses an activation the graph does not implement', () => {
    const json = { model_type: 'gpt2', n_embd: 8, n_layer: 1, n_head: 2, n_positions: 4, vocab_size: 4, activation_function: 'relu' };
    expect(refusal(() => parseGPT2Config(json)).message).toMatch(/activation_function "relu" is not supported/);
  });
});

describe('GPT-2 checkpoint', () => {
  it('loads the tiny GPT-2 and exposes its weights by Hugging Face name', () => {
    const ckpt = loadTinyCheckpoint('tiny-gpt2');
    expect(ckpt.get('wte.weight').shape).toEqual([50257, 32]);
    expect(ckpt.get('h.2.attn.c_attn.weight').shape).toEqual([32, 96]);
    expect(ckpt.get('h.1.mlp.c_proj.weight').shape).toEqual([128, 32]);
    expect(ckpt.names()).toHaveLength(2 + 12 * 3 + 2);
    expect(() => ckpt.get('h.3.ln_1.weight')).toThrow(/no tensor named 'h.3.ln_1.weight'/);
  });

  it('loads the f16 checkpoint whose names carry the transformer. prefix and a tied lm_head.weight', () => {
    const ckpt = loadTinyCheckpoint('tiny-gpt2-f16');
    const f32 = loadTinyCheckpoint('tiny-gpt2');
    expect(ckpt.get('wte.weight').shape).toEqual([50257, 32]);
    expect(ckpt.get('ln_f.bias').data).toBeInstanceOf(Float32Array);
    // The f16 weights are the f32 weights rounded to half precision.
    const a = ckpt.get('h.0.attn.c_attn.weight').data;
    const b = f32.get('h.0.attn.c_attn.weight').data;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (Math.abs(b[i]) + 1e-4));
    expect(worst).toBeLessThan(1e-3);
    expect(ckpt.ignored).not.toContain('lm_head.weight');
  });

  it('refuses a checkpoint with a wrong-shaped tensor, naming the tensor, both shapes and the config value', () => {
    const { config, tensors } = tinyTensors();
    tensors.set('h.1.attn.c_attn.weight', { data: new Float32Array(32 * 72), shape: [32, 72] });
    const error = refusal(() => GPT2Checkpoint.fromTensors(config, tensors, FILE));
    expect(error.message).toBe(
      'model.safetensors: h.1.attn.c_attn.weight has shape [32, 72] but config says n_embd 32 — expected [32, 96] = [n_embd, 3·n_embd]; are config.json and the weights from the same model?',
    );
  });

  it('refuses weights for a wider model than the config says, before building anything', () => {
    const { tensors } = tinyTensors();
    const config = { ...parseGPT2Config(readFixtureJson('tiny-gpt2/config.json')), dModel: 64 };
    const error = refusal(() => GPT2Checkpoint.fromTensors(config, tensors, FILE));
    expect(error.message).toMatch(/^model\.safetensors: wte\.weight has shape \[50257, 32\] but config says vocab_size 50257, n_embd 64/);
  });

  it('refuses a checkpoint with a missing tensor, naming it', () => {
    const { config, tensors } = tinyTensors();
    tensors.delete('h.2.mlp.c_fc.bias');
    const error = refusal(() => GPT2Checkpoint.fromTensors(config, tensors, FILE));
    expect(error.message).toMatch(/^model\.safetensors: a tensor is missing: h\.2\.mlp\.c_fc\.bias — config says n_layer 3/);
  });

  it('refuses a checkpoint with more blocks than the config says', () => {
    const { config, tensors } = tinyTensors();
    const error = refusal(() => GPT2Checkpoint.fromTensors({ ...config, numLayers: 2 }, tensors, FILE));
    expect(error.message).toMatch(/h\.2\.\S+ belongs to block 2 but config says n_layer 2/);
  });

  it('refuses an untied output head', () => {
    const { config, tensors } = tinyTensors();
    const wte = tensors.get('wte.weight')!;
    const head = { data: wte.data.slice(), shape: [...wte.shape] };
    head.data[5] += 1;
    tensors.set('lm_head.weight', head);
    const error = refusal(() => GPT2Checkpoint.fromTensors(config, tensors, FILE));
    expect(error.message).toMatch(/lm_head\.weight differs from wte\.weight — untied output heads are not supported/);
  });

  it('ignores the attention-mask buffers some files carry', () => {
    const { config, tensors } = tinyTensors();
    tensors.set('h.0.attn.bias', { data: new Float32Array(4), shape: [1, 1, 2, 2] });
    tensors.set('h.0.attn.masked_bias', { data: new Float32Array(1), shape: [] });
    const ckpt = GPT2Checkpoint.fromTensors(config, tensors, FILE);
    expect(ckpt.ignored).toEqual(['h.0.attn.bias', 'h.0.attn.masked_bias']);
  });
});
