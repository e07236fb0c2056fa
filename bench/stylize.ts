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
  // Per-frame and temporal runs alternate (A B B A) so a change in the machine's load hits both alike.
  const per1 = await runChild('bench/stylize-child.ts', ['--frames', '48', '--temporal', '0']);
  const tem1 = await runChild('bench/stylize-child.ts', ['--frames', '48', '--temporal', '0.8']);
  const tem2 = await runChild('bench/stylize-child.ts', ['--frames', '48', '--temporal', '0.8']);
  const per2 = await runChild('bench/stylize-child.ts', ['--frames', '48', '--temporal', '0']);
  const perSec = 48 / per1.e2eFps + 48 / per2.e2eFps;
  const temSec = 48 / tem1.e2eFps + 48 / tem2.e2eFps;
  console.log(`temporal mode (default 0.8) vs per-frame, ABBA over 2×48 frames: ${fmt(96 / temSec)} fps vs ${fmt(96 / perSec)} fps, cost ${fmt(temSec / perSec)}x (target <= 1.5)`);
}
