import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../file-modes';
import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The main side's log file. Secrets are redacted by key wherever they appear, and callers never log
 * message bodies.
 */
export function createLogger(dataDir: string, level: string = process.env.AUXILIUM_LOG_LEVEL ?? 'info'): Logger {
  const dir = join(dataDir, 'logs');
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  return pino(
    {
      level,
      redact: {
        paths: ['pass', 'password', 'accessToken', '*.pass', '*.password', '*.accessToken', '*.*.pass', '*.*.password', '*.*.accessToken'],
        censor: '[redacted]',
      },
    },
    // Synchronous: the main side logs little, and a crash must not lose the lines that explain it.
    pino.destination({ dest: join(dir, 'auxilium.log'), sync: true, mode: PRIVATE_FILE_MODE }),
  );
}
