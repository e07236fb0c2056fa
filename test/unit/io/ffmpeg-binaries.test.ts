import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  compareFfmpegVersions,
  detectFfmpeg,
  findOnPath,
  hasDecoder,
  hasEncoder,
  parseCapabilityList,
  parseFfmpegVersion,
  resetFfmpegCache,
  resolveFfmpeg,
} from '../../../daemon/src/io/ffmpeg-binaries.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { tempDir } from './fixtures.ts';

const RELEASE = `ffmpeg version 6.1.1-3ubuntu5 Copyright (c) 2000-2023 the FFmpeg developers
built with gcc 13 (Ubuntu 13.2.0-23ubuntu3)
libavutil      58. 29.100 / 58. 29.100
libavcodec     60. 31.102 / 60. 31.102
`;
const SNAPSHOT = `ffmpeg version N-47683-g0e8eb07980-static https://johnvansickle.com/ffmpeg/  Copyright (c) 2000-2018 the FFmpeg developers
libavutil      56. 24.101 / 56. 24.101
libavcodec     58. 42.100 / 58. 42.100
`;

describe('ffmpeg version parsing', () => {
  it('reads labels, release numbers and libavcodec versions', () => {
    const r = parseFfmpegVersion(RELEASE)!;
    expect(r.label).toBe('6.1.1-3ubuntu5');
    expect(r.release).toEqual([6, 1, 1]);
    expect(r.libavcodec).toEqual([60, 31, 102]);
    const s = parseFfmpegVersion(SNAPSHOT)!;
    expect(s.label).toBe('N-47683-g0e8eb07980-static');
    expect(s.release).toBeUndefined();
    expect(s.libavcodec).toEqual([58, 42, 100]);
    expect(parseFfmpegVersion('bash: ffmpeg: command not found')).toBeUndefined();
  });

  it('orders a release against a git snapshot by libavcodec', () => {
    const r = parseFfmpegVersion(RELEASE)!;
    const s = parseFfmpegVersion(SNAPSHOT)!;
    expect(compareFfmpegVersions(r, s)).toBe(1);
    expect(compareFfmpegVersions(s, r)).toBe(-1);
    expect(compareFfmpegVersions(s, s)).toBe(0);
    expect(compareFfmpegVersions({ label: '4.4', release: [4, 4] }, { label: '4.3.2', release: [4, 3, 2] })).toBe(1);
  });

  it('parses -encoders / -decoders listings including "(codec x)" aliases', () => {
    const text = ` V..... = Video\n ------\n V....D libaom-av1           libaom AV1 (codec av1)\n VFS..D h264                 H.264 / AVC\n A....D aac                  AAC\n`;
    const set = parseCapabilityList(text, 'decoders');
    expect([...set].sort()).toEqual(['aac', 'av1', 'h264', 'libaom-av1']);
  });
});

describe('binary resolution', () => {
  afterEach(() => resetFfmpegCache());

  it('resolves working ffmpeg and ffprobe binaries (cached)', () => {
    const b = resolveFfmpeg();
    expect(fs.existsSync(b.ffmpeg)).toBe(true);
    expect(fs.existsSync(b.ffprobe)).toBe(true);
    expect(['system', 'bundled']).toContain(b.source);
    expect(b.version.length).toBeGreaterThan(0);
    expect(resolveFfmpeg()).toBe(b);
  });

  it('knows its encoders and decoders', () => {
    expect(hasEncoder('libx264')).toBe(true);
    expect(hasEncoder('prores_ks')).toBe(true);
    expect(hasEncoder('h264')).toBe(true); // codec id of libx264
    expect(hasEncoder('no-such-encoder')).toBe(false);
    expect(hasDecoder('h264')).toBe(true);
    expect(hasDecoder('no-such-codec')).toBe(false);
  });

  it('honours DREAMLAYER_FFMPEG / DREAMLAYER_FFPROBE', () => {
    const real = resolveFfmpeg();
    const b = detectFfmpeg({ PATH: '', DREAMLAYER_FFMPEG: real.ffmpeg, DREAMLAYER_FFPROBE: real.ffprobe });
    expect(b.ffmpeg).toBe(real.ffmpeg);
    expect(b.ffprobe).toBe(real.ffprobe);
    expect(b.source).toBe('system');
  });

  it('refuses an override that does not run, naming the variable', () => {
    try {
      detectFfmpeg({ PATH: '', DREAMLAYER_FFMPEG: '/nonexistent/ffmpeg' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DreamLayerError);
      expect((e as DreamLayerError).code).toBe('FFMPEG_FAILED');
      expect((e as DreamLayerError).message).toContain('DREAMLAYER_FFMPEG');
    }
  });

  it.skipIf(process.platform === 'win32')('prefers a PATH ffmpeg only when it is newer than the bundled one', () => {
    const bundled = detectFfmpeg({ PATH: '' });
    // the bundled build's own -version text decides what "newer" means
    const bundledAvc = parseFfmpegVersion(execFileSync(bundled.ffmpeg, ['-version'], { encoding: 'utf8' }))!.libavcodec!;
    const fake = (dir: string, major: number) => {
      fs.mkdirSync(dir, { recursive: true });
      for (const name of ['ffmpeg', 'ffprobe']) {
        const f = path.join(dir, name);
        fs.writeFileSync(f, `#!/bin/sh\necho "${name} version 99.0-fake"\necho "libavcodec     ${major}.  0.100 / ${major}.  0.100"\n`);
        fs.chmodSync(f, 0o755);
      }
    };
    const d = tempDir('bins');
    fake(path.join(d, 'new'), bundledAvc[0] + 1);
    fake(path.join(d, 'old'), bundledAvc[0] - 1);
    expect(findOnPath('ffmpeg', path.join(d, 'new'))).toBe(path.join(d, 'new', 'ffmpeg'));
    const withNew = detectFfmpeg({ PATH: path.join(d, 'new') });
    expect(withNew.source).toBe('system');
    expect(withNew.ffmpeg).toBe(path.join(d, 'new', 'ffmpeg'));
    expect(withNew.version).toBe('99.0-fake');
    const withOld = detectFfmpeg({ PATH: path.join(d, 'old') });
    expect(withOld.source).toBe('bundled');
    expect(withOld.ffmpeg).toBe(bundled.ffmpeg);
  });

  it('searches PATH with Windows extensions', () => {
    const d = tempDir('pathext');
    fs.writeFileSync(path.join(d, 'ffmpeg.EXE'), '');
    expect(findOnPath('ffmpeg', d, 'win32', '.COM;.EXE')).toBe(path.join(d, 'ffmpeg.EXE'));
    expect(findOnPath('ffmpeg', d, 'win32', '.COM')).toBeUndefined();
  });
});
