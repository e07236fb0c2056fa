/**
 * Parameter controls built from the effect's ParamSpec list as the daemon
 * sends it in `welcome`, so a new effect or parameter needs no panel change:
 * number → slider, integer → number field, boolean → checkbox,
 * enum → dropdown, string → text field.
 */
import type { ParamSpec } from '../../../shared/src/params/param-spec.ts';
import { h } from './dom.ts';
import { formatStep, type ValueWidget, type WidgetKit } from './widgets.ts';

export type ControlPlan =
  | { widget: 'slider'; min: number; max: number; step: number; value: number }
  | { widget: 'number'; min: number; max: number; value: number }
  | { widget: 'checkbox'; value: boolean }
  | { widget: 'dropdown'; options: string[]; value: string }
  | { widget: 'text'; value: string };

/** The control a spec gets, with the value to show (a remembered valid one, else the default). */
export function planControl(spec: ParamSpec, remembered: unknown): ControlPlan {
  switch (spec.type) {
    case 'number': {
      const step = spec.step ?? niceStep(spec.max - spec.min);
      const v = typeof remembered === 'number' && remembered >= spec.min && remembered <= spec.max ? remembered : spec.default;
      return { widget: 'slider', min: spec.min, max: spec.max, step, value: v };
    }
    case 'integer': {
      const v = typeof remembered === 'number' && Number.isInteger(remembered) && remembered >= spec.min && remembered <= spec.max ? remembered : spec.default;
      return { widget: 'number', min: spec.min, max: spec.max, value: v };
    }
    case 'boolean':
      return { widget: 'checkbox', value: typeof remembered === 'boolean' ? remembered : spec.default };
    case 'enum':
      return { widget: 'dropdown', options: [...spec.options], value: typeof remembered === 'string' && spec.options.includes(remembered) ? remembered : spec.default };
    case 'string':
      return { widget: 'text', value: typeof remembered === 'string' ? remembered : spec.default };
    default: {
      // A type this panel does not know yet (newer daemon): show it read-only rather than drop it.
      const s = spec as { default?: unknown };
      return { widget: 'text', value: String(s.default ?? '') };
    }
  }
}

/** About 100 slider positions over the range, rounded to 1/2/5 × 10^k. */
export function niceStep(range: number): number {
  if (!(range > 0)) return 1;
  const raw = range / 100;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

export interface ParamControls {
  el: HTMLElement;
  /** Current values, by parameter name. */
  values(): Record<string, unknown>;
  setDisabled(disabled: boolean): void;
}

/** Builds the rows for one effect; `onChange` gets the full value set after each edit. */
export function buildParamControls(kit: WidgetKit, specs: readonly ParamSpec[], remembered: Record<string, unknown>, onChange: (values: Record<string, unknown>) => void): ParamControls {
  const root = h('div', { class: 'params', 'data-role': 'params' });
  const widgets = new Map<string, ValueWidget<unknown>>();
  const values = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, w] of widgets) out[k] = w.get();
    return out;
  };
  for (const spec of specs) {
    const plan = planControl(spec, remembered[spec.name]);
    const role = `param-${spec.name}`;
    let w: ValueWidget<unknown>;
    let readout: HTMLElement | null = null;
    switch (plan.widget) {
      case 'slider': {
        const s = kit.slider(role, plan);
        readout = h('span', { class: 'readout', 'data-role': `${role}-value` }, formatStep(plan.value, plan.step));
        s.onChange((v) => void (readout!.textContent = formatStep(v, plan.step)));
        w = s as ValueWidget<unknown>;
        break;
      }
      case 'number':
        w = kit.numberField(role, plan) as ValueWidget<unknown>;
        break;
      case 'checkbox':
        w = kit.checkbox(role, { label: spec.label, checked: plan.value }) as ValueWidget<unknown>;
        break;
      case 'dropdown':
        w = kit.dropdown(role, { options: plan.options.map((o) => ({ value: o, label: o })), value: plan.value }) as ValueWidget<unknown>;
        break;
      case 'text':
        w = kit.textfield(role, { value: plan.value }) as ValueWidget<unknown>;
        break;
    }
    widgets.set(spec.name, w);
    w.onChange(() => onChange(values()));
    const label = plan.widget === 'checkbox' ? null : h('div', { class: 'row-label' }, h('span', { class: 'label', title: spec.help }, spec.label), readout);
    root.appendChild(h('div', { class: `row row-${plan.widget}`, title: spec.help }, label, w.el));
  }
  return {
    el: root,
    values,
    setDisabled: (d) => {
      for (const w of widgets.values()) w.setDisabled(d);
    },
  };
}
