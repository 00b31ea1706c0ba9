/**
 * Numbers quoted from the paper, not computed here: GPT-2 small's bits per byte on the Pile at each
 * layer, for the logit lens and the tuned lens (Belrose et al. 2023; the tuned-lens repository's
 * notebooks/icml2023/scaling-laws.ipynb; architecture.md §5).
 */
export const PAPER_SOURCE = 'Belrose et al. (2023), Pile, GPT-2 small';

export const PAPER_BITS_PER_BYTE: Record<'logit' | 'tuned', number[]> = {
  logit: [20.91, 4.16, 3.74, 3.66, 3.59, 3.55, 3.07, 2.88, 2.52, 2.37, 2.15, 1.74],
  tuned: [3.23, 2.34, 2.27, 2.19, 2.13, 2.08, 1.86, 1.74, 1.57, 1.48, 1.37, 1.29],
};

export interface PaperPoint {
  lens: 'logit' | 'tuned';
  layer: number;
  bitsPerByte: number;
}

export function paperPoints(): PaperPoint[] {
  return (['logit', 'tuned'] as const).flatMap((lens) => PAPER_BITS_PER_BYTE[lens].map((bitsPerByte, layer) => ({ lens, layer, bitsPerByte })));
}

/**
 * The tuned lens's bits per byte on the Pile by layer for Pythia, quoted (to two decimals) from the
 * tuned-lens repository's notebooks/icml2023/figures.ipynb, the figure "Tuned lens perplexity across
 * depth & scale (Pythia)" (commit f38386b). The notebook reads these from the suite's runs under their
 * names before Pythia's renaming (19m-deduped, 125m-deduped), which it labels 70M and 160M. It plots no
 * logit-lens baseline for Pythia and leaves 410M out, so neither is quoted here.
 */
export const PYTHIA_SOURCE = 'tuned-lens notebooks/icml2023/figures.ipynb, Pile, Pythia (deduped)';

export const PYTHIA_TUNED_BITS_PER_BYTE: Record<string, number[]> = {
  'pythia-70m': [2.36, 2.08, 1.92, 1.81, 1.39, 1.21],
  'pythia-160m': [2.36, 2.1, 2.01, 1.89, 1.83, 1.69, 1.5, 1.36, 1.3, 1.16, 1.07, 0.99],
};
