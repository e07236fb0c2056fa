/**
 * Job records on disk: `<data>/jobs/<id>/job.json`, written atomically. The
 * folder also holds `preview.jpg` (the latest preview). Records are the single
 * source of truth across daemon restarts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { ID_PATTERN, JobRecordSchema, describeIssues, type JobRecord } from '../../../shared/src/protocol/messages.ts';
import { writeFileAtomicSync, writeJsonAtomicSync } from '../io/atomic-file.ts';

export class JobStore {
  readonly dir: string;

  constructor(jobsDir: string) {
    this.dir = jobsDir;
    fs.mkdirSync(jobsDir, { recursive: true, mode: 0o700 });
  }

  jobDir(id: string): string {
    if (!ID_PATTERN.test(id)) throw new DreamLayerError('JOB_NOT_FOUND', { message: `No job has the id ${JSON.stringify(id.slice(0, 80))}.` });
    return path.join(this.dir, id);
  }

  recordPath(id: string): string {
    return path.join(this.jobDir(id), 'job.json');
  }

  previewPath(id: string): string {
    return path.join(this.jobDir(id), 'preview.jpg');
  }

  save(rec: JobRecord): void {
    fs.mkdirSync(this.jobDir(rec.id), { recursive: true, mode: 0o700 });
    writeJsonAtomicSync(this.recordPath(rec.id), rec, { mode: 0o600 });
  }

  savePreview(id: string, jpeg: Uint8Array): void {
    writeFileAtomicSync(this.previewPath(id), jpeg, { mode: 0o600 });
  }

  readPreview(id: string): Buffer | null {
    try {
      return fs.readFileSync(this.previewPath(id));
    } catch {
      return null;
    }
  }

  /** Reads one record; throws JOB_NOT_FOUND when absent. A damaged record reads as an INTERNAL error naming the file. */
  load(id: string): JobRecord {
    const file = this.recordPath(id);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      throw new DreamLayerError('JOB_NOT_FOUND', { message: `No job has the id ${id}.` });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new DreamLayerError('INTERNAL', { message: `The job record ${file} is not JSON.`, hint: 'Remove it with `dreamlayer jobs rm ID`.' });
    }
    const r = JobRecordSchema.safeParse(raw);
    if (!r.success) throw new DreamLayerError('INTERNAL', { message: `The job record ${file} is damaged: ${describeIssues(r.error.issues)}.`, hint: 'Remove it with `dreamlayer jobs rm ID`.' });
    return r.data;
  }

  /** Every readable record, oldest first; damaged ones are reported to `onBad` and skipped. */
  loadAll(onBad?: (id: string, err: DreamLayerError) => void): JobRecord[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: JobRecord[] = [];
    for (const name of names) {
      if (!ID_PATTERN.test(name)) continue;
      if (!fs.existsSync(path.join(this.dir, name, 'job.json'))) continue;
      try {
        out.push(this.load(name));
      } catch (e) {
        onBad?.(name, e as DreamLayerError);
      }
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  remove(id: string): void {
    fs.rmSync(this.jobDir(id), { recursive: true, force: true });
  }
}
