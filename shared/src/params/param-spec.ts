/**
 * Effect parameters are declared once, here in shared/, as data: the daemon
 * validates with them and the panel builds its controls from them, so a new
 * effect or parameter needs no panel change.
 */
export type ParamSpec =
  | { name: string; label: string; help: string; type: 'number'; min: number; max: number; step?: number; default: number; cli?: string }
  | { name: string; label: string; help: string; type: 'integer'; min: number; max: number; default: number; cli?: string }
  | { name: string; label: string; help: string; type: 'boolean'; default: boolean; cli?: string }
  | { name: string; label: string; help: string; type: 'enum'; options: readonly string[]; default: string; cli?: string }
  | { name: string; label: string; help: string; type: 'string'; default: string; cli?: string; /** A file the effect reads: the daemon confines it like the input path. */ isPath?: boolean };

export interface EffectDescriptor {
  name: string;
  title: string;
  description: string;
  /** Model task this effect needs from the catalog (null: no model). */
  task: string | null;
  defaultModel: string | null;
  /** Output formats the effect can write. */
  formats: readonly string[];
  params: readonly ParamSpec[];
}

/** Fills defaults and checks ranges; returns the full parameter set or a list of problems. */
export function resolveParams(specs: readonly ParamSpec[], given: Record<string, unknown>): { ok: true; params: Record<string, unknown> } | { ok: false; problems: string[] } {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  const known = new Set(specs.map((s) => s.name));
  for (const key of Object.keys(given)) if (!known.has(key)) problems.push(`unknown parameter "${key}" (known: ${[...known].join(', ')})`);
  for (const s of specs) {
    const v = given[s.name];
    if (v === undefined || v === null) {
      out[s.name] = s.default;
      continue;
    }
    switch (s.type) {
      case 'number':
      case 'integer':
        if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${s.name} must be a number, got ${JSON.stringify(v)}`);
        else if (s.type === 'integer' && !Number.isInteger(v)) problems.push(`${s.name} must be an integer, got ${v}`);
        else if (v < s.min || v > s.max) problems.push(`${s.name} must be between ${s.min} and ${s.max}, got ${v}`);
        else out[s.name] = v;
        break;
      case 'boolean':
        if (typeof v !== 'boolean') problems.push(`${s.name} must be true or false, got ${JSON.stringify(v)}`);
        else out[s.name] = v;
        break;
      case 'enum':
        if (typeof v !== 'string' || !s.options.includes(v)) problems.push(`${s.name} must be one of ${s.options.join(', ')}, got ${JSON.stringify(v)}`);
        else out[s.name] = v;
        break;
      case 'string':
        if (typeof v !== 'string') problems.push(`${s.name} must be text, got ${JSON.stringify(v)}`);
        else out[s.name] = v;
        break;
    }
  }
  return problems.length ? { ok: false, problems } : { ok: true, params: out };
}
