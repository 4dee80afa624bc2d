import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Profile } from '../../src/db/schema.ts';
import type { User } from '../../src/platform/accounts.service.ts';
import { makeUser, TEST_PASSWORD } from './factories.ts';
import type { TestServer } from './test-server.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

/**
 * A user logged in on a test server: the cookie (and Origin) headers for `app.inject` and for
 * real HTTP, and shortcuts making requests with them.
 */
export class Session {
  readonly server: TestServer;
  readonly user: User;
  /** Cookie and Origin headers for `app.inject`. */
  readonly inject: Record<string, string>;
  /** Cookie and Origin headers for `fetch` on the real listener. */
  readonly http: Record<string, string>;

  constructor(
    server: TestServer,
    user: User,
    headers: { inject: Record<string, string>; http: Record<string, string> },
  ) {
    this.server = server;
    this.user = user;
    this.inject = headers.inject;
    this.http = headers.http;
  }

  /** Logs `user` in (with the factories' password unless told otherwise). */
  static async of(server: TestServer, user: User, password = TEST_PASSWORD): Promise<Session> {
    return new Session(server, user, await server.login(user.login, password));
  }

  /** An in-process request (`app.inject`) with this session's cookie; JSON `payload` if any. */
  request(
    method: Method,
    url: string,
    payload?: InjectOptions['payload'],
  ): Promise<LightMyRequestResponse> {
    return this.server.app.inject({
      method,
      url,
      headers: this.inject,
      ...(payload === undefined ? {} : { payload }),
    });
  }

  /** A real HTTP request to the server's listener with this session's cookie. */
  fetch(url: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.server.url}${url}`, {
      ...init,
      headers: { ...this.http, ...Object.fromEntries(new Headers(init.headers).entries()) },
    });
  }

  /** Uploads one file as a multipart form (field `file`) with real HTTP. */
  upload(url: string, name: string, bytes: Uint8Array): Promise<Response> {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(bytes)]), name);
    return this.fetch(url, { method: 'POST', body: form });
  }
}

/** A new user of `profile` (see `makeUser`), logged in on `server`. */
export async function newSession(
  server: TestServer,
  profile: Profile = 'Student',
  extra: { quota?: number; email?: string } = {},
): Promise<Session> {
  return Session.of(server, await makeUser(server.t.runtime.platform, profile, extra));
}
