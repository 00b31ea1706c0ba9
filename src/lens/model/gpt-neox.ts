/** GPT-NeoX (`model_type: "gpt_neox"`, the Pythia suite) in the architecture registry: architecture.md §3 (GPT-NeoX). */
import { architecture } from './architecture.ts';
import { expectedGPTNeoXTensors, GPTNeoXCheckpoint } from './gpt-neox-checkpoint.ts';
import { parseGPTNeoXConfig } from './gpt-neox-config.ts';

export const GPT_NEOX = architecture('gpt_neox', 'GPT-NeoX', {
  readConfig: parseGPTNeoXConfig,
  expectedTensors: expectedGPTNeoXTensors,
  tiedUnembedding: (config) => config.tiedEmbeddings,
  checkpoint: GPTNeoXCheckpoint.fromTensors,
});
