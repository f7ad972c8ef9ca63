import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import { createCore } from '../electron/core/create-core';
import { deliver } from '../test/mailstack/mailstack';
import { percentile, type Benchmark } from './harness';
import { call, channelFor, waitUntil } from './support';

/**
 * Reply send: from the agent pressing Send (the send-reply call, no undo window) until the SMTP
 * server accepts the reply — against bare nodemailer sending a message of the same size to the same
 * server, alternating one of each so both see the same conditions.
 */
export const replySendBenchmark: Benchmark = {
  name: 'reply-send',
  async run(ctx) {
    const count = ctx.quick ? 15 : 50;
    const { stack } = ctx;
    const support = stack.users.support;
    const customer = stack.users.customer;
    const accepted = new Map<number, (at: number) => void>();
    const core = createCore({
      dataDir: ctx.tempDir(),
      version: 'bench',
      keychainService: `auxilium-bench-${process.pid}`,
      outbox: { hooks: { accepted: (id) => accepted.get(id)?.(performance.now()) } },
    });
    await core.start();
    const form = channelFor(stack, support, { initialImport: 'none' });
    const channel = await call(core, 'channels:create', form);
    await waitUntil(() => core.channels.get(channel.id).status.state === 'connected', 30_000, 'the watcher to connect');
    const subject = `Reply bench ${Date.now()}`;
    await deliver(stack, { from: customer.address, to: support.address, subject, text: 'Please answer me.' });
    let conversationId = 0;
    await waitUntil(
      async () => {
        const page = await call(core, 'conversations:list', { view: 'all', query: subject, limit: 1 });
        conversationId = page.items[0]?.id ?? 0;
        return conversationId > 0;
      },
      30_000,
      'the customer mail',
    );

    const text = 'Thanks for writing. Here is the answer to your question. '.repeat(10);
    const ours: number[] = [];
    const baseline: number[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const start = performance.now();
        const reply = await call(core, 'conversations:send-reply', { id: conversationId, mode: 'reply', text, undoSeconds: 0 });
        const acceptedAt = await new Promise<number>((resolve) => accepted.set(reply.id, resolve));
        ours.push(acceptedAt - start);
        // The Sent copy and \Answered follow acceptance; let them finish before the next reply.
        await waitUntil(
          async () => (await call(core, 'conversations:get', { id: conversationId })).messages.some((m) => m.id === reply.id && m.delivery?.state === 'sent'),
          30_000,
          'the reply to be marked sent',
        );

        const bareStart = performance.now();
        const transport = nodemailer.createTransport({
          host: stack.host,
          port: stack.smtp.implicitTls,
          secure: true,
          auth: { user: support.user, pass: support.password },
          tls: { ca: stack.certPem },
        });
        await transport.sendMail({ from: `Support <${support.address}>`, to: customer.address, subject: `Re: ${subject}`, text });
        baseline.push(performance.now() - bareStart);
        transport.close();
      }
    } finally {
      await core.stop();
    }
    const p95 = percentile(ours, 95);
    const bareP95 = percentile(baseline, 95);
    return [
      {
        metric: `p95 send to SMTP acceptance (${count} replies)`,
        unit: 'ms',
        ours: p95,
        baseline: bareP95,
        goal: '<= bare + 100 ms',
        met: p95 <= bareP95 + 100,
      },
    ];
  },
};
