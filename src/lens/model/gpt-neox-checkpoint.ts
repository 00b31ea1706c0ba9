/**
 * GPT-NeoX weights (Pythia's `GPTNeoXForCausalLM` files), checked against their config before
 * anything is built from them.
 *
 * Names are Hugging Face's: `gpt_neox.embed_in.weight [V, d]`, per layer i
 * `gpt_neox.layers.{i}.input_layernorm.{weight,bias} [d]`, `….post_attention_layernorm.*`,
 * `….attention.query_key_value.{weight [3d, d], bias [3d]}`, `….attention.dense.{weight [d, d], bias}`,
 * `….mlp.dense_h_to_4h.{weight [I, d], bias [I]}`, `….mlp.dense_4h_to_h.{weight [d, I], bias [d]}`,
 * `gpt_neox.final_layer_norm.*`, and the untied head `embed_out.weight [V, d]` (no prefix, no bias).
 * torch.nn.Linear weights are stored [out, in] (y = x·Wᵀ + b). Accepted variations:
 * - names without the `gpt_neox.` prefix (files saved from GPTNeoXModel);
 * - `tie_word_embeddings: true`: no embed_out, the head is embed_in;
 * - the buffers older files carry (`attention.bias`, `attention.masked_bias`,
 *   `attention.rotary_emb.inv_freq`) and anything else the model does not use are ignored (listed in
 *   `ignored`) — the rotary frequencies are recomputed from the config, as transformers does.
 */
import type { Tensor32 } from '../tensor.ts';
import type { OnnxModel } from '../onnx/graph-builder.ts';
import type { ModelCheckpoint } from './architecture.ts';
import { CheckedCheckpoint, checkTensors, type ExpectedTensor } from './checkpoint-tensors.ts';
import type { ModelGraphOptions } from './residual-stream.ts';
import type { GPTNeoXConfig } from './gpt-neox-config.ts';
import { buildGPTNeoXGraph } from './gpt-neox-graph.ts';

/** The tensors a GPT-NeoX with this config must have, by their unprefixed names, with their shapes in config terms. */
export function expectedGPTNeoXTensors(config: GPTNeoXConfig): Map<string, ExpectedTensor> {
  const { dModel: d, vocabSize: V, intermediateSize: I } = config;
  const out = new Map<string, ExpectedTensor>();
  const add = (name: string, shape: number[], formula: string) => out.set(name, { shape, formula });
  add('embed_in.weight', [V, d], '[vocab_size, hidden_size]');
  for (let i = 0; i < config.numLayers; i++) {
    const l = `layers.${i}`;
    for (const norm of ['input_layernorm', 'post_attention_layernorm']) {
      add(`${l}.${norm}.weight`, [d], '[hidden_size]');
      add(`${l}.${norm}.bias`, [d], '[hidden_size]');
    }
    add(`${l}.attention.query_key_value.weight`, [3 * d, d], '[3·hidden_size, hidden_size]');
    add(`${l}.attention.query_key_value.bias`, [3 * d], '[3·hidden_size]');
    add(`${l}.attention.dense.weight`, [d, d], '[hidden_size, hidden_size]');
    add(`${l}.attention.dense.bias`, [d], '[hidden_size]');
    add(`${l}.mlp.dense_h_to_4h.weight`, [I, d], '[intermediate_size, hidden_size]');
    add(`${l}.mlp.dense_h_to_4h.bias`, [I], '[intermediate_size]');
    add(`${l}.mlp.dense_4h_to_h.weight`, [d, I], '[hidden_size, intermediate_size]');
    add(`${l}.mlp.dense_4h_to_h.bias`, [d], '[hidden_size]');
  }
  add('final_layer_norm.weight', [d], '[hidden_size]');
  add('final_layer_norm.bias', [d], '[hidden_size]');
  if (!config.tiedEmbeddings) add('embed_out.weight', [V, d], '[vocab_size, hidden_size]');
  return out;
}

const LAYER = /^layers\.(\d+)\./;
const BUFFER = /^layers\.\d+\.attention\.(bias|masked_bias|rotary_emb\.inv_freq)$/;

export class GPTNeoXCheckpoint extends CheckedCheckpoint<GPTNeoXConfig> implements ModelCheckpoint {
  protected readonly naming = { owner: 'GPTNeoXCheckpoint', example: 'layers.0.input_layernorm.weight' };
  protected readonly embeddingName = 'embed_in.weight';

  /** Checks `tensors` (as read from `fileName`) against `config` and keeps them by reference. */
  static fromTensors(config: GPTNeoXConfig, tensors: Map<string, Tensor32>, fileName: string): GPTNeoXCheckpoint {
    const { byName, ignored } = checkTensors(
      tensors,
      expectedGPTNeoXTensors(config),
      {
        label: 'GPT-NeoX',
        prefix: 'gpt_neox.',
        layer: LAYER,
        buffer: BUFFER,
        numLayers: config.numLayers,
        layerWord: 'layer',
        layersKey: 'num_hidden_layers',
        missingHint: (missing) =>
          missing.includes('embed_out.weight') && missing.length === 1 ? ' (the untied output head: config says tie_word_embeddings false)' : '',
        configSays: () => `hidden_size ${config.dModel}, vocab_size ${config.vocabSize}, intermediate_size ${config.intermediateSize}`,
      },
      fileName,
    );
    return new GPTNeoXCheckpoint(config, byName, ignored);
  }

  modelGraph(options?: ModelGraphOptions): OnnxModel {
    return buildGPTNeoXGraph(this, options);
  }

  /** final_layer_norm and the untied head embed_out (embed_in when the config ties them). */
  protected unembeddingNames() {
    const head = this.config.tiedEmbeddings ? 'embed_in.weight' : 'embed_out.weight';
    return { weight: 'final_layer_norm.weight', bias: 'final_layer_norm.bias', head };
  }
}
