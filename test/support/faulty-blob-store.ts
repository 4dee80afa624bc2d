/**
 * A blob store that fails on demand, for fault tests: the Nth call of a method rejects, or its
 * bytes stop mid-way (a read stream that errors after K bytes, a write whose body errors after
 * K bytes), or it waits at a gate the test opens. Everything else goes to the real store.
 */
import { Readable } from 'node:stream';
import type {
  BlobInfo,
  BlobPutOptions,
  BlobRange,
  BlobStore,
  PutResult,
} from '../../src/storage/blob-store.ts';

export type BlobMethod = 'put' | 'get' | 'head' | 'delete' | 'list';

export interface BlobFault {
  method: BlobMethod;
  /** Only calls whose key (list: prefix) starts with this count; all calls when absent. */
  keyPrefix?: string;
  /** The first counted call that fails (1-based). Default 1. */
  nth?: number;
  /** How many counted calls fail from the Nth on. Default 1; `Infinity` for every one. */
  times?: number;
  /**
   * put: the body errors once this many bytes went to the real store; get: the stream errors
   * once this many bytes were read. Absent: the call itself rejects before any byte moves.
   */
  afterBytes?: number;
  /** The error thrown (default: an `EIO` error saying it was injected). */
  error?: () => Error;
}

/** An error shaped like Node's I/O errors (`code`), so callers treat it as the real thing. */
export function ioError(code = 'EIO', message = 'injected storage fault'): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

interface ArmedFault extends BlobFault {
  seen: number;
  fired: number;
}

/** A gate a call waits at until the test opens it: `reached` says a call is waiting. */
export interface BlobGate {
  readonly reached: Promise<string>;
  open(): void;
}

export interface FaultyBlobStoreOptions {
  /**
   * Whether `localPath` is offered when the real store has it. Without it the import copies
   * the archive into its temp folder through `get`, as it does with S3. Default true.
   */
  localPath?: boolean;
}

export class FaultyBlobStore implements BlobStore {
  readonly kind: BlobStore['kind'];
  readonly inner: BlobStore;
  /** How many calls each method received. */
  readonly calls: Record<BlobMethod, number> = { put: 0, get: 0, head: 0, delete: 0, list: 0 };
  /** How many faults fired (each failed call or stream counts once). */
  fired = 0;
  readonly localPath?: (key: string) => string;
  #faults: ArmedFault[] = [];
  #gates: {
    method: BlobMethod;
    keyPrefix: string;
    opened: PromiseWithResolvers<void>;
    reached: PromiseWithResolvers<string>;
  }[] = [];

  constructor(inner: BlobStore, options: FaultyBlobStoreOptions = {}) {
    this.inner = inner;
    this.kind = inner.kind;
    const localPath = inner.localPath?.bind(inner);
    if (options.localPath !== false && localPath !== undefined) this.localPath = localPath;
  }

  /** Arms a fault; it stays until it fired `times` times or `clear()`. */
  inject(fault: BlobFault): this {
    this.#faults.push({ ...fault, seen: 0, fired: 0 });
    return this;
  }

  /** The next call of `method` on a key under `keyPrefix` waits until the gate is opened. */
  gate(method: BlobMethod, keyPrefix = ''): BlobGate {
    const opened = Promise.withResolvers<void>();
    const reached = Promise.withResolvers<string>();
    this.#gates.push({ method, keyPrefix, opened, reached });
    return { reached: reached.promise, open: () => opened.resolve() };
  }

  /** Disarms every fault and opens every gate. */
  clear(): void {
    this.#faults = [];
    for (const g of this.#gates.splice(0)) g.opened.resolve();
  }

  /** The fault this call triggers, if any (and counts the call for every matching fault). */
  #take(method: BlobMethod, key: string): ArmedFault | undefined {
    this.calls[method] += 1;
    let chosen: ArmedFault | undefined;
    for (const f of this.#faults) {
      if (f.method !== method || !key.startsWith(f.keyPrefix ?? '')) continue;
      f.seen += 1;
      const first = f.nth ?? 1;
      if (chosen === undefined && f.seen >= first && f.fired < (f.times ?? 1)) {
        f.fired += 1;
        chosen = f;
      }
    }
    this.#faults = this.#faults.filter((f) => f.fired < (f.times ?? 1));
    return chosen;
  }

  async #wait(method: BlobMethod, key: string): Promise<void> {
    const i = this.#gates.findIndex((g) => g.method === method && key.startsWith(g.keyPrefix));
    if (i < 0) return;
    const [g] = this.#gates.splice(i, 1);
    if (g === undefined) return;
    g.reached.resolve(key);
    await g.opened.promise;
  }

  #error(fault: BlobFault): Error {
    this.fired += 1;
    return fault.error?.() ?? ioError();
  }

  async put(
    key: string,
    body: Readable | AsyncIterable<Uint8Array>,
    opts?: BlobPutOptions,
  ): Promise<PutResult> {
    await this.#wait('put', key);
    const fault = this.#take('put', key);
    if (fault === undefined) return this.inner.put(key, body, opts);
    if (fault.afterBytes === undefined) {
      // The caller's body is left unread, as a store refusing at once would.
      throw this.#error(fault);
    }
    const limit = fault.afterBytes;
    const fail = () => this.#error(fault);
    async function* cut(): AsyncGenerator<Uint8Array> {
      let passed = 0;
      for await (const chunk of body) {
        const bytes = chunk instanceof Uint8Array ? chunk : Buffer.from(chunk as string);
        if (passed + bytes.length > limit) {
          if (limit > passed) yield bytes.subarray(0, limit - passed);
          throw fail();
        }
        passed += bytes.length;
        yield bytes;
      }
    }
    return this.inner.put(key, cut(), opts);
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    await this.#wait('get', key);
    const fault = this.#take('get', key);
    if (fault === undefined) return this.inner.get(key, range);
    if (fault.afterBytes === undefined) throw this.#error(fault);
    const source = await this.inner.get(key, range);
    const limit = fault.afterBytes;
    const fail = () => this.#error(fault);
    async function* cut(): AsyncGenerator<Buffer> {
      let passed = 0;
      // Leaving the loop by a throw destroys `source`: its file is closed.
      for await (const chunk of source) {
        const bytes = chunk as Buffer;
        if (passed + bytes.length > limit) {
          if (limit > passed) yield bytes.subarray(0, limit - passed);
          throw fail();
        }
        passed += bytes.length;
        yield bytes;
      }
    }
    return Readable.from(cut(), { objectMode: false });
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    await this.#wait('head', key);
    const fault = this.#take('head', key);
    if (fault !== undefined) throw this.#error(fault);
    return this.inner.head(key);
  }

  async delete(key: string): Promise<void> {
    await this.#wait('delete', key);
    const fault = this.#take('delete', key);
    if (fault !== undefined) throw this.#error(fault);
    return this.inner.delete(key);
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    await this.#wait('list', prefix);
    const fault = this.#take('list', prefix);
    if (fault !== undefined) throw this.#error(fault);
    yield* this.inner.list(prefix);
  }

  check(): Promise<void> {
    return this.inner.check();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Puts `wrap(store)` in front of a store every service of a runtime already holds: the
 * instance's methods are replaced by the wrapper's, which reaches the original ones. Works on
 * a runtime (or a test server's) after it was built, without a hook in `createRuntime`.
 */
export function interposeBlobStore<W extends BlobStore>(
  store: BlobStore,
  wrap: (inner: BlobStore) => W,
): W {
  const original: BlobStore = {
    kind: store.kind,
    put: store.put.bind(store),
    get: store.get.bind(store),
    head: store.head.bind(store),
    delete: store.delete.bind(store),
    list: store.list.bind(store),
    check: store.check.bind(store),
    close: store.close.bind(store),
    ...(store.localPath === undefined ? {} : { localPath: store.localPath.bind(store) }),
  };
  const outer = wrap(original);
  const target = store as unknown as Record<string, unknown>;
  for (const method of ['put', 'get', 'head', 'delete', 'list', 'check', 'close'] as const)
    target[method] = outer[method].bind(outer);
  // Own property shadowing the prototype's: undefined hides the local file (as S3 has none).
  target.localPath = outer.localPath?.bind(outer);
  return outer;
}
