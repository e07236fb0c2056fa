import { describe, expect, it } from 'vitest';
import {
  CLIENT_MESSAGE_TYPES,
  PROTOCOL_VERSION,
  parseClientMessage,
  parseDaemonMessage,
} from '../../../shared/src/protocol/messages.ts';
import { BINARY_MAGIC, BinaryEncoding, BinaryKind, decodeBinaryFrame, encodeBinaryFrame } from '../../../shared/src/protocol/binary-frame.ts';

const job = { effect: 'stylize', input: { path: '/a/clip.mp4', frames: { first: 0, last: 9 } }, output: { dir: '/a/out' } };

describe('client messages', () => {
  it('accepts every message type in its documented form and fills JobSpec defaults', () => {
    const good = [
      { type: 'hello', token: 'x', protocol: PROTOCOL_VERSION, client: { name: 'panel', version: '1.0' }, clientId: 'abc' },
      { type: 'job.submit', reqId: '1', job },
      { type: 'job.submit', job: { ...job, input: { uploadId: 'u-1', frames: { first: 0, last: 2 } } } },
      { type: 'job.cancel', jobId: 'j-1' },
      { type: 'job.resume', jobId: 'j-1' },
      { type: 'job.get', jobId: 'j-1' },
      { type: 'job.subscribe', jobId: 'j-1' },
      { type: 'job.unsubscribe', jobId: 'j-1' },
      { type: 'job.list' },
      { type: 'models.list' },
      { type: 'frames.begin', width: 4, height: 2, count: 3, fps: 23.976 },
      { type: 'frames.abort', uploadId: 'u-1' },
      { type: 'ping' },
    ];
    expect(new Set(good.map((g) => g.type))).toEqual(new Set(CLIENT_MESSAGE_TYPES));
    for (const g of good) {
      const r = parseClientMessage(JSON.stringify(g));
      expect(r.ok, JSON.stringify(g)).toBe(true);
    }
    const r = parseClientMessage(JSON.stringify({ type: 'job.submit', job }));
    if (!r.ok || r.message.type !== 'job.submit') throw new Error('parse');
    expect(r.message.job).toMatchObject({ params: {}, device: 'auto', then: [], output: { format: 'png' } });
    const fb = parseClientMessage(JSON.stringify({ type: 'frames.begin', width: 4, height: 2, count: 3, fps: 24 }));
    expect(fb.ok && fb.message.type === 'frames.begin' && fb.message.encoding).toBe('rgba8');
  });

  it('refuses malformed messages with MESSAGE_INVALID naming the problem, echoing a usable reqId', () => {
    const cases: [string, RegExp][] = [
      ['{', /not JSON/],
      ['[]', /not a JSON object/],
      ['null', /not a JSON object/],
      ['{"type":"job.zap","reqId":"q"}', /Unknown message type "job\.zap"/],
      ['{"reqId":"q"}', /Unknown message type missing/],
      ['{"type":"job.cancel","jobId":"../etc","reqId":"q"}', /jobId/],
      ['{"type":"job.submit","reqId":"q","job":{"effect":"stylize"}}', /job\.input/],
      ['{"type":"frames.begin","reqId":"q","width":0,"height":1,"count":1,"fps":1}', /width/],
    ];
    for (const [text, why] of cases) {
      const r = parseClientMessage(text);
      if (r.ok) throw new Error(`accepted ${text}`);
      expect(r.error.code).toBe('MESSAGE_INVALID');
      expect(r.error.message).toMatch(why);
      if (text.includes('"reqId":"q"')) expect(r.reqId).toBe('q');
    }
  });
});

describe('daemon messages', () => {
  it('validates what the daemon sends', () => {
    expect(parseDaemonMessage(JSON.stringify({ type: 'job.cancelled', jobId: 'j-1' })).ok).toBe(true);
    expect(parseDaemonMessage(JSON.stringify({ type: 'error', error: { code: 'AUTH_FAILED', message: 'm', hint: 'h' } })).ok).toBe(true);
    expect(parseDaemonMessage(JSON.stringify({ type: 'error', error: { code: 'NOT_A_CODE', message: 'm', hint: 'h' } })).ok).toBe(false);
    expect(parseDaemonMessage(JSON.stringify({ type: 'job.progress', jobId: 'j', done: 1, total: 2, fps: 1, etaSeconds: null, stage: 'infer', frame: 0 })).ok).toBe(true);
  });
});

describe('binary frame header', () => {
  it('round-trips kind, encoding, id, frame and payload', () => {
    const payload = new Uint8Array([1, 2, 3, 250]);
    const bin = encodeBinaryFrame({ kind: BinaryKind.UPLOAD_FRAME, encoding: BinaryEncoding.RGBA8, id: 'u-xyz_9', frame: 0xfffffffe }, payload);
    expect(bin.byteLength).toBe(8 + 7 + 4);
    expect(bin[0]).toBe(BINARY_MAGIC);
    // Little-endian frame index at offset 4.
    expect([...bin.subarray(4, 8)]).toEqual([0xfe, 0xff, 0xff, 0xff]);
    const f = decodeBinaryFrame(bin);
    if (typeof f === 'string') throw new Error(f);
    expect(f).toMatchObject({ kind: 2, encoding: 3, id: 'u-xyz_9', frame: 0xfffffffe });
    expect([...f.payload]).toEqual([1, 2, 3, 250]);
    // A view into a larger buffer decodes the same.
    const padded = new Uint8Array(bin.byteLength + 10);
    padded.set(bin, 5);
    const g = decodeBinaryFrame(padded.subarray(5, 5 + bin.byteLength));
    expect(typeof g !== 'string' && g.id).toBe('u-xyz_9');
  });

  it('reports malformed headers instead of throwing', () => {
    const ok = encodeBinaryFrame({ kind: BinaryKind.PREVIEW, encoding: BinaryEncoding.JPEG, id: 'j', frame: 1 }, new Uint8Array(0));
    const mutate = (i: number, v: number) => {
      const b = Uint8Array.from(ok);
      b[i] = v;
      return b;
    };
    expect(decodeBinaryFrame(new Uint8Array(3))).toMatch(/too short/);
    expect(decodeBinaryFrame(mutate(0, 0))).toMatch(/magic/);
    expect(decodeBinaryFrame(mutate(1, 9))).toMatch(/kind/);
    expect(decodeBinaryFrame(mutate(2, 0))).toMatch(/encoding/);
    expect(decodeBinaryFrame(mutate(3, 40))).toMatch(/id length/);
    expect(decodeBinaryFrame(mutate(8, 0x2f))).toMatch(/characters/);
    expect(() => encodeBinaryFrame({ kind: 1, encoding: 1, id: 'a/b', frame: 0 }, new Uint8Array(0))).toThrow(RangeError);
    expect(() => encodeBinaryFrame({ kind: 1, encoding: 1, id: 'a', frame: -1 }, new Uint8Array(0))).toThrow(RangeError);
  });
});
