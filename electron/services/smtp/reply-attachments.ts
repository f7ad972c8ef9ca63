import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../file-modes';
import { extname, join } from 'node:path';
import { attachmentLimitProblem, type OutgoingAttachment } from '../../../shared/attachments';
import { AppFailure } from '../../../shared/errors';
import type { StoredAttachment } from '../store/outbox-repo';

/**
 * The files an agent attaches to a reply, kept as one file each under `<attachments>/outbound/`
 * (never as SQLite blobs), from the moment they are attached to the draft. Sending and Undo only
 * move their rows; the file is deleted when the agent removes it from the draft.
 */

/** The last path segment, without control characters: the name the customer will see. */
function plainName(name: string): string {
  const last = name.split(/[/\\]/).pop() ?? '';
  return last.replace(/[\u0000-\u001f\u007f]/g, '').trim() || 'attachment';
}

/** Refuses files over the total limit with the message the composer shows too. */
export function checkAttachmentLimit(files: readonly { filename: string; size: number }[]): void {
  const problem = attachmentLimitProblem(files);
  if (problem) {
    throw new AppFailure({ code: 'VALIDATION_FAILED', message: problem, hint: 'Remove an attachment, or share large files by a link.', retryable: false });
  }
}

/** Where reply attachments live inside the attachments folder. */
export function outboundFolder(attachmentsDir: string): string {
  return join(attachmentsDir, 'outbound');
}

/** Writes the files; on any failure removes the ones already written. */
export async function saveAttachments(dir: string, files: readonly OutgoingAttachment[]): Promise<StoredAttachment[]> {
  if (files.length === 0) return [];
  const folder = outboundFolder(dir);
  await mkdir(folder, { recursive: true, mode: PRIVATE_DIR_MODE });
  const stored: StoredAttachment[] = [];
  try {
    for (const file of files) {
      const filename = plainName(file.filename);
      // A random name: nothing the agent's file was called ever becomes part of a path.
      const path = join(folder, `${randomUUID()}${/^\.[A-Za-z0-9]{1,10}$/.test(extname(filename)) ? extname(filename) : ''}`);
      const bytes = Buffer.from(file.content, 'base64');
      await writeFile(path, bytes, { flag: 'wx', mode: PRIVATE_FILE_MODE });
      stored.push({ filename, contentType: file.contentType || 'application/octet-stream', path, size: bytes.length });
    }
  } catch (error) {
    await removeAttachments(stored);
    throw error;
  }
  return stored;
}

export async function removeAttachments(files: readonly { path: string }[]): Promise<void> {
  await Promise.all(files.map((f) => rm(f.path, { force: true })));
}
