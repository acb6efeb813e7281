// The long-running logger's stdout destination: warnings and errors are written at once (with what
// was buffered before them, in order); other lines within LOG_FLUSH_INTERVAL_MS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, LOG_FLUSH_INTERVAL_MS, stdoutDestination } from '../../src/telemetry/logger.js';

const messages = (file: string): string[] =>
  readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { msg: string }).msg);

test('info lines wait for the buffer; a warning is written at once after them; the rest follow within the flush interval', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cm-logger-'));
  const file = path.join(dir, 'out.log');
  const destination = stdoutDestination(openSync(file, 'w'));
  try {
    const logger = createLogger({ level: 'info', destination });
    logger.info('first access line');
    logger.info('second access line');
    assert.deepEqual(messages(file), [], 'small info lines are buffered');
    logger.warn('rule file is invalid');
    assert.deepEqual(messages(file), ['first access line', 'second access line', 'rule file is invalid'], 'written synchronously, in order');
    logger.error('and an error');
    assert.deepEqual(messages(file).at(-1), 'and an error');
    logger.info('a later access line');
    await new Promise((r) => setTimeout(r, LOG_FLUSH_INTERVAL_MS + 300));
    assert.deepEqual(messages(file).at(-1), 'a later access line', 'flushed by the timer');
  } finally {
    (destination as unknown as { end(): void }).end(); // closes the fd
    await new Promise((r) => setTimeout(r, 50));
    rmSync(dir, { recursive: true, force: true });
  }
});
