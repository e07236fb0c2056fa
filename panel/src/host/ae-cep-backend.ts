/**
 * AeBackend through CEP: each call is one `evalScript` of a function from
 * panel/jsx/dreamlayer-ae.jsx (loaded by the CEP manifest's ScriptPath), with
 * the argument as a JSON literal and a JSON string back.
 */
import { AeBackendError, type AeBackend, type AeLayerKey, type AePlacePlan, type AePlaceResult, type AeRawLayer, type AeRawSelection, type AeRenderPlan } from './ae-backend.ts';

/** CSInterface.evalScript, promisified: runs ExtendScript, resolves with its result string. */
export type EvalScript = (script: string) => Promise<string>;

/** JSON as an ExtendScript literal: non-ASCII escaped, so the script text survives any host encoding. */
export function jsxLiteral(v: unknown): string {
  return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Wraps the CEP page's `window.__adobe_cep__.evalScript` (what CSInterface.evalScript calls). */
export function cepEvalScript(cep: { evalScript(script: string, cb: (result: string) => void): void }): EvalScript {
  return (script) => new Promise((resolve) => cep.evalScript(script, resolve));
}

export class AeCepBackend implements AeBackend {
  constructor(private readonly evalScript: EvalScript) {}

  private async call<T>(fn: string, arg?: unknown): Promise<T> {
    const text = await this.evalScript(arg === undefined ? `${fn}()` : `${fn}(${jsxLiteral(arg)})`);
    let out: unknown;
    try {
      out = JSON.parse(text);
    } catch {
      // 'EvalScript error.' is what CEP returns when the script threw or the function is not loaded.
      throw new AeBackendError(`the ExtendScript call ${fn} failed (${String(text).slice(0, 120)}); is dreamlayer-ae.jsx loaded?`);
    }
    if (out && typeof out === 'object' && 'error' in out) throw new AeBackendError(String((out as { error: unknown }).error));
    return out as T;
  }

  readSelection(): Promise<AeRawSelection> {
    return this.call<AeRawSelection>('dl_readSelection');
  }

  async readLayer(key: AeLayerKey): Promise<AeRawLayer | null> {
    return (await this.call<{ layer: AeRawLayer | null }>('dl_readLayer', key)).layer;
  }

  place(plan: AePlacePlan): Promise<AePlaceResult> {
    return this.call<AePlaceResult>('dl_place', plan);
  }

  async renderComp(plan: AeRenderPlan): Promise<void> {
    await this.call('dl_renderComp', plan);
  }

  /** Folders where the daemon's discovery file may live, as ExtendScript sees them. */
  userFolders(): Promise<{ userData: string | null; home: string; os: string }> {
    return this.call('dl_userFolders');
  }
}
