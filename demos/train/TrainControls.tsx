/**
 * The training figure's controls: what to train on, and the run's settings under the paper's recipe.
 * The island wires them to its state; the figure drawn at build time (TrainFigure.astro) renders them disabled,
 * showing the settings its build-time run used.
 */
import { TRAIN_LIMITS } from '../../src/engine/protocol.ts';
import { fmtInt, initLabel } from './train-format.ts';
import { SAMPLE, type TextSource, type TrainState } from './train-state.ts';

export interface TrainSourceProps {
  /** The figure's id: names the radio group. */
  id: string;
  source: TextSource;
  /** The sample's size once fetched. */
  sampleBytes: number | null;
  sampleHref: string;
  ownText: string;
  /** Tokens per training chunk, once the model has loaded. */
  context: number | null;
  disabled: boolean;
  onSource?: (source: TextSource) => void;
  onOwnText?: (text: string) => void;
}

export function TrainSource({ id, source, sampleBytes, sampleHref, ownText, context, disabled, onSource, onOwnText }: TrainSourceProps) {
  return (
    <fieldset class="train-source" disabled={disabled}>
      <legend>Train on</legend>
      <label class="train-radio">
        <input type="radio" name={`${id}-source`} checked={source === 'sample'} onChange={() => onSource?.('sample')} />
        <span>
          the bundled sample: {SAMPLE.title}
          {sampleBytes !== null && ` (${Math.round(sampleBytes / 1000)} kB)`},{' '}
          <a href={sampleHref} target="_blank" rel="noopener">
            read it
          </a>
        </span>
      </label>
      <label class="train-radio">
        <input type="radio" name={`${id}-source`} checked={source === 'own'} onChange={() => onSource?.('own')} />
        <span>your own text</span>
      </label>
      {source === 'own' && (
        <label class="heatmap-prompt train-own">
          <span>
            Your text
            {context !== null && ` — at least ${context} tokens (one training chunk, about ${fmtInt(context * 4)} characters of English); more is better`}
          </span>
          <textarea rows={5} value={ownText} spellcheck={false} onInput={(e) => onOwnText?.((e.target as HTMLTextAreaElement).value)} />
          <span class="train-muted">{fmtInt(ownText.length)} characters</span>
        </label>
      )}
    </fieldset>
  );
}

export interface TrainSettingsProps {
  settings: Pick<TrainState, 'steps' | 'tokensPerStep' | 'lr'>;
  init: string;
  /** The lenses training may start from. */
  initChoices: readonly string[];
  context: number | null;
  disabled: boolean;
  onChange?: (patch: Partial<TrainState>) => void;
}

export function TrainSettings({ settings, init, initChoices, context, disabled, onChange }: TrainSettingsProps) {
  return (
    <>
      <div class="heatmap-settings train-settings">
        <label>
          <span>Start from</span>
          <select value={init} disabled={disabled} onChange={(e) => onChange?.({ init: (e.target as HTMLSelectElement).value })}>
            {initChoices.map((name) => (
              <option key={name} value={name}>
                {initLabel(name)}
              </option>
            ))}
          </select>
        </label>
        <NumberField
          label="Steps"
          value={settings.steps}
          min={1}
          max={TRAIN_LIMITS.steps}
          step={1}
          disabled={disabled}
          onChange={(steps) => onChange?.({ steps })}
        />
        <NumberField
          label="Tokens per step"
          value={settings.tokensPerStep}
          min={1}
          max={TRAIN_LIMITS.tokensPerStep}
          step={context ?? 1}
          disabled={disabled}
          onChange={(tokensPerStep) => onChange?.({ tokensPerStep })}
        />
        <NumberField
          label="Learning rate"
          value={settings.lr}
          min={0}
          max={TRAIN_LIMITS.lr}
          step={0.1}
          disabled={disabled}
          onChange={(lr) => onChange?.({ lr })}
        />
      </div>
      <p class="train-muted train-recipe">
        The paper’s optimiser: SGD with Nesterov momentum 0.9 at learning rate × (1 − 0.9), weight decay 10⁻³, gradient norm clipped to 1, decayed linearly to 0
        over the steps.{context !== null && ` Tokens per step are rounded up to whole chunks of ${context}.`}
      </p>
    </>
  );
}

function NumberField(props: { label: string; value: number; min: number; max: number; step: number; disabled: boolean; onChange: (value: number) => void }) {
  return (
    <label>
      <span>{props.label}</span>
      <input
        type="number"
        inputMode="decimal"
        value={props.value}
        min={props.min}
        max={props.max}
        step={props.step}
        disabled={props.disabled}
        onChange={(e) => {
          const input = e.target as HTMLInputElement;
          const value = Number(input.value);
          if (input.value !== '' && Number.isFinite(value)) props.onChange(value);
          else input.value = String(props.value);
        }}
      />
    </label>
  );
}
