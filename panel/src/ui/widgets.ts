/**
 * One widget vocabulary, two renderings: Spectrum UXP elements (sp-button,
 * sp-slider, sp-dropdown + sp-menu, sp-checkbox, sp-textfield,
 * sp-progressbar) for UXP hosts, and plain HTML controls styled alike for
 * CEP and browsers. Every widget carries `data-role` so tests and CSS can
 * find it whichever rendering is used.
 */
import { h } from './dom.ts';

export interface ValueWidget<T> {
  el: HTMLElement;
  get(): T;
  set(v: T): void;
  onChange(fn: (v: T) => void): void;
  setDisabled(disabled: boolean): void;
}

export interface ButtonWidget {
  el: HTMLElement;
  setDisabled(disabled: boolean): void;
  setLabel(label: string): void;
}

export interface ProgressWidget {
  el: HTMLElement;
  /** value in 0..max; label under/over the bar. */
  set(value: number, max: number, label: string): void;
}

export interface Option {
  value: string;
  label: string;
}

export interface DropdownWidget extends ValueWidget<string> {
  setOptions(options: Option[], value?: string): void;
}

export type ButtonVariant = 'cta' | 'primary' | 'secondary' | 'warning';

export interface WidgetKit {
  button(role: string, label: string, variant: ButtonVariant, onClick: () => void): ButtonWidget;
  slider(role: string, o: { min: number; max: number; step: number; value: number }): ValueWidget<number>;
  numberField(role: string, o: { min: number; max: number; value: number }): ValueWidget<number>;
  checkbox(role: string, o: { label: string; checked: boolean }): ValueWidget<boolean>;
  dropdown(role: string, o: { options: Option[]; value: string }): DropdownWidget;
  textfield(role: string, o: { value: string; placeholder?: string; secret?: boolean }): ValueWidget<string>;
  progressbar(role: string): ProgressWidget;
}

type AnyEl = HTMLElement & { value?: unknown; checked?: boolean; selectedIndex?: number; disabled?: boolean };

function clampNumber(v: number, min: number, max: number, fallback: number): number {
  return Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : fallback;
}

/** Number formatting that shows steps like 0.05 without float noise. */
export function formatStep(v: number, step: number): string {
  const decimals = step >= 1 ? 0 : Math.min(6, Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)));
  return v.toFixed(decimals);
}

// ------------------------------------------------------------- Spectrum (UXP)

export const spectrumKit: WidgetKit = {
  button(role, label, variant, onClick) {
    const el = h('sp-button', { 'data-role': role, variant: variant === 'warning' ? 'warning' : variant, quiet: variant === 'secondary' }, label) as AnyEl;
    el.addEventListener('click', () => {
      if (!el.hasAttribute('disabled')) onClick();
    });
    return {
      el,
      setDisabled: (d) => (d ? el.setAttribute('disabled', '') : el.removeAttribute('disabled')),
      setLabel: (l) => void (el.textContent = l),
    };
  },
  slider(role, o) {
    const el = h('sp-slider', { 'data-role': role, min: o.min, max: o.max, step: o.step, value: o.value, 'show-value': 'false' }) as AnyEl;
    const get = (): number => clampNumber(Number(el.value ?? el.getAttribute('value')), o.min, o.max, o.value);
    return {
      el,
      get,
      set: (v) => {
        el.value = v;
        el.setAttribute('value', String(v));
      },
      onChange: (fn) => el.addEventListener('input', () => fn(get())),
      setDisabled: (d) => (d ? el.setAttribute('disabled', '') : el.removeAttribute('disabled')),
    };
  },
  numberField(role, o) {
    // sp-textfield type="number" is not in every UXP version: a text field parsed as an integer.
    const el = h('sp-textfield', { 'data-role': role, value: o.value, class: 'num' }) as AnyEl;
    const get = (): number => clampNumber(Math.round(Number(el.value ?? el.getAttribute('value'))), o.min, o.max, o.value);
    return {
      el,
      get,
      set: (v) => void (el.value = String(v)),
      onChange: (fn) => el.addEventListener('change', () => fn(get())),
      setDisabled: (d) => (d ? el.setAttribute('disabled', '') : el.removeAttribute('disabled')),
    };
  },
  checkbox(role, o) {
    const el = h('sp-checkbox', { 'data-role': role, checked: o.checked }, o.label) as AnyEl;
    const get = (): boolean => !!(el.checked ?? el.hasAttribute('checked'));
    return {
      el,
      get,
      set: (v) => {
        el.checked = v;
        if (v) el.setAttribute('checked', '');
        else el.removeAttribute('checked');
      },
      onChange: (fn) => el.addEventListener('change', () => fn(get())),
      setDisabled: (d) => (d ? el.setAttribute('disabled', '') : el.removeAttribute('disabled')),
    };
  },
  dropdown(role, o) {
    // UXP has sp-dropdown (no sp-picker); it needs an explicit width (panel.css).
    const el = h('sp-dropdown', { 'data-role': role }) as AnyEl;
    let options: Option[] = [];
    let current = o.value;
    const render = (): void => {
      while (el.firstChild) el.removeChild(el.firstChild);
      const menu = h('sp-menu', { slot: 'options' });
      for (const opt of options) menu.appendChild(h('sp-menu-item', { value: opt.value, selected: opt.value === current }, opt.label));
      el.appendChild(menu);
    };
    const w: DropdownWidget = {
      el,
      get: () => current,
      set: (v) => {
        current = v;
        render();
      },
      onChange: (fn) =>
        el.addEventListener('change', () => {
          const i = Number(el.selectedIndex ?? -1);
          if (i >= 0 && options[i]) current = options[i]!.value;
          fn(current);
        }),
      setDisabled: (d) => (d ? el.setAttribute('disabled', '') : el.removeAttribute('disabled')),
      setOptions: (opts, value) => {
        options = opts;
        current = value ?? (opts.some((x) => x.value === current) ? current : (opts[0]?.value ?? ''));
        render();
      },
    };
    w.setOptions(o.options, o.value);
    return w;
  },
  textfield(role, o) {
    const el = h('sp-textfield', { 'data-role': role, value: o.value, placeholder: o.placeholder, type: o.secret ? 'password' : undefined }) as AnyEl;
    const get = (): string => String(el.value ?? '');
    return {
      el,
      get,
      set: (v) => void (el.value = v),
      onChange: (fn) => el.addEventListener('input', () => fn(get())),
      setDisabled: (d) => (d ? el.setAttribute('disabled', '') : el.removeAttribute('disabled')),
    };
  },
  progressbar(role) {
    const label = h('sp-label', { slot: 'label' });
    const el = h('sp-progressbar', { 'data-role': role, max: 100, value: 0 }, label) as AnyEl;
    return {
      el,
      set: (value, max, text) => {
        el.setAttribute('max', String(max || 1));
        el.setAttribute('value', String(value));
        el.value = value;
        label.textContent = text;
      },
    };
  },
};

// ------------------------------------------------------------- plain HTML

export const htmlKit: WidgetKit = {
  button(role, label, variant, onClick) {
    const el = h('button', { 'data-role': role, class: `btn btn-${variant}`, type: 'button' }, label) as HTMLButtonElement;
    el.addEventListener('click', () => onClick());
    return { el, setDisabled: (d) => void (el.disabled = d), setLabel: (l) => void (el.textContent = l) };
  },
  slider(role, o) {
    const input = h('input', { type: 'range', min: o.min, max: o.max, step: o.step, value: o.value, 'data-role': role }) as HTMLInputElement;
    const get = (): number => clampNumber(Number(input.value), o.min, o.max, o.value);
    return {
      el: input,
      get,
      set: (v) => void (input.value = String(v)),
      onChange: (fn) => input.addEventListener('input', () => fn(get())),
      setDisabled: (d) => void (input.disabled = d),
    };
  },
  numberField(role, o) {
    const input = h('input', { type: 'number', min: o.min, max: o.max, step: 1, value: o.value, 'data-role': role, class: 'num' }) as HTMLInputElement;
    const get = (): number => clampNumber(Math.round(Number(input.value)), o.min, o.max, o.value);
    return {
      el: input,
      get,
      set: (v) => void (input.value = String(v)),
      onChange: (fn) => input.addEventListener('change', () => fn(get())),
      setDisabled: (d) => void (input.disabled = d),
    };
  },
  checkbox(role, o) {
    const input = h('input', { type: 'checkbox', 'data-role': role }) as HTMLInputElement;
    input.checked = o.checked;
    const el = h('label', { class: 'check' }, input, o.label);
    return {
      el,
      get: () => input.checked,
      set: (v) => void (input.checked = v),
      onChange: (fn) => input.addEventListener('change', () => fn(input.checked)),
      setDisabled: (d) => void (input.disabled = d),
    };
  },
  dropdown(role, o) {
    const sel = h('select', { 'data-role': role }) as HTMLSelectElement;
    const w: DropdownWidget = {
      el: sel,
      get: () => sel.value,
      set: (v) => void (sel.value = v),
      onChange: (fn) => sel.addEventListener('change', () => fn(sel.value)),
      setDisabled: (d) => void (sel.disabled = d),
      setOptions: (opts, value) => {
        const keep = value ?? sel.value;
        while (sel.firstChild) sel.removeChild(sel.firstChild);
        for (const opt of opts) sel.appendChild(h('option', { value: opt.value }, opt.label));
        sel.value = opts.some((x) => x.value === keep) ? keep : (opts[0]?.value ?? '');
      },
    };
    w.setOptions(o.options, o.value);
    return w;
  },
  textfield(role, o) {
    const input = h('input', { type: o.secret ? 'password' : 'text', value: o.value, placeholder: o.placeholder, 'data-role': role, spellcheck: 'false', autocomplete: 'off' }) as HTMLInputElement;
    return {
      el: input,
      get: () => input.value,
      set: (v) => void (input.value = v),
      onChange: (fn) => input.addEventListener('input', () => fn(input.value)),
      setDisabled: (d) => void (input.disabled = d),
    };
  },
  progressbar(role) {
    const bar = h('div', { class: 'progress-fill' });
    const label = h('div', { class: 'progress-label' });
    const el = h('div', { class: 'progress', 'data-role': role, role: 'progressbar', 'aria-valuemin': 0 }, h('div', { class: 'progress-track' }, bar), label);
    return {
      el,
      set: (value, max, text) => {
        const pct = max > 0 ? Math.max(0, Math.min(100, (value / max) * 100)) : 0;
        bar.style.width = `${pct.toFixed(1)}%`;
        el.setAttribute('aria-valuenow', String(value));
        el.setAttribute('aria-valuemax', String(max));
        label.textContent = text;
      },
    };
  },
};
