/**
 * The host manifests, generated at build time so the daemon port and the
 * version come from one place: UXP manifest v5 (one per host; a `host` array
 * is dev-only and a .ccx targets one host), the CEP CSXS manifest for After
 * Effects 2024–2026, and the .debug file for CEP debug mode.
 */
import { DREAMLAYER_VERSION } from '../shared/src/version.ts';
import { DEFAULT_DAEMON_PORT } from '../shared/src/protocol/messages.ts';

export type UxpHost = 'premierepro' | 'aftereffects';

export const PLUGIN_IDS = {
  premierepro: 'com.dreamlayer.panel.premiere',
  aftereffects: 'com.dreamlayer.panel.aftereffects',
  cep: 'com.dreamlayer.panel.cep',
} as const;

/** minVersion per host: Premiere UXP is GA since 25.6; AE UXP members are all "Min Version 27.0" (beta). */
export const MIN_VERSIONS: Record<UxpHost, string> = { premierepro: '25.6.0', aftereffects: '27.0' };

/** CEP: After Effects 2024 (24.x) to 2026 (26.x); CSXS 11 manifests load in CEP 11 and 12. */
export const CEP_HOST_RANGE = '[24.0,26.9]';
export const CEP_DEBUG_PORT = 8092;

/** Exact loopback origins of the daemon (ws and http, IPv4 literal and localhost): no wildcards, no "all". */
export function networkDomains(port: number = DEFAULT_DAEMON_PORT): string[] {
  return [`ws://127.0.0.1:${port}`, `http://127.0.0.1:${port}`, `ws://localhost:${port}`, `http://localhost:${port}`];
}

const PANEL_SIZE = {
  minimumSize: { width: 230, height: 320 },
  maximumSize: { width: 2000, height: 4000 },
  preferredDockedSize: { width: 260, height: 640 },
  preferredFloatingSize: { width: 300, height: 720 },
};

export interface UxpManifest {
  manifestVersion: 5;
  id: string;
  name: string;
  version: string;
  main: string;
  host: { app: UxpHost; minVersion: string };
  entrypoints: {
    type: 'panel';
    id: string;
    label: { default: string };
    minimumSize: { width: number; height: number };
    maximumSize: { width: number; height: number };
    preferredDockedSize: { width: number; height: number };
    preferredFloatingSize: { width: number; height: number };
    icons: { width: number; height: number; path: string; scale: number[]; theme: string[] }[];
  }[];
  requiredPermissions: { network: { domains: string[] }; localFileSystem: 'fullAccess' };
  icons: { width: number; height: number; path: string; scale: number[]; theme: string[]; species: string[] }[];
}

export function uxpManifest(host: UxpHost, port: number = DEFAULT_DAEMON_PORT): UxpManifest {
  return {
    manifestVersion: 5,
    id: PLUGIN_IDS[host],
    name: 'DreamLayer',
    version: DREAMLAYER_VERSION,
    main: 'index.html',
    host: { app: host, minVersion: MIN_VERSIONS[host] },
    entrypoints: [
      {
        type: 'panel',
        id: 'dreamlayer.panel',
        label: { default: 'DreamLayer' },
        ...PANEL_SIZE,
        icons: [{ width: 23, height: 23, path: 'icons/panel.png', scale: [1, 2], theme: ['all'] }],
      },
    ],
    requiredPermissions: {
      network: { domains: networkDomains(port) },
      // Arbitrary native paths: the daemon's discovery file, the media, and the result folders to import.
      localFileSystem: 'fullAccess',
    },
    icons: [{ width: 48, height: 48, path: 'icons/plugin.png', scale: [1, 2], theme: ['all'], species: ['pluginList'] }],
  };
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function cepManifestXml(): string {
  const id = PLUGIN_IDS.cep;
  const v = xmlEscape(DREAMLAYER_VERSION);
  return `<?xml version="1.0" encoding="UTF-8"?>
<ExtensionManifest Version="11.0" ExtensionBundleId="${id}" ExtensionBundleVersion="${v}" ExtensionBundleName="DreamLayer" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <ExtensionList>
    <Extension Id="${id}.main" Version="${v}"/>
  </ExtensionList>
  <ExecutionEnvironment>
    <HostList>
      <Host Name="AEFT" Version="${CEP_HOST_RANGE}"/>
    </HostList>
    <LocaleList>
      <Locale Code="All"/>
    </LocaleList>
    <RequiredRuntimeList>
      <RequiredRuntime Name="CSXS" Version="11.0"/>
    </RequiredRuntimeList>
  </ExecutionEnvironment>
  <DispatchInfoList>
    <Extension Id="${id}.main">
      <DispatchInfo>
        <Resources>
          <MainPath>./index.html</MainPath>
          <ScriptPath>./jsx/dreamlayer-ae.jsx</ScriptPath>
        </Resources>
        <Lifecycle>
          <AutoVisible>true</AutoVisible>
        </Lifecycle>
        <UI>
          <Type>Panel</Type>
          <Menu>DreamLayer</Menu>
          <Geometry>
            <Size><Width>260</Width><Height>640</Height></Size>
            <MinSize><Width>230</Width><Height>320</Height></MinSize>
            <MaxSize><Width>2000</Width><Height>4000</Height></MaxSize>
          </Geometry>
          <Icons>
            <Icon Type="Normal">./icons/panel.png</Icon>
            <Icon Type="DarkNormal">./icons/panel.png</Icon>
          </Icons>
        </UI>
      </DispatchInfo>
    </Extension>
  </DispatchInfoList>
</ExtensionManifest>
`;
}

/** `.debug` beside CSXS/: lets an unsigned build load with PlayerDebugMode=1 and opens Chrome DevTools on the port. */
export function cepDebugXml(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<ExtensionList>
  <Extension Id="${PLUGIN_IDS.cep}.main">
    <HostList>
      <Host Name="AEFT" Port="${CEP_DEBUG_PORT}"/>
    </HostList>
  </Extension>
</ExtensionList>
`;
}
