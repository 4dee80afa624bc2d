import type { Clock } from '../clock.ts';
import type { JobProgress } from '../contracts/archive.ts';

/**
 * A job's progress, saved at most once per `everyMs`: the last change of a window is written
 * at its end (a pause after it must not hide it), and `flush` writes what is pending now.
 */
export class ProgressWriter {
  readonly #save: (progress: JobProgress) => Promise<void>;
  readonly #clock: Clock;
  readonly #everyMs: number;
  readonly #onError: (error: unknown) => void;
  #pending: JobProgress | undefined;
  #lastWrite = 0;
  #trailing: NodeJS.Timeout | undefined;

  constructor(options: {
    save: (progress: JobProgress) => Promise<void>;
    clock: Clock;
    everyMs: number;
    onError: (error: unknown) => void;
  }) {
    this.#save = options.save;
    this.#clock = options.clock;
    this.#everyMs = options.everyMs;
    this.#onError = options.onError;
  }

  /** The latest progress; saved now or at the end of the current window. */
  update(progress: JobProgress): void {
    this.#pending = progress;
    if (this.#trailing !== undefined) return;
    const wait = this.#lastWrite + this.#everyMs - this.#clock.now();
    if (wait <= 0) this.#write();
    else this.#trailing = setTimeout(() => this.#write(), wait);
  }

  #write(): void {
    this.#trailing = undefined;
    this.#lastWrite = this.#clock.now();
    if (this.#pending !== undefined) void this.#save(this.#pending).catch(this.#onError);
  }

  /** Stops the timer and saves what is pending (or `last`, the final state) at once. */
  async flush(last?: JobProgress): Promise<void> {
    clearTimeout(this.#trailing);
    this.#trailing = undefined;
    if (last !== undefined) this.#pending = last;
    if (this.#pending !== undefined) await this.#save(this.#pending);
  }

  /** Stops the timer; nothing more is written. */
  stop(): void {
    clearTimeout(this.#trailing);
    this.#trailing = undefined;
  }
}
