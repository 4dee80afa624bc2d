import { v7 as uuidv7 } from 'uuid';

/** Time, injected so tests can control it. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** New ids: UUID v7, time-ordered so primary-key indexes stay compact. */
export function newId(): string {
  return uuidv7();
}
