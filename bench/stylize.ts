/**
 * Engine benchmark (issue 2): per-frame stylize with a real style model at 640×360
 * on a real clip. Reports end-to-end frames/s vs bare session.run frames/s on the
 * same frames (target ratio ≥ 0.85) and peak RSS for 60 vs 240 frames (target:
 * within 15%). Temporal mode cost vs per-frame (issue 4, target ≤ 1.5×).
 */
import { fmt, runChild } from './_util.ts';

export async function main(): Promise<void> {
  const short = await runChild('bench/stylize-child.ts', ['--frames', '60', '--bare']);
  console.log(`60 frames @640x360 mosaic: end-to-end ${fmt(short.e2eFps)} fps, bare session.run ${fmt(short.bareFps)} fps, ratio ${fmt(short.e2eFps / short.bareFps)} (target >= 0.85)`);
  const long = await runChild('bench/stylize-child.ts', ['--frames', '240']);
  const shortRss = await runChild('bench/stylize-child.ts', ['--frames', '60']);
  console.log(`peak RSS: 60 frames ${fmt(shortRss.peakRssMiB, 0)} MiB, 240 frames ${fmt(long.peakRssMiB, 0)} MiB, ratio ${fmt(long.peakRssMiB / shortRss.peakRssMiB, 3)} (target <= 1.15)`);
  const temporal = await runChild('bench/stylize-child.ts', ['--frames', '60', '--temporal', '0.8']);
  console.log(`temporal mode: ${fmt(temporal.e2eFps)} fps vs per-frame ${fmt(shortRss.e2eFps)} fps, cost ${fmt(shortRss.e2eFps / temporal.e2eFps)}x (target <= 1.5)`);
}
