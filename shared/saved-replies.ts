import { z } from 'zod';

/** A saved reply: text the team reuses, found by its name or words, inserted into the composer. */
export const savedReplySchema = z.object({
  id: z.number(),
  name: z.string().trim().min(1, 'Name is required').max(200, 'Name is too long'),
  body: z.string().trim().min(1, 'Write the reply text').max(100_000, 'The text is too long'),
  updatedAt: z.string(),
});
export type SavedReply = z.infer<typeof savedReplySchema>;

/** Without `id` a new one is added; with it, that one is changed. */
export const savedReplyInput = savedReplySchema.omit({ id: true, updatedAt: true }).extend({ id: z.number().int().optional() });
export type SavedReplyInput = z.infer<typeof savedReplyInput>;
