import { defineConfig } from 'vitest/config';

// Tests run real ffmpeg and onnxruntime on 2 cores: keep files in separate
// processes but limit parallelism so timings stay sane on CI.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default'],
  },
});
