import { z } from 'zod';

/**
 * Files an agent attaches to a reply. Each file is stored with the conversation's draft as soon as
 * it is picked, its bytes travelling base64 once (the web host speaks JSON). The total limit is
 * checked by one function, in the composer before uploading and again on the main side.
 */

/** 25 MB in total: what most providers accept in one message once base64 has grown it by a third. */
export const MAX_REPLY_ATTACHMENT_BYTES = 25 * 1024 * 1024;
export const MAX_REPLY_ATTACHMENTS = 50;

/** Base64 length of `bytes` bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

export const outgoingAttachmentSchema = z.object({
  filename: z.string().trim().min(1, 'An attachment needs a file name').max(255),
  contentType: z.string().max(255),
  /** The file's bytes, base64. Each file alone may not pass the total limit; the total is checked by `attachmentLimitProblem`. */
  content: z
    .string()
    .max(base64Length(MAX_REPLY_ATTACHMENT_BYTES))
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'The attachment is not valid base64'),
});
export type OutgoingAttachment = z.infer<typeof outgoingAttachmentSchema>;

/** A file stored with a draft, as the composer lists it. */
export const draftAttachmentSchema = z.object({
  id: z.number().int(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int(),
});
export type DraftAttachment = z.infer<typeof draftAttachmentSchema>;

/** Megabytes rounded up to a tenth, so a total just over the limit never reads as the limit itself ("25.1 MB"). */
export function megabytes(bytes: number): string {
  return `${Math.ceil((bytes / (1024 * 1024)) * 10) / 10} MB`;
}

/**
 * Why these files cannot go out together, naming the first file that takes the total over the
 * limit; null when they can.
 */
export function attachmentLimitProblem(files: readonly { filename: string; size: number }[]): string | null {
  if (files.length > MAX_REPLY_ATTACHMENTS) return `A reply can carry at most ${MAX_REPLY_ATTACHMENTS} attachments.`;
  let total = 0;
  for (const file of files) {
    total += file.size;
    if (total > MAX_REPLY_ATTACHMENT_BYTES) {
      const alone = file.size > MAX_REPLY_ATTACHMENT_BYTES;
      return alone
        ? `“${file.filename}” (${megabytes(file.size)}) is larger than the ${megabytes(MAX_REPLY_ATTACHMENT_BYTES)} a reply can carry.`
        : `“${file.filename}” would bring the attachments to ${megabytes(total)}; a reply can carry at most ${megabytes(MAX_REPLY_ATTACHMENT_BYTES)} in total.`;
    }
  }
  return null;
}
