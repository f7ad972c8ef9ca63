import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, inject, it } from 'vitest';
import { withImapSession } from '../../test/mailstack/mailstack';
import { cleanupsAfterAll } from '../../test/support/cleanups';
import { call, coreWithStackChannel, marker, waitFor } from '../../test/support/core';
import { tempDir } from '../../test/support/temp';

// A real HTML mail with a picture it names by cid:, through the mail server, the watcher and the
// parser: the picture comes back as a data: URL for its Content-ID, and stays a listed attachment.

const stack = inject('mailstack');
const { support, customer } = stack.users;
const onCleanup = cleanupsAfterAll();
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

describe('inline pictures', () => {
  it('gives the renderer the pictures an HTML mail names by cid:, raster images only', async () => {
    const dir = tempDir('auxilium-inline-');
    onCleanup(dir.remove);
    const { core, channel } = await coreWithStackChannel(stack, support, dir.path, onCleanup);

    const mark = marker();
    const raw = await new MailComposer({
      from: customer.address,
      to: support.address,
      subject: `Logo ${mark}`,
      html: '<p>Logo:</p><img src="cid:logo@acme.test"><img src="cid:drawing@acme.test">',
      attachments: [
        { filename: 'logo.png', content: PNG, cid: 'logo@acme.test', contentType: 'image/png' },
        {
          filename: 'drawing.svg',
          content: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
          cid: 'drawing@acme.test',
          contentType: 'image/svg+xml',
        },
      ],
    })
      .compile()
      .build();
    await withImapSession(stack, support, (client) => client.append('INBOX', raw, []));
    const conversation = await waitFor('the conversation', async () => {
      const page = await call(core, 'conversations:list', { view: 'all', channelId: channel.id });
      return page.items.find((c) => c.subject.includes(mark));
    });
    const message = (await call(core, 'conversations:get', { id: conversation.id })).messages[0]!;
    expect(message.attachments.map((a) => [a.filename, a.inline])).toEqual([
      ['logo.png', true],
      ['drawing.svg', true],
    ]);

    const images = await call(core, 'messages:get-inline-images', { id: message.id });
    expect(images).toEqual([{ contentId: 'logo@acme.test', dataUrl: `data:image/png;base64,${PNG.toString('base64')}` }]);
  });
});
