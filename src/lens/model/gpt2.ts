/** GPT-2 (`model_type: "gpt2"`) in the architecture registry: architecture.md §3. */
import { architecture } from './architecture.ts';
import { expectedGPT2Tensors, GPT2Checkpoint } from './gpt2-checkpoint.ts';
import { parseGPT2Config } from './gpt2-config.ts';

export const GPT2 = architecture('gpt2', 'GPT-2', {
  readConfig: parseGPT2Config,
  expectedTensors: expectedGPT2Tensors,
  tiedUnembedding: () => true,
  checkpoint: GPT2Checkpoint.fromTensors,
});
