/**
 * Checks the panel manifests against the documented keys (host-apis.md §1,
 * Adobe's UXP manifest v5 reference, the CEP CSXS manifest) and our policy:
 * exact loopback origins only, fullAccess for native paths, one host per UXP
 * manifest. Returns problems in words; an empty list means valid.
 */
import type { UxpHost } from './manifests.ts';

const TOP_KEYS = new Set(['manifestVersion', 'id', 'name', 'version', 'main', 'host', 'entrypoints', 'requiredPermissions', 'icons', 'featureFlags', 'addon', 'strings']);
const ENTRY_KEYS = new Set(['type', 'id', 'label', 'minimumSize', 'maximumSize', 'preferredDockedSize', 'preferredFloatingSize', 'icons']);
const PERMISSION_KEYS = new Set(['network', 'localFileSystem', 'launchProcess', 'clipboard', 'webview', 'ipc', 'enableAddon', 'allowCodeGenerationFromStrings']);
const FS_VALUES = new Set(['plugin', 'request', 'fullAccess']);
const MIN: Record<UxpHost, string> = { premierepro: '25.6.0', aftereffects: '27.0' };

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isSize = (v: unknown): boolean => isObj(v) && typeof v.width === 'number' && typeof v.height === 'number' && v.width > 0 && v.height > 0;

function versionAtLeast(v: string, min: string): boolean {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** Problems of one UXP manifest v5 for `host`; `files` (optional) says whether a referenced file exists. */
export function checkUxpManifest(m: unknown, host: UxpHost, opts: { port?: number; fileExists?: (rel: string) => boolean } = {}): string[] {
  const p: string[] = [];
  if (!isObj(m)) return ['the manifest is not a JSON object'];
  for (const k of Object.keys(m)) if (!TOP_KEYS.has(k)) p.push(`unknown top-level key "${k}"`);
  if (m.manifestVersion !== 5) p.push('manifestVersion must be 5');
  for (const k of ['id', 'name', 'version', 'main'] as const) if (typeof m[k] !== 'string' || !(m[k] as string).length) p.push(`"${k}" is required (a string)`);
  if (typeof m.version === 'string' && !/^\d+\.\d+\.\d+$/.test(m.version)) p.push('version must be x.y.z');
  if (Array.isArray(m.host)) p.push('host must be one object: a host array is dev-only and a .ccx targets one host');
  else if (!isObj(m.host)) p.push('host is required');
  else {
    if (m.host.app !== host) p.push(`host.app must be "${host}" (got ${JSON.stringify(m.host.app)})`);
    if (typeof m.host.minVersion !== 'string' || !versionAtLeast(m.host.minVersion, MIN[host])) p.push(`host.minVersion must be at least ${MIN[host]}`);
  }
  if (!Array.isArray(m.entrypoints) || m.entrypoints.length === 0) p.push('entrypoints must list at least one entry');
  else
    m.entrypoints.forEach((e, i) => {
      if (!isObj(e)) return void p.push(`entrypoints[${i}] is not an object`);
      for (const k of Object.keys(e)) if (!ENTRY_KEYS.has(k)) p.push(`entrypoints[${i}]: unknown key "${k}"`);
      if (e.type !== 'panel') p.push(`entrypoints[${i}].type must be "panel"`);
      if (typeof e.id !== 'string' || !e.id) p.push(`entrypoints[${i}].id is required`);
      if (!isObj(e.label) || typeof e.label.default !== 'string') p.push(`entrypoints[${i}].label.default is required`);
      for (const k of ['minimumSize', 'maximumSize', 'preferredDockedSize', 'preferredFloatingSize']) if (!isSize(e[k])) p.push(`entrypoints[${i}].${k} needs width and height`);
      if (isSize(e.preferredDockedSize) && (e.preferredDockedSize as { width: number }).width > 300) p.push(`entrypoints[${i}].preferredDockedSize is wider than a docked panel`);
      if (!Array.isArray(e.icons) || e.icons.length === 0) p.push(`entrypoints[${i}].icons are required`);
    });
  const perms = m.requiredPermissions;
  if (!isObj(perms)) p.push('requiredPermissions is required (network and localFileSystem)');
  else {
    for (const k of Object.keys(perms)) if (!PERMISSION_KEYS.has(k)) p.push(`requiredPermissions: unknown key "${k}"`);
    const net = perms.network;
    if (!isObj(net)) p.push('requiredPermissions.network is required');
    else if (net.domains === 'all') p.push('network.domains is "all": list the daemon\'s exact loopback origins instead');
    else if (!Array.isArray(net.domains)) p.push('network.domains must be an array of origins (or the bare string "all")');
    else {
      for (const d of net.domains) {
        if (d === 'all' || d === '*') p.push(`network.domains holds ${JSON.stringify(d)} inside an array, which silently denies everything`);
        else if (typeof d !== 'string' || !/^(wss?|https?):\/\/[^/\s*]+(:\d+)?$/.test(d)) p.push(`network.domains entry ${JSON.stringify(d)} is not a scheme://host[:port] origin without wildcards`);
        else if (!/^(wss?|https?):\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(d)) p.push(`network.domains entry ${d} is not a loopback origin`);
      }
      if (opts.port !== undefined) {
        for (const scheme of ['ws', 'http']) {
          const want = `${scheme}://127.0.0.1:${opts.port}`;
          if (!net.domains.includes(want)) p.push(`network.domains lacks ${want}`);
        }
      }
    }
    if (!FS_VALUES.has(perms.localFileSystem as string)) p.push('requiredPermissions.localFileSystem must be plugin, request or fullAccess');
    else if (perms.localFileSystem !== 'fullAccess') p.push('localFileSystem must be "fullAccess" (the panel reads daemon.json and imports results from arbitrary folders)');
  }
  if (opts.fileExists) {
    const refs = [m.main, ...(Array.isArray(m.icons) ? m.icons.map((i) => (isObj(i) ? i.path : null)) : [])];
    if (Array.isArray(m.entrypoints)) for (const e of m.entrypoints) if (isObj(e) && Array.isArray(e.icons)) for (const i of e.icons) if (isObj(i)) refs.push(i.path);
    for (const r of refs) if (typeof r === 'string' && !opts.fileExists(r)) p.push(`referenced file ${r} is missing`);
  }
  return p;
}

const attr = (xml: string, tag: string, name: string): string[] => {
  const out: string[] = [];
  const re = new RegExp(`<${tag}\\b[^>]*\\b${name}="([^"]*)"`, 'g');
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(m[1]!);
  return out;
};
const text = (xml: string, tag: string): string | null => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1]?.trim() ?? null;

/** Problems of the CEP manifest.xml and .debug for After Effects 2024–2026. */
export function checkCepManifest(xml: string, debugXml: string | null, opts: { fileExists?: (rel: string) => boolean } = {}): string[] {
  const p: string[] = [];
  if (!/^<\?xml[^>]*\?>\s*<ExtensionManifest\b/.test(xml)) p.push('manifest.xml must start with an XML declaration and <ExtensionManifest>');
  const ver = attr(xml, 'ExtensionManifest', 'Version')[0];
  if (!ver || !['11.0', '12.0'].includes(ver)) p.push('ExtensionManifest Version must be 11.0 or 12.0');
  const bundle = attr(xml, 'ExtensionManifest', 'ExtensionBundleId')[0];
  if (!bundle) p.push('ExtensionBundleId is required');
  const listed = attr(xml, 'Extension', 'Id');
  const ids = [...new Set(listed)];
  if (ids.length !== 1) p.push(`exactly one extension id expected in ExtensionList and DispatchInfoList (got ${ids.join(', ') || 'none'})`);
  if (bundle && ids[0] && !ids[0].startsWith(bundle)) p.push('the extension id must start with the bundle id');
  const hosts = attr(xml, 'Host', 'Name');
  if (!hosts.includes('AEFT')) p.push('HostList must include AEFT (After Effects)');
  const range = attr(xml, 'Host', 'Version')[0] ?? '';
  const m = /^\[(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)\]$/.exec(range);
  if (!m) p.push(`Host Version must be a range like [24.0,26.9] (got ${JSON.stringify(range)})`);
  else if (Number(m[1]) > 24 || Number(m[2]) < 26) p.push(`Host Version ${range} must cover After Effects 2024 (24) to 2026 (26)`);
  const csxs = attr(xml, 'RequiredRuntime', 'Version')[0];
  if (!attr(xml, 'RequiredRuntime', 'Name').includes('CSXS') || !csxs || !['11.0', '12.0'].includes(csxs)) p.push('RequiredRuntime CSXS 11.0 or 12.0 is required');
  const main = text(xml, 'MainPath');
  const script = text(xml, 'ScriptPath');
  if (!main) p.push('MainPath is required');
  if (!script) p.push('ScriptPath is required (the ExtendScript the panel calls)');
  if (text(xml, 'Type') !== 'Panel') p.push('UI Type must be Panel');
  if (!/<Geometry>[\s\S]*<Width>\d+<\/Width>[\s\S]*<\/Geometry>/.test(xml)) p.push('Geometry with a Size is required');
  if (opts.fileExists) for (const f of [main, script]) if (f && !opts.fileExists(f.replace(/^\.\//, ''))) p.push(`referenced file ${f} is missing`);
  if (debugXml !== null) {
    const dbgIds = attr(debugXml, 'Extension', 'Id');
    if (!ids[0] || !dbgIds.includes(ids[0])) p.push('.debug must name the same extension id');
    if (!/<Host Name="AEFT" Port="\d{4,5}"\/>/.test(debugXml)) p.push('.debug must give AEFT a debug port');
  }
  return p;
}
