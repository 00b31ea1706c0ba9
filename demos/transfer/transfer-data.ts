/**
 * Layer transfer as the figure and its sentence read it (LensModel.layerTransfer's [L, L] matrix):
 * cells by translator i and hidden state j, and the facts the chapter states about them.
 */
import type { LayerTransfer } from '../../src/lens/lens-model.ts';
import type { Reading } from '../readings/readings.ts';

export interface TransferCell {
  /** The translator applied (trained for layer i). */
  translator: number;
  /** The layer whose hidden state it reads. */
  layer: number;
  /** Mean KL(p ‖ q) to the output, nats. */
  kl: number;
}

export function transferCells(transfer: LayerTransfer): TransferCell[] {
  const L = transfer.numLayers;
  return Array.from(transfer.kl, (kl, cell) => ({ translator: Math.floor(cell / L), layer: cell % L, kl }));
}

/** The translator with the lowest KL on layer j's hidden state. */
export function bestTranslator(transfer: LayerTransfer, layer: number): number {
  const L = transfer.numLayers;
  let best = 0;
  for (let i = 1; i < L; i++) if (transfer.kl[i * L + layer] < transfer.kl[best * L + layer]) best = i;
  return best;
}

export interface TransferFacts {
  numLayers: number;
  /** Layers whose own translator (the diagonal) reads them best. */
  ownBest: number[];
  /** Mean KL on the diagonal, and over the cells off it. */
  diagonalMean: number;
  offDiagonalMean: number;
}

export function transferFacts(transfer: LayerTransfer): TransferFacts {
  const L = transfer.numLayers;
  const cells = transferCells(transfer);
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
  return {
    numLayers: L,
    ownBest: Array.from({ length: L }, (_, j) => j).filter((j) => bestTranslator(transfer, j) === j),
    diagonalMean: mean(cells.filter((c) => c.translator === c.layer).map((c) => c.kl)),
    offDiagonalMean: mean(cells.filter((c) => c.translator !== c.layer).map((c) => c.kl)),
  };
}

/** What the figure's default view shows: its facts, and the chapter's sentence stating them. */
export function transferReading(transfer: LayerTransfer, lensName: string): Reading<TransferFacts> {
  const facts = transferFacts(transfer);
  const { numLayers: L, ownBest } = facts;
  const columns =
    ownBest.length === L
      ? `in every one of the ${L} columns the lowest KL is on the diagonal: each layer is read best by its own translator`
      : ownBest.length === 0
        ? `in none of the ${L} columns is the lowest KL on the diagonal`
        : `in ${ownBest.length} of the ${L} columns (layer${ownBest.length === 1 ? '' : 's'} ${ownBest.join(', ')}) the lowest KL is on the diagonal, where the layer's own translator reads it`;
  const text = `For the ${lensName}, ${columns}; on average the diagonal is ${facts.diagonalMean.toFixed(2)} nats from the output and the other cells ${facts.offDiagonalMean.toFixed(2)} nats.`;
  return { facts, text };
}
