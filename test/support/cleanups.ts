import { afterAll } from 'vitest';

/**
 * Collects cleanups for the end of a test file and runs them newest first, every one of them even
 * when some fail; the first failure is then reported.
 */
export function cleanupsAfterAll(): (cleanup: () => Promise<void> | void) => void {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  });
  return (cleanup) => void cleanups.push(cleanup);
}
