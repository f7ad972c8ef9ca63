import { describe, expect, it } from 'vitest';
import { attachmentLimitProblem, MAX_REPLY_ATTACHMENT_BYTES, MAX_REPLY_ATTACHMENTS } from './attachments';

const MB = 1024 * 1024;

describe('attachmentLimitProblem', () => {
  it('accepts files up to the total limit, exactly at it included', () => {
    expect(attachmentLimitProblem([])).toBeNull();
    expect(
      attachmentLimitProblem([
        { filename: 'a.pdf', size: 10 * MB },
        { filename: 'b.pdf', size: 15 * MB },
      ]),
    ).toBeNull();
  });

  it('names the file that takes the draft over the limit, with the total it would reach', () => {
    // As on the main side: the draft's files first, the one being added last.
    const draft = [{ filename: 'a.pdf', size: 20 * MB }];
    expect(attachmentLimitProblem([...draft, { filename: 'b.pdf', size: 5 * MB + 1 }])).toBe(
      '“b.pdf” would bring the attachments to 25.1 MB; a reply can carry at most 25 MB in total.',
    );
  });

  it('says so when one file alone is too large', () => {
    expect(attachmentLimitProblem([{ filename: 'huge.bin', size: MAX_REPLY_ATTACHMENT_BYTES + 1 }])).toBe(
      '“huge.bin” (25.1 MB) is larger than the 25 MB a reply can carry.',
    );
  });

  it('limits the number of files', () => {
    const many = Array.from({ length: MAX_REPLY_ATTACHMENTS + 1 }, (_, i) => ({ filename: `${i}.txt`, size: 1 }));
    expect(attachmentLimitProblem(many)).toBe(`A reply can carry at most ${MAX_REPLY_ATTACHMENTS} attachments.`);
    expect(attachmentLimitProblem(many.slice(1))).toBeNull();
  });
});
