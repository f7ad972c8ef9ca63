import type { TestProject } from 'vitest/node';
import { startMailStack, type MailStack } from '../mailstack/mailstack';

export type MailStackInfo = Omit<MailStack, 'stop'>;

declare module 'vitest' {
  export interface ProvidedContext {
    mailstack: MailStackInfo;
  }
}

/** One real Dovecot + Postfix for the whole run; tests read its ports and users with inject('mailstack'). */
export default async function setup(project: TestProject) {
  const stack = await startMailStack();
  const { stop, ...info } = stack;
  project.provide('mailstack', info);
  return async () => {
    await stop();
  };
}
