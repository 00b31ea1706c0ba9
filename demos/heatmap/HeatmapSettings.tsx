/**
 * The heatmap's setting menus (lens, statistic, layer stride, top-k), shared by the live figures and,
 * rendered at build time with `disabled`, by their static versions — one markup for both.
 */
import { lensLabel } from './heatmap-static.ts';
import { STRIDE_CHOICES, strideLabel, TOPK_CHOICES } from './heatmap-state.ts';
import { MENU_STATISTICS, STATISTIC_SCALES, type MenuStatistic } from './statistic-scales.ts';

interface ChoiceProps<T extends string | number> {
  label: string;
  value: T;
  options: readonly T[];
  format?: (option: T) => string;
  /** Absent on a static figure, whose menus are `disabled`. */
  onChange?: (option: T) => void;
}

function Choice<T extends string | number>({ label, value, options, format = String, onChange }: ChoiceProps<T>) {
  return (
    <label>
      <span>{label}</span>
      <select
        value={String(value)}
        disabled={!onChange}
        onChange={(e) => onChange?.(options.find((o) => String(o) === (e.target as HTMLSelectElement).value)!)}
      >
        {options.map((option) => (
          <option key={String(option)} value={String(option)} selected={option === value}>
            {format(option)}
          </option>
        ))}
      </select>
    </label>
  );
}

export function LensChoice(props: { value: string; lenses: readonly string[]; onChange?: (lens: string) => void }) {
  return <Choice label="Lens" value={props.value} options={props.lenses} format={(lens) => lensLabel(lens)} onChange={props.onChange} />;
}

export function StatisticChoice(props: { value: MenuStatistic; onChange?: (statistic: MenuStatistic) => void }) {
  return <Choice label="Statistic" value={props.value} options={MENU_STATISTICS} format={(s) => STATISTIC_SCALES[s].label} onChange={props.onChange} />;
}

export function StrideChoice(props: { value: number; onChange?: (stride: number) => void }) {
  return <Choice label="Layer stride" value={props.value} options={STRIDE_CHOICES} format={strideLabel} onChange={props.onChange} />;
}

export function TopkChoice(props: { value: number; onChange?: (k: number) => void }) {
  return <Choice label="Top-k" value={props.value} options={TOPK_CHOICES} onChange={props.onChange} />;
}

/** A switch for one of the heatmap's extra instruments (the prediction-depth strip, …). */
export function InstrumentToggle(props: { label: string; checked: boolean; onChange?: (checked: boolean) => void }) {
  return (
    <label class="heatmap-toggle">
      <input type="checkbox" checked={props.checked} disabled={!props.onChange} onChange={(e) => props.onChange?.((e.target as HTMLInputElement).checked)} />
      <span>{props.label}</span>
    </label>
  );
}

/** The prompt box ("Prompt" unless `label` names it otherwise). */
export function PromptField(props: { label?: string; value: string; onChange?: (text: string) => void; describedBy?: string }) {
  return (
    <label class="heatmap-prompt">
      <span>{props.label ?? 'Prompt'}</span>
      <textarea
        rows={2}
        value={props.value}
        spellcheck={false}
        disabled={!props.onChange}
        onInput={(e) => props.onChange?.((e.target as HTMLTextAreaElement).value)}
        aria-describedby={props.describedBy}
      />
    </label>
  );
}

/** The first position shown, as Python's slice start: 0 or the last n tokens of a prompt of `numTokens`. */
export function StartSlider(props: { start: number; numTokens: number; onChange?: (start: number) => void; class?: string }) {
  const { start, onChange } = props;
  return (
    <label class={props.class}>
      <span>
        Start position <output>{start}</output>
      </span>
      <input
        type="range"
        min={-Math.max(10, props.numTokens)}
        max={0}
        value={Math.min(0, start)}
        disabled={!onChange}
        onInput={(e) => onChange?.(Number((e.target as HTMLInputElement).value))}
        aria-valuetext={onChange && (start === 0 ? 'from the first token' : `the last ${-start} tokens`)}
      />
    </label>
  );
}
