import { z } from 'zod';
import { contract, isChannelName, type ChannelName, type Output, type ParsedInput } from '../../shared/contract';
import { AppFailure, type AppError, type Result } from '../../shared/errors';

export type Handlers = { [K in ChannelName]: (input: ParsedInput<K>) => Promise<Output<K>> | Output<K> };

export interface Router {
  /** Takes anything from a transport; answers with a result envelope, never throws. */
  handle(channel: unknown, input: unknown): Promise<Result<unknown>>;
}

export function validationError(error: z.ZodError): AppError {
  const fields = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const first = fields[0];
  return {
    code: 'VALIDATION_FAILED',
    message: first ? `${first.path || 'Input'}: ${first.message}` : 'The request was not valid.',
    retryable: false,
    fields,
  };
}

/** Names what a transport sent as a channel without running any of its code (an object's toString may throw). */
function describeChannel(channel: unknown): string {
  return typeof channel === 'string' ? `"${channel.slice(0, 100)}"` : `(a channel name must be a string, not ${channel === null ? 'null' : typeof channel})`;
}

/**
 * Validates every input against the contract before a handler sees it, and every output on the way
 * out. Output schemas have no password fields and zod drops unknown keys, so a handler that
 * accidentally returned a secret still could not send it to the renderer.
 */
export function createRouter(handlers: Handlers, onUnexpected: (channel: string, error: unknown) => void): Router {
  return {
    async handle(channel, input) {
      if (!isChannelName(channel)) {
        return { ok: false, error: { code: 'INTERNAL', message: `Unknown request ${describeChannel(channel)}.`, retryable: false } };
      }
      const spec = contract[channel];
      const parsed = spec.input.safeParse(input ?? {});
      if (!parsed.success) return { ok: false, error: validationError(parsed.error) };
      try {
        const handler = handlers[channel] as (input: unknown) => Promise<unknown>;
        const value = (spec.output as z.ZodType).parse(await handler(parsed.data));
        return { ok: true, value };
      } catch (error) {
        if (error instanceof AppFailure) return { ok: false, error: error.error };
        onUnexpected(channel, error);
        const detail = error instanceof Error ? error.message : String(error);
        return { ok: false, error: { code: 'INTERNAL', message: `Something went wrong: ${detail}`, retryable: true } };
      }
    },
  };
}
