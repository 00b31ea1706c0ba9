/**
 * How far each lens is from the model, layer by layer, over the reader's own text: the mean
 * KL(p‖q), the lens's cross-entropy (in bits per byte or nats per token, with the model's own as a
 * reference line) and the lens's bias KL(p̄‖q̄), one line per lens. Trajectories (with each row's
 * bias, computed in the engine) come from the page's engine; the averaging is done here, and
 * CurvesView.tsx draws it.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { engine } from '../../src/engine/client.ts';
import { FigureStatus, Placeholder } from '../shared/FigureStatus.tsx';
import { layerCurves, utf8Bytes } from './curves-data.ts';
import { curvePlots, type CrossEntropyUnit } from './curves-plot.ts';
import { urlState, useEngine, useLatestRun, useUrlState, useWidth } from '../shared/island-hooks.ts';
import { CURVES_GAP, CurvesView, DEFAULT_CURVES_TEXT } from './CurvesView.tsx';

export interface CurvesProps {
  /** The figure's anchor and URL key; unique on the page. */
  id: string;
  text?: string;
  caption?: string;
}

const DEBOUNCE_MS = 400;

export default function Curves(props: CurvesProps) {
  const { id } = props;
  const initial = useMemo(() => {
    const params = urlState(id);
    return { text: params.get('text') ?? props.text ?? DEFAULT_CURVES_TEXT, unit: (params.get('unit') === 'nats' ? 'nats' : 'bpb') as CrossEntropyUnit };
  }, []);
  const [text, setText] = useState(initial.text);
  const [unit, setUnit] = useState<CrossEntropyUnit>(initial.unit);
  const { engineState, info } = useEngine();
  const frame = useRef<HTMLDivElement>(null);
  const width = useWidth(frame);
  useUrlState(id, { text, unit }, { text: props.text ?? DEFAULT_CURVES_TEXT, unit: 'bpb' });

  const lenses = (['logit', 'tuned'] as const).filter((l) => info?.lenses.includes(l));

  const { result, running, error } = useLatestRun(
    info &&
      (() =>
        Promise.all(
          lenses.map((lens) =>
            engine()
              .trajectory({ text, lens, topk: 1 }, `${id}:${lens}`)
              .then((r) => ({ lens, trajectory: r.trajectory })),
          ),
        ).then((runs) => ({
          points: runs.flatMap(({ lens, trajectory }) => layerCurves(lens, trajectory, text)),
          tokens: runs[0]?.trajectory.numPositions ?? 0,
          bytes: utf8Bytes(text),
          outputRow: info.numLayers,
        }))),
    [text, info?.key, lenses.join()],
    { debounce: DEBOUNCE_MS },
  );

  const sideBySide = width >= 700;
  const plotWidth = sideBySide ? Math.floor((width - CURVES_GAP) / 2) : width;
  const shown = useMemo(
    () =>
      result && {
        ...result,
        plots: curvePlots(result.points, result.outputRow, unit).map(({ kind, label, draw }) => ({ kind, label, drawing: draw({ width: plotWidth }) })),
      },
    [result, plotWidth, unit],
  );

  return (
    <CurvesView
      id={id}
      caption={props.caption}
      text={text}
      onText={setText}
      unit={unit}
      onUnit={setUnit}
      lenses={lenses}
      modelName={info?.name ?? null}
      shown={shown}
      sideBySide={sideBySide}
      running={running}
      frameRef={frame}
      status={
        <FigureStatus
          engineState={engineState}
          note={info && !lenses.includes('tuned') && 'No tuned lens for this model — only the logit lens is drawn.'}
          error={error}
        />
      }
      placeholder={
        <Placeholder engineState={engineState} error={error}>
          The curves appear here once the model has read your text.
        </Placeholder>
      }
    />
  );
}
