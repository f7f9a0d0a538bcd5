import { z } from 'zod';
import type { Deadline } from '../../zitadel/deadline.js';
import type { ZitadelCall } from '../../zitadel/transport.js';
import {
  actionsPaginationSchema,
  searchActions,
  targetPath,
  type ActionsApiVersion,
} from './actionsSearch.js';

/** A public key uploaded to a target for JWE payloads (proto/zitadel/action/v2/target.proto `PublicKey`). */
export interface TargetPublicKey {
  readonly keyId: string;
  readonly active: boolean;
  /** The PEM ZITADEL stores (bytes in the proto, base64 in JSON); undefined when it did not send it. */
  readonly publicKeyPem: string | undefined;
  readonly expirationDate: string | undefined;
}

const publicKeySchema = z.object({
  keyId: z.string().min(1),
  active: z.boolean().optional(),
  publicKey: z.string().optional(),
  expirationDate: z.string().optional(),
});
const listPublicKeysResponseSchema = z.object({
  pagination: actionsPaginationSchema,
  publicKeys: z.array(publicKeySchema).optional(),
});

/** A target's encryption keys for JWE payloads (ZITADEL 4.8+). */
export interface ZitadelPublicKeysApi {
  /** The public keys uploaded to a target for JWE payloads. */
  listPublicKeys(
    args: { api: ActionsApiVersion; targetId: string },
    deadline: Deadline,
  ): Promise<TargetPublicKey[]>;
  /** Uploads a PEM public key to a target; answers its key id (the JWE `kid`). */
  addPublicKey(
    args: { api: ActionsApiVersion; targetId: string; publicKeyPem: string },
    deadline: Deadline,
  ): Promise<string>;
  /** Makes the key the target's one active encryption key. */
  activatePublicKey(
    args: { api: ActionsApiVersion; targetId: string; keyId: string },
    deadline: Deadline,
  ): Promise<void>;
}

/** The public-key calls' names in metrics, logs and errors. */
export type PublicKeyOperation = 'list_public_keys' | 'add_public_key' | 'activate_public_key';

export function createPublicKeysApi(call: ZitadelCall<PublicKeyOperation>): ZitadelPublicKeysApi {
  return {
    async listPublicKeys({ api, targetId }, deadline) {
      const keys = await searchActions(
        call,
        'list_public_keys',
        `${targetPath(api, targetId)}/publickeys/search`,
        {},
        listPublicKeysResponseSchema,
        (page) => page.publicKeys,
        deadline,
      );
      return keys.map((key) => ({
        keyId: key.keyId,
        active: key.active ?? false,
        // `bytes` in the proto: base64 in protojson.
        publicKeyPem:
          key.publicKey === undefined ? undefined : Buffer.from(key.publicKey, 'base64').toString('utf8'),
        expirationDate: key.expirationDate,
      }));
    },

    async addPublicKey({ api, targetId, publicKeyPem }, deadline) {
      const answer = await call(
        'add_public_key',
        {
          method: 'POST',
          url: `${targetPath(api, targetId)}/publickeys`,
          data: { publicKey: Buffer.from(publicKeyPem, 'utf8').toString('base64') },
        },
        z.object({ keyId: z.string().min(1) }),
        deadline,
      );
      return answer.keyId;
    },

    async activatePublicKey({ api, targetId, keyId }, deadline) {
      await call(
        'activate_public_key',
        {
          method: 'POST',
          url: `${targetPath(api, targetId)}/publickeys/${encodeURIComponent(keyId)}/activate`,
          data: {},
        },
        z.unknown(),
        deadline,
      );
    },
  };
}
