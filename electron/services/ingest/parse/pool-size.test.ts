import { describe, expect, it } from 'vitest';
import { parserWorkerCount } from '.';

describe('parser pool size', () => {
  it('grows with the cores, leaving one for the main thread, within two to eight', () => {
    expect([1, 2, 3, 4, 8, 16, 64].map((cores) => parserWorkerCount(cores))).toEqual([2, 2, 2, 3, 7, 8, 8]);
  });
});
