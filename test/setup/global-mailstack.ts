import { rm } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { startMailStack, type MailStackInfo } from '../mailstack/mailstack';

declare module 'vitest' {
  export interface ProvidedContext {
    mailstack: MailStackInfo;
  }
}

/**
 * One real Dovecot + Postfix for the whole run; tests read its ports and users with inject('mailstack').
 * Integration tests also get a Cyrus IMAP server (imapServers() in the mail stack), to run the
 * IMAP-touching tests against a second implementation.
 */
export default async function setup(project: TestProject) {
  const { stop, ...info } = await startMailStack({ cyrus: project.name === 'integration' });
  project.provide('mailstack', info);
  return async () => {
    await stop();
    await rm(info.dir, { recursive: true, force: true });
  };
}
