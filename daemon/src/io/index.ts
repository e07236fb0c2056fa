/**
 * DreamLayer media I/O: the only module that runs ffmpeg/ffprobe or uses sharp.
 *
 * - {@link resolveFfmpeg}, {@link hasEncoder}: which binaries run, what they can do
 * - {@link probeMedia}: movie / still / image sequence facts (exact frame count and rational fps)
 * - {@link decodeFrames}, {@link openSource}: frame-exact streaming decode of a range
 * - {@link readImage}, {@link writePng}, {@link encodeJpeg}, {@link resizeImage}: still images
 * - {@link writeFileAtomic}, {@link ensureWritableDir}: crash-safe writes
 * - {@link FrameSequenceWriter}: resumable PNG sequence output numbered by source frame
 * - {@link createMovieEncoder}, {@link encodeSequenceToMovie}: H.264 / H.265 / ProRes 4444 output
 */
export { resolveFfmpeg, detectFfmpeg, resetFfmpegCache, hasEncoder, hasDecoder, hasFilter, findOnPath, parseFfmpegVersion, compareFfmpegVersions } from './ffmpeg-binaries.ts';
export type { FfmpegBinaries, FfmpegVersionInfo, BinarySource } from './ffmpeg-binaries.ts';
export { probeMedia, toRational, parseRational } from './probe.ts';
export type { MediaInfo, ProbeOptions, Rational } from './probe.ts';
export { decodeFrames, openSource, validateRange, resolveOutputSize } from './decode.ts';
export type { DecodeOptions, FrameRange, OpenSourceOptions, OpenedSource, VideoFrame16 } from './decode.ts';
export { readImage, readImageInfo, writePng, encodePng, encodeJpeg, resizeImage } from './image-file.ts';
export type { ReadImageOptions, WritePngOptions, ResizeKernel, ImageFileInfo } from './image-file.ts';
export { writeFileAtomic, ensureWritableDir, tempPathFor } from './atomic-file.ts';
export { FrameSequenceWriter, convertDepth } from './frame-sequence-writer.ts';
export type { FrameSequenceWriterOptions } from './frame-sequence-writer.ts';
export { framePattern, frameFileName, parseFramePattern, matchFrameNumber, isFramePattern, findSequenceInDir } from './frame-pattern.ts';
export { createMovieEncoder, encodeSequenceToMovie, containerFor } from './encode.ts';
export type { MovieEncoder, MovieEncoderOptions, MovieCodec, AudioSource, SequenceToMovieOptions } from './encode.ts';
export { makeSampleClip } from './sample-clip.ts';
export type { SampleClipOptions } from './sample-clip.ts';
