/** GPT-NeoX (`model_type: "gpt_neox"`, the Pythia suite) in the architecture registry: architecture.md §3 (GPT-NeoX). */
import type { Architecture } from './architecture.ts';
import { countParameters } from '../tensor.ts';
import { expectedGPTNeoXTensors, GPTNeoXCheckpoint } from './gpt-neox-checkpoint.ts';
import { parseGPTNeoXConfig } from './gpt-neox-config.ts';

export const GPT_NEOX: Architecture = {
  modelType: 'gpt_neox',
  label: 'GPT-NeoX',
  parseConfig(json, fileName) {
    const config = parseGPTNeoXConfig(json, fileName);
    return {
      config,
      parameters: countParameters(expectedGPTNeoXTensors(config)),
      tiedUnembedding: config.tiedEmbeddings,
      checkpoint: (tensors, tensorsFile) => GPTNeoXCheckpoint.fromTensors(config, tensors, tensorsFile),
    };
  },
};
