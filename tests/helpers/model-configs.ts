/** Published config.json files of real models, as far as our architectures read them (no weights needed). */

/** EleutherAI/pythia-70m-deduped's config.json: the fields the GPT-NeoX graph reads (architecture.md §3). */
export const PYTHIA_70M_CONFIG = {
  model_type: 'gpt_neox',
  hidden_size: 512,
  num_hidden_layers: 6,
  num_attention_heads: 8,
  intermediate_size: 2048,
  max_position_embeddings: 2048,
  vocab_size: 50304,
  layer_norm_eps: 1e-5,
  rotary_pct: 0.25,
  rotary_emb_base: 10000,
  use_parallel_residual: true,
  hidden_act: 'gelu',
  tie_word_embeddings: false,
};
