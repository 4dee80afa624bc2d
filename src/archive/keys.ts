import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface InstanceKey {
  /** Stable id of the public key: the first 16 bytes of the SHA-256 of its SPKI DER, hex. */
  readonly id: string;
  readonly publicKeyPem: string;
  sign(bytes: Uint8Array): string;
}

export interface TrustedKey {
  readonly id: string;
  readonly publicKey: KeyObject;
  readonly source: string;
}

export function keyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 32);
}

function fromPrivate(privateKey: KeyObject): InstanceKey {
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error('The instance key must be an Ed25519 key');
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    id: keyId(publicKey),
    publicKeyPem,
    // Ed25519 signs the message itself (no separate digest): algorithm null.
    sign: (bytes) => sign(null, bytes, privateKey).toString('base64'),
  };
}

/**
 * The instance's signing key: read from `file`, or made there on first start (mode 0600,
 * written atomically so two processes starting together end up with one key).
 */
export async function loadOrCreateInstanceKey(file: string): Promise<InstanceKey> {
  try {
    return fromPrivate(createPrivateKey(await fs.readFile(file, 'utf8')));
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
  }
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, pem, { mode: 0o600 });
  try {
    await fs.link(tmp, file); // fails if another process made the key first: theirs wins
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return fromPrivate(createPrivateKey(await fs.readFile(file, 'utf8')));
}

/** Where `mes-donnees keys trust` keeps the public keys it is given. */
export function trustedKeysDir(signingKeyFile: string): string {
  return path.join(path.dirname(signingKeyFile), 'trusted');
}

/**
 * The keys whose archives this instance trusts: its own, the files of TRUSTED_KEYS, and those
 * added with `keys trust`.
 */
export async function allTrustedKeys(
  own: InstanceKey,
  config: { trustedKeys: readonly string[]; signingKeyFile: string },
): Promise<TrustedKey[]> {
  const dir = trustedKeysDir(config.signingKeyFile);
  const added = await fs.readdir(dir).then(
    (names) => names.filter((n) => n.endsWith('.pem')).map((n) => path.join(dir, n)),
    () => [],
  );
  const others = await loadTrustedKeys([...config.trustedKeys, ...added]);
  return [
    { id: own.id, publicKey: createPublicKey(own.publicKeyPem), source: 'this instance' },
    ...others,
  ];
}

/** Copies a public key into the trusted keys (validated; named by its id). */
export async function trustKey(file: string, signingKeyFile: string): Promise<TrustedKey> {
  const [key] = await loadTrustedKeys([file]);
  if (key === undefined) throw new Error('No key found');
  const dir = trustedKeysDir(signingKeyFile);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  // Who is trusted is the service's own business: nobody else reads or changes the list.
  await fs.writeFile(path.join(dir, `${key.id}.pem`), pem, { mode: 0o600 });
  return key;
}

/** Public keys of other instances whose archives this one trusts (PEM files, SPKI). */
export async function loadTrustedKeys(files: readonly string[]): Promise<TrustedKey[]> {
  const keys: TrustedKey[] = [];
  for (const source of files) {
    const publicKey = createPublicKey(await fs.readFile(source, 'utf8'));
    if (publicKey.asymmetricKeyType !== 'ed25519')
      throw new Error(`${source}: not an Ed25519 public key`);
    keys.push({ id: keyId(publicKey), publicKey, source });
  }
  return keys;
}

export function verifySignature(
  bytes: Uint8Array,
  signatureBase64: string,
  publicKey: KeyObject,
): boolean {
  try {
    return verify(null, bytes, publicKey, Buffer.from(signatureBase64.trim(), 'base64'));
  } catch {
    return false;
  }
}
