import { performance } from 'node:perf_hooks';
import { deliver, imapClient } from '../test/mailstack/mailstack';
import { percentile, type Benchmark } from './harness';
import { call, channelFor, nextEvent, startCore, waitUntil } from './support';

/**
 * Delivery to visible: from Postfix accepting a message (the SMTP submission returns) until the
 * new conversation's event leaves the core for the renderer — against a bare imapflow client in
 * IDLE on the same mailbox, fetching the same message. Both watch every message of the same run.
 */
export const deliveryBenchmark: Benchmark = {
  name: 'delivery',
  async run(ctx) {
    const count = ctx.quick ? 10 : 25;
    const { stack } = ctx;
    const user = stack.users.support;
    const customer = stack.users.customer;

    const core = startCore(ctx.tempDir());
    await core.start();
    const channel = await call(core, 'channels:create', channelFor(stack, user, { initialImport: 'none' }));
    await waitUntil(() => core.channels.get(channel.id).status.state === 'connected', 30_000, 'the watcher to connect');

    const bare = imapClient(stack, user);
    await bare.connect();
    const lock = await bare.getMailboxLock('INBOX');
    let bareArrival: ((at: number) => void) | undefined;
    bare.on('exists', (data: { count: number }) => {
      void (async () => {
        await bare.fetchOne(String(data.count), { source: true });
        bareArrival?.(performance.now());
        void bare.idle();
      })();
    });
    void bare.idle();

    const ours: number[] = [];
    const baseline: number[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const ourArrival = nextEvent(core, 'conversations:changed', (payload) => payload.created.length > 0).then(() => performance.now());
        const bareSeen = new Promise<number>((resolve) => (bareArrival = resolve));
        await deliver(stack, { from: customer.address, to: user.address, subject: `Delivery ${i} ${Date.now()}`, text: `Message ${i}` });
        const accepted = performance.now();
        const [ourAt, bareAt] = await Promise.all([ourArrival, bareSeen]);
        ours.push(ourAt - accepted);
        baseline.push(bareAt - accepted);
      }
    } finally {
      lock.release();
      await bare.logout().catch(() => undefined);
      await core.stop();
    }
    const p95 = percentile(ours, 95);
    const bareP95 = percentile(baseline, 95);
    return [
      { metric: `p50 delivery to visible (${count} messages)`, unit: 'ms', ours: percentile(ours, 50), baseline: percentile(baseline, 50) },
      {
        metric: `p95 delivery to visible (${count} messages)`,
        unit: 'ms',
        ours: p95,
        baseline: bareP95,
        goal: '< 1000 ms and <= bare + 250 ms',
        met: p95 < 1000 && p95 <= bareP95 + 250,
      },
    ];
  },
};
