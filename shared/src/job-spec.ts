/**
 * A job is self-contained: effect, parameters, model, an explicit source frame
 * range and an output. The CLI, the daemon and recipe files all produce this
 * one shape, so a job can be resumed, re-run elsewhere, or split across machines.
 */
import { z } from 'zod';

export const FrameRangeSchema = z.object({
  first: z.number().int().min(0),
  last: z.number().int().min(0),
});
export type FrameRange = z.infer<typeof FrameRangeSchema>;

export const InputSpecSchema = z.object({
  /** A video file, a still image, or an image sequence (folder or printf pattern). */
  path: z.string().min(1).max(4096),
  /** 0-based source frame indices, both ends included; absent = whole clip. */
  frames: FrameRangeSchema.optional(),
  /** Frame rate of an image-sequence input (frames/s; default 24). Video files carry their own. */
  fps: z.number().positive().max(1000).optional(),
});
export type InputSpec = z.infer<typeof InputSpecSchema>;

export const OUTPUT_FORMATS = ['png', 'mp4', 'h265', 'prores', 'exr'] as const;
export const OutputSpecSchema = z.object({
  /** Result folder (holds result.json and the frames or the movie). */
  dir: z.string().min(1).max(4096),
  format: z.enum(OUTPUT_FORMATS).default('png'),
  /** Movie quality (x264/x265 CRF). */
  crf: z.number().int().min(0).max(51).optional(),
  /** Keep the PNG frames of a movie output (they are the resume checkpoint either way). */
  keepFrames: z.boolean().optional(),
  /** File name of a movie output inside `dir` (default output.mp4 / output.mov). */
  movieName: z.string().min(1).max(255).regex(/^[^/\\]+$/, 'a file name, not a path').optional(),
  /** Bit depth of PNG frames where the effect offers a choice (depth maps: 16). */
  bits: z.union([z.literal(8), z.literal(16)]).optional(),
});
export type OutputSpec = z.infer<typeof OutputSpecSchema>;

export const StepSpecSchema = z.object({
  effect: z.string().min(1).max(64),
  params: z.record(z.string(), z.unknown()).default({}),
  model: z.string().max(4096).optional(),
});
export type StepSpec = z.infer<typeof StepSpecSchema>;

export const JobSpecSchema = z.object({
  effect: z.string().min(1).max(64),
  params: z.record(z.string(), z.unknown()).default({}),
  /** Catalog id or a path to an .onnx file; absent = the effect's default. */
  model: z.string().max(4096).optional(),
  device: z.enum(['auto', 'cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu']).default('auto'),
  input: InputSpecSchema,
  output: OutputSpecSchema,
  /** Further effects applied to each frame after the first (e.g. upscale), in one streaming pass. */
  then: z.array(StepSpecSchema).max(8).default([]),
});
export type JobSpec = z.infer<typeof JobSpecSchema>;
export type JobSpecInput = z.input<typeof JobSpecSchema>;

export interface ProgressInfo {
  /** Frames finished (including those found already finished on resume). */
  done: number;
  total: number;
  /** Frames per second over the recent window. */
  fps: number;
  /** Seconds left, null until measurable. */
  etaSeconds: number | null;
  stage: string;
  /** Source index of the last finished frame. */
  frame: number | null;
}

/** result.json, written into every result folder. */
export interface ResultRecord {
  effect: string;
  chain: string[];
  input: string;
  model: { id: string; path: string; sha256: string } | null;
  device: string;
  fps: number;
  fpsRational: string;
  width: number;
  height: number;
  frames: { first: number; last: number; count: number };
  /** printf-style pattern of the frame files, relative to the result folder, numbered by source frame index. */
  pattern: string | null;
  /** The movie file, relative to the result folder, for mp4/h265/prores outputs. */
  movie: string | null;
  params: Record<string, unknown>;
  timing: { seconds: number; framesPerSecond: number };
  /** The ffmpeg that decoded and encoded (a newer one on the PATH is preferred to the bundled one). */
  ffmpeg?: { version: string; source: 'system' | 'bundled' };
  /** Effect-specific extras (depth mapping, matte candidates…). */
  extra?: Record<string, unknown>;
}
