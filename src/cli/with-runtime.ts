import { pino } from 'pino';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { createRuntime, type Runtime } from '../runtime.ts';

/**
 * Runs a one-shot command against the service's data (migrated first), then closes it. A
 * user error (AppError) is printed plainly with exit code 1; anything else is a bug and throws.
 */
export async function withRuntime(
  config: Config,
  fn: (runtime: Runtime) => Promise<void>,
): Promise<void> {
  const runtime = await createRuntime(config, pino({ level: 'warn' }, pino.destination(2)));
  try {
    await fn(runtime);
  } catch (error) {
    if (error instanceof AppError) {
      process.stderr.write(`mes-donnees: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  } finally {
    await runtime.close();
  }
}
