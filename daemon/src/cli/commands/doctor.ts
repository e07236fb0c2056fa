/** `dreamlayer doctor`: what this machine will run with (ffmpeg, execution providers), for bug reports and set-up checks. */
import type { Command } from 'commander';
import { resolveFfmpeg } from '../../io/ffmpeg-binaries.ts';
import { availableProviders, providerCandidates } from '../../runtime/providers.ts';
import { DREAMLAYER_VERSION } from '../../../../shared/src/version.ts';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Show the ffmpeg and the compute devices DreamLayer will use')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const ff = resolveFfmpeg();
      const report = {
        version: DREAMLAYER_VERSION,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        ffmpeg: { path: ff.ffmpeg, source: ff.source, version: ff.version, ffprobe: ff.ffprobe },
        providers: availableProviders(),
        autoOrder: providerCandidates('auto'),
      };
      if (opts.json) {
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      console.log(`DreamLayer ${report.version} on Node ${report.node} (${report.platform})`);
      console.log(`ffmpeg: ${ff.version} (${ff.source}) ${ff.ffmpeg}`);
      console.log(`ffprobe: ${ff.ffprobe}`);
      for (const p of report.providers) console.log(`provider ${p.name}: ${p.installed ? 'available' : p.bundled ? 'bundled, not loadable' : 'not installed'}`);
      console.log(`--device auto tries: ${report.autoOrder.join(' → ')}`);
    });
}
