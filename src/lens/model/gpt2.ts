/** GPT-2 (`model_type: "gpt2"`) in the architecture registry: architecture.md §3. */
import type { Architecture } from './architecture.ts';
import { countParameters } from '../tensor.ts';
import { expectedGPT2Tensors, GPT2Checkpoint } from './gpt2-checkpoint.ts';
import { parseGPT2Config } from './gpt2-config.ts';

export const GPT2: Architecture = {
  modelType: 'gpt2',
  label: 'GPT-2',
  parseConfig(json, fileName) {
    const config = parseGPT2Config(json, fileName);
    return {
      config,
      parameters: countParameters(expectedGPT2Tensors(config)),
      tiedUnembedding: true,
      checkpoint: (tensors, tensorsFile) => GPT2Checkpoint.fromTensors(config, tensors, tensorsFile),
    };
  },
};
