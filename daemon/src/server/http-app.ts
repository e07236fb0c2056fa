/**
 * The HTTP side (express): the read side of the protocol for scripts and
 * monitoring (`/v1/health`, `/v1/jobs`, `/v1/jobs/:id`, `/v1/jobs/:id/preview`,
 * `/v1/models`), a few job actions for the CLI (submit, cancel, resume, remove),
 * and the browser build of the panel at `/`.
 * Every request passes the Host and Origin guards; every /v1 route except
 * health needs `Authorization: Bearer <token>`.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { DreamLayerError, toDreamLayerError, type ErrorCode } from '../../../shared/src/errors.ts';
import { DREAMLAYER_VERSION } from '../../../shared/src/version.ts';
import { PROTOCOL_LIMITS, PROTOCOL_VERSION, SubmitJobSchema, describeIssues, summarizeJob } from '../../../shared/src/protocol/messages.ts';
import type { DaemonContext } from './daemon-context.ts';
import { prepareSubmission } from './job-submission.ts';
import { RateLimiter } from './rate-limiter.ts';
import { bearerToken, classifyOrigin, hostAllowed } from './request-guard.ts';
import { tokensEqual } from './token.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  AUTH_FAILED: 401,
  ORIGIN_REFUSED: 403,
  HOST_REFUSED: 403,
  PATH_NOT_ALLOWED: 403,
  JOB_NOT_FOUND: 404,
  JOB_STATE: 409,
  MESSAGE_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

/** HTTP status of an error code (400 for the validation family). */
export function httpStatus(code: ErrorCode): number {
  return STATUS[code] ?? 400;
}

function sendError(res: Response, err: DreamLayerError): void {
  res.status(httpStatus(err.code)).json({ error: err.toPayload() });
}

export interface HttpAppOptions {
  /** Folder with the browser build of the panel (index.html); absent = a placeholder page. */
  panelDir?: string | null;
  /** Requests per second for the whole HTTP side (loopback: one bucket for all). */
  requestsPerSecond?: number;
}

export function createHttpApp(ctx: DaemonContext, opts: HttpAppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const limiter = new RateLimiter(opts.requestsPerSecond ?? 500, (opts.requestsPerSecond ?? 500) * 2);

  // Guards first: nothing (not even a body parser) runs for a refused request.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const port = ctx.port();
    if (!hostAllowed(req.headers.host, port)) {
      ctx.log.warn(`http refused: Host ${JSON.stringify(req.headers.host)} ${req.method} ${req.path}`);
      return sendError(res, new DreamLayerError('HOST_REFUSED', { stage: 'server', hint: `Connect to http://127.0.0.1:${port}.` }));
    }
    const origin = req.headers.origin;
    const kind = classifyOrigin(origin, port);
    if (kind === 'refused') {
      ctx.log.warn(`http refused: Origin ${JSON.stringify(origin)} ${req.method} ${req.path}`);
      return sendError(res, new DreamLayerError('ORIGIN_REFUSED', { stage: 'server', message: `Requests from the web origin ${JSON.stringify(String(origin).slice(0, 200))} are refused.` }));
    }
    if (kind === 'panel' && origin) {
      // CEP panels are Chromium pages with an opaque origin: CORS must name it for fetch() to read replies.
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE');
      res.setHeader('Access-Control-Max-Age', '600');
    }
    if (req.method === 'OPTIONS') return void res.status(204).end();
    if (!limiter.take()) return sendError(res, new DreamLayerError('RATE_LIMITED', { stage: 'server' }));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });

  const authed = (req: Request): boolean => tokensEqual(bearerToken(req.headers.authorization), ctx.token);

  // Health: without the token it says only that something is alive, nothing about it.
  app.get('/v1/health', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    if (!authed(req)) return void res.json({ ok: true });
    res.json({
      ok: true,
      service: 'dreamlayer',
      version: DREAMLAYER_VERSION,
      protocol: PROTOCOL_VERSION,
      pid: process.pid,
      uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
      jobs: ctx.manager.counts(),
    });
  });

  const api = express.Router();
  api.use((req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    if (!authed(req)) {
      ctx.log.warn(`http: ${req.method} ${req.path} without a valid token`);
      return sendError(res, new DreamLayerError('AUTH_FAILED', { stage: 'server', hint: 'Send `Authorization: Bearer <token>` (the token is in the discovery file daemon.json).' }));
    }
    next();
  });
  api.use(express.json({ limit: PROTOCOL_LIMITS.maxJsonBytes, strict: true }));

  api.get('/jobs', (_req, res) => {
    res.json({ jobs: ctx.manager.list().map(summarizeJob) });
  });
  api.post('/jobs', (req, res) => {
    const parsed = SubmitJobSchema.safeParse((req.body as { job?: unknown } | undefined)?.job ?? req.body);
    if (!parsed.success) throw new DreamLayerError('MESSAGE_INVALID', { stage: 'server', message: `Invalid job: ${describeIssues(parsed.error.issues)}.` });
    const prepared = prepareSubmission(parsed.data, { paths: ctx.paths, uploads: ctx.uploads, effects: ctx.effects() });
    const rec = ctx.manager.submit(prepared.spec, { owner: null, uploadId: prepared.uploadId });
    res.status(201).json({ job: rec, position: ctx.manager.position(rec.id) });
  });
  api.get('/jobs/:id', (req, res) => {
    res.json({ job: ctx.manager.get(req.params.id as string) });
  });
  api.get('/jobs/:id/preview', (req, res) => {
    const jpeg = ctx.manager.latestPreview(req.params.id as string);
    if (!jpeg) throw new DreamLayerError('JOB_NOT_FOUND', { stage: 'server', message: `Job ${req.params.id} has no preview yet.`, hint: 'Previews appear once the first frames are finished.' });
    res.type('image/jpeg').send(jpeg);
  });
  api.post('/jobs/:id/cancel', (req, res) => {
    res.json({ job: ctx.manager.cancel(req.params.id as string) });
  });
  api.post('/jobs/:id/resume', (req, res) => {
    const rec = ctx.manager.resume(req.params.id as string);
    res.json({ job: rec, position: ctx.manager.position(rec.id) });
  });
  api.delete('/jobs/:id', (req, res) => {
    res.json({ job: ctx.manager.remove(req.params.id as string) });
  });
  api.get('/models', async (_req, res) => {
    res.json({ models: await ctx.models() });
  });
  api.use((req, _res) => {
    throw new DreamLayerError('MESSAGE_INVALID', { stage: 'server', message: `No route ${req.method} /v1${req.path}.` });
  });
  app.use('/v1', api);

  // The browser build of the panel; static files need no token (the page asks for it). The build may
  // appear after start (built in the background), so the folder is looked at per request.
  if (opts.panelDir) app.use(express.static(opts.panelDir, { index: 'index.html', dotfiles: 'ignore', fallthrough: true }));
  app.get('/', (_req, res) => {
    res.type('html').send('<!doctype html><meta charset="utf-8"><title>DreamLayer</title><p>The DreamLayer daemon is running. The browser panel is not built yet (<code>npm run panel:build</code>).</p>');
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number };
    if (e?.type === 'entity.too.large') return sendError(res, new DreamLayerError('MESSAGE_TOO_LARGE', { stage: 'server', message: `The request body exceeds ${PROTOCOL_LIMITS.maxJsonBytes} bytes.` }));
    if (e?.type === 'entity.parse.failed') return sendError(res, new DreamLayerError('MESSAGE_INVALID', { stage: 'server', message: 'The request body is not valid JSON.' }));
    const de = toDreamLayerError(err, 'INTERNAL', { stage: 'server' });
    if (de.code === 'INTERNAL') ctx.log.error(`http: ${de.message}${err instanceof Error && err.stack ? `\n${err.stack}` : ''}`);
    sendError(res, de);
  });
  return app;
}
