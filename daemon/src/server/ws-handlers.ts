/**
 * One handler per client message type. Each either replies (echoing reqId) or
 * throws a DreamLayerError, which the hub turns into an `error` reply.
 */
import { DREAMLAYER_VERSION } from '../../../shared/src/version.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { PROTOCOL_LIMITS, PROTOCOL_VERSION, TERMINAL_STATES, summarizeJob, type ClientMessage, type ClientMessageOf } from '../../../shared/src/protocol/messages.ts';
import { tokensEqual } from './token.ts';
import { prepareSubmission } from './job-submission.ts';
import type { DaemonContext } from './daemon-context.ts';
import { CLOSE, type ClientSession, type WsHub } from './ws-hub.ts';

const rid = (reqId: string | undefined) => (reqId ? { reqId } : {});

function hello(ctx: DaemonContext, hub: WsHub, s: ClientSession, m: ClientMessageOf<'hello'>): void {
  if (s.authed) throw new DreamLayerError('MESSAGE_INVALID', { stage: 'server', message: 'This connection is already paired; hello is sent once.' });
  if (m.protocol !== PROTOCOL_VERSION) {
    ctx.log.warn(`${s.connId}: protocol ${m.protocol} refused (daemon speaks ${PROTOCOL_VERSION})`);
    return s.closeWith(CLOSE.PROTOCOL_VERSION, new DreamLayerError('PROTOCOL_VERSION', { stage: 'server', message: `The client speaks protocol ${m.protocol}; this daemon speaks ${PROTOCOL_VERSION}.` }));
  }
  if (!tokensEqual(m.token, ctx.token)) {
    ctx.log.warn(`${s.connId}: wrong or missing token from ${m.client.name}`);
    return s.closeWith(CLOSE.AUTH_FAILED, new DreamLayerError('AUTH_FAILED', { stage: 'server' }));
  }
  s.authed = true;
  s.clientName = `${m.client.name} ${m.client.version}`.trim();
  if (m.clientId) {
    s.clientId = m.clientId;
    // A reconnecting client gets the events of its unfinished jobs again.
    for (const r of ctx.manager.list()) if (r.owner === m.clientId && !TERMINAL_STATES.includes(r.state)) s.subscriptions.add(r.id);
  }
  ctx.log.info(`${s.connId}: paired with ${s.clientName} (client id ${s.clientId})`);
  s.send({
    type: 'welcome',
    ...rid(m.reqId),
    protocol: PROTOCOL_VERSION,
    daemon: { name: 'dreamlayer', version: DREAMLAYER_VERSION, pid: process.pid },
    clientId: s.clientId,
    providers: ctx.providers(),
    effects: ctx.effects() as never,
    limits: { maxJsonBytes: PROTOCOL_LIMITS.maxJsonBytes, maxBinaryBytes: PROTOCOL_LIMITS.maxBinaryBytes, messagesPerSecond: ctx.rateLimit },
  });
  void hub;
}

function accepted(ctx: DaemonContext, s: ClientSession, jobId: string, reqId: string | undefined): void {
  s.send({ type: 'job.accepted', ...rid(reqId), jobId, position: ctx.manager.position(jobId), job: summarizeJob(ctx.manager.get(jobId)) });
}

/** Routes one validated message from a paired (or pairing) client. */
export async function handleMessage(ctx: DaemonContext, hub: WsHub, s: ClientSession, m: ClientMessage): Promise<void> {
  switch (m.type) {
    case 'hello':
      return hello(ctx, hub, s, m);
    case 'job.submit': {
      const prepared = prepareSubmission(m.job, { paths: ctx.paths, uploads: ctx.uploads, effects: ctx.effects() });
      const rec = ctx.manager.submit(prepared.spec, { owner: s.clientId, uploadId: prepared.uploadId });
      s.subscriptions.add(rec.id);
      return accepted(ctx, s, rec.id, m.reqId);
    }
    case 'job.resume': {
      ctx.manager.get(m.jobId);
      s.subscriptions.add(m.jobId);
      ctx.manager.resume(m.jobId);
      return accepted(ctx, s, m.jobId, m.reqId);
    }
    case 'job.cancel': {
      ctx.manager.get(m.jobId);
      s.subscriptions.add(m.jobId);
      ctx.manager.cancel(m.jobId);
      return;
    }
    case 'job.get':
    case 'job.subscribe': {
      const rec = ctx.manager.get(m.jobId);
      s.subscriptions.add(m.jobId);
      s.send({ type: 'job.info', ...rid(m.reqId), job: rec });
      return;
    }
    case 'job.unsubscribe':
      s.subscriptions.delete(m.jobId);
      s.send({ type: 'job.unsubscribed', ...rid(m.reqId), jobId: m.jobId });
      return;
    case 'job.list':
      s.send({ type: 'job.listed', ...rid(m.reqId), jobs: ctx.manager.list().map(summarizeJob) });
      return;
    case 'models.list':
      s.send({ type: 'models.listed', ...rid(m.reqId), models: await ctx.models() });
      return;
    case 'frames.begin': {
      const up = ctx.uploads.begin(m);
      s.send({ type: 'frames.ready', ...rid(m.reqId), uploadId: up.id, path: ctx.uploads.patternPath(up.id), count: up.count });
      if (up.received.size === up.count) s.send({ type: 'frames.complete', uploadId: up.id, path: ctx.uploads.patternPath(up.id), count: up.count });
      return;
    }
    case 'frames.abort': {
      const used = ctx.manager.list().some((r) => r.uploadId === m.uploadId && !TERMINAL_STATES.includes(r.state));
      if (used) throw new DreamLayerError('JOB_STATE', { stage: 'server', message: `Upload ${m.uploadId} is the input of an unfinished job.`, hint: 'Cancel or remove that job first.' });
      ctx.uploads.abort(m.uploadId);
      s.send({ type: 'frames.aborted', ...rid(m.reqId), uploadId: m.uploadId });
      return;
    }
    case 'ping':
      s.send({ type: 'pong', ...rid(m.reqId), time: new Date().toISOString() });
      return;
  }
}
