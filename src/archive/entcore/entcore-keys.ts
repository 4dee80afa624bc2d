/**
 * The public keys of Open ENT NG platforms whose archives this instance trusts: RSA keys (PEM,
 * SPKI) given in TRUSTED_ENTCORE_KEYS (a file path or the PEM itself) or added with
 * `mes-donnees keys trust --entcore`.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { keyId, type TrustedKey } from '../keys.ts';

/** Where `keys trust --entcore` keeps the keys it is given. */
export function trustedEntcoreKeysDir(signingKeyFile: string): string {
  return path.join(path.dirname(signingKeyFile), 'trusted-entcore');
}

function rsaKey(pem: string, source: string): TrustedKey {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(pem);
  } catch {
    throw new Error(`${source}: not a PEM public key`);
  }
  if (publicKey.asymmetricKeyType !== 'rsa') throw new Error(`${source}: not an RSA public key`);
  return { id: keyId(publicKey), publicKey, source };
}

/** Each source is a PEM file's path or the PEM itself (`\n` may stand for line breaks). */
export async function loadEntcoreKeys(sources: readonly string[]): Promise<TrustedKey[]> {
  const keys: TrustedKey[] = [];
  for (const source of sources) {
    if (source.includes('-----BEGIN')) keys.push(rsaKey(source.replace(/\\n/g, '\n'), 'inline'));
    else keys.push(rsaKey(await fs.readFile(source, 'utf8'), source));
  }
  return keys;
}

/** TRUSTED_ENTCORE_KEYS and the keys added with `keys trust --entcore`. */
export async function allTrustedEntcoreKeys(config: {
  trustedEntcoreKeys: readonly string[];
  signingKeyFile: string;
}): Promise<TrustedKey[]> {
  const dir = trustedEntcoreKeysDir(config.signingKeyFile);
  const added = await fs.readdir(dir).then(
    (names) => names.filter((n) => n.endsWith('.pem')).map((n) => path.join(dir, n)),
    () => [],
  );
  return loadEntcoreKeys([...config.trustedEntcoreKeys, ...added]);
}

/** Copies an Open ENT NG platform's public key into the trusted ones (validated). */
export async function trustEntcoreKey(file: string, signingKeyFile: string): Promise<TrustedKey> {
  const [key] = await loadEntcoreKeys([file]);
  if (key === undefined) throw new Error('No key found');
  const dir = trustedEntcoreKeysDir(signingKeyFile);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  await fs.writeFile(path.join(dir, `${key.id}.pem`), pem, { mode: 0o600 });
  return key;
}
