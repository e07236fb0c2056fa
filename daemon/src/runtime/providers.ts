/**
 * Execution-provider choice. `--device auto` tries the platform's GPU providers
 * that are actually installed, in order, and always ends with CPU; an explicit
 * device that cannot load falls back to CPU unless `strict` is asked. The
 * provider that really ran is reported back (result.json, welcome message).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ort } from './ort.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';

export const DEVICES = ['auto', 'cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as const;
export type Device = (typeof DEVICES)[number];
export type Provider = Exclude<Device, 'auto'>;

export interface ProviderStatus {
  name: Provider;
  /** The provider's code ships with onnxruntime-node on this platform. */
  bundled: boolean;
  /** Its runtime libraries are present (CUDA/TensorRT need an extra install). */
  installed: boolean;
}

export function parseDevice(value: string): Device {
  if ((DEVICES as readonly string[]).includes(value)) return value as Device;
  throw new DreamLayerError('PARAM_INVALID', {
    stage: 'validate',
    message: `Unknown device "${value}".`,
    hint: `Use one of: ${DEVICES.join(', ')}.`,
  });
}

function ortBinaryDir(): string | null {
  try {
    const req = createRequire(import.meta.url);
    const pkg = path.dirname(req.resolve('onnxruntime-node/package.json'));
    return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

function cudaLibsPresent(): boolean {
  const dir = ortBinaryDir();
  if (!dir) return false;
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(path.join(dir, lib));
}

/** WebGPU runs on Vulkan on Linux: without a Vulkan loader it cannot start (Windows/macOS ship D3D12/Metal). */
function webgpuBackendPresent(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  return dirs.some((d) => existsSync(path.join(d, 'libvulkan.so.1')));
}

let cached: ProviderStatus[] | null = null;

/** Providers onnxruntime-node knows on this platform, and whether each can load. */
export function availableProviders(): ProviderStatus[] {
  if (cached) return cached;
  const listed = new Map<string, boolean>();
  for (const b of ort.listSupportedBackends()) listed.set(b.name, b.bundled);
  const out: ProviderStatus[] = [];
  for (const name of ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as Provider[]) {
    if (!listed.has(name)) continue;
    const bundled = listed.get(name) ?? false;
    const installed = name === 'cuda' || name === 'tensorrt' ? cudaLibsPresent() : name === 'webgpu' ? bundled && webgpuBackendPresent() : bundled;
    out.push({ name, bundled, installed });
  }
  cached = out;
  return out;
}

/** Providers to try, best first; CPU always last. */
export function providerCandidates(device: Device): Provider[] {
  const avail = new Map(availableProviders().map((p) => [p.name, p]));
  if (device !== 'auto') return device === 'cpu' ? ['cpu'] : [device, 'cpu'];
  const order: Provider[] = [];
  const gpu: Provider[] =
    process.platform === 'win32' ? ['cuda', 'dml'] : process.platform === 'darwin' ? ['coreml'] : ['cuda'];
  for (const p of gpu) if (avail.get(p)?.installed) order.push(p);
  // WebGPU is opt-in under auto: its Vulkan/Metal/D3D path is still young.
  if (process.env.DREAMLAYER_WEBGPU === '1' && avail.get('webgpu')?.installed) order.push('webgpu');
  order.push('cpu');
  return order;
}
