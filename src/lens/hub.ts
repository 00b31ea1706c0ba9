/**
 * Where the pretrained weights live on the Hugging Face hub: GPT-2 checkpoints in model repos, and
 * tuned lenses in the Space AlignmentResearch/tuned-lens under lens/<model id>/ (architecture.md §4).
 */
export const HUB = 'https://huggingface.co';

/**
 * Folder URL of a model repo's files, e.g. `openai-community/gpt2` → …/resolve/main/. `endpoint` is
 * the hub's address, or a mirror's (the CLI honours `HF_ENDPOINT`, as Hugging Face's own tools do).
 */
export function hubModelUrl(modelId: string, revision = 'main', endpoint = HUB): string {
  return `${endpoint.replace(/\/$/, '')}/${modelId}/resolve/${encodeURIComponent(revision)}/`;
}

/** Folder URL of the pretrained lens for `modelId` (the Space's naming: gpt2, EleutherAI/pythia-…). */
export function hubLensUrl(modelId: string, endpoint = HUB): string {
  return `${endpoint.replace(/\/$/, '')}/spaces/AlignmentResearch/tuned-lens/resolve/main/lens/${modelId}/`;
}

/**
 * The model id (`EleutherAI/pythia-70m-deduped`, or a legacy one-part id such as `gpt2`) of a model
 * repo's `resolve` URL on the hub or a mirror, else undefined.
 */
export function hubModelIdOfUrl(url: string): string | undefined {
  const match = /^https?:\/\/[^/]+\/([^/]+(?:\/[^/]+)?)\/resolve\//.exec(url);
  return match && !match[1].startsWith('spaces/') ? match[1] : undefined;
}

/** The Space names lenses by the short id the model had before it moved to openai-community/. */
export function lensIdForModel(modelId: string): string {
  return modelId.replace(/^openai-community\//, '');
}
