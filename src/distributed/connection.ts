/**
 * Redis connections of coordinators and workers: a `redis://` / `rediss://` URL (ACL user and
 * password in the URL or given apart, TLS for rediss) turned into ioredis options, a probe
 * that fails in bounded time with a clear message (unreachable, password needed, wrong
 * password), and a redacted form of the URL for every message: credentials are never logged.
 */
import type { Redis, RedisOptions } from 'ioredis';

/** Where Redis is: a URL, or a URL with credentials and TLS options given apart. */
export type RedisConnection =
  | string
  | {
      url: string;
      username?: string;
      password?: string;
      /** TLS options (CA, client certificate) for rediss://; `true` for the system's CAs. */
      tls?: RedisOptions['tls'] | true;
    };

/** Parsed connection: ioredis options plus a printable, credential-free address. */
export interface ResolvedConnection {
  options: RedisOptions;
  /** e.g. `rediss://127.0.0.1:6380/0` (no user, no password). */
  address: string;
}

/**
 * Turns a connection into ioredis options.
 * @param where - operation name for error messages
 * @param connection - URL or URL with credentials
 * @returns options and the redacted address
 */
export function resolveConnection(where: string, connection: RedisConnection): ResolvedConnection {
  const given = typeof connection === 'string' ? { url: connection } : connection;
  if (given === null || typeof given !== 'object' || typeof given.url !== 'string') {
    throw new TypeError(`${where}: connection must be a redis:// or rediss:// URL (or { url, username, password, tls })`);
  }
  let url: URL;
  try {
    url = new URL(given.url);
  } catch {
    throw new TypeError(`${where}: connection is not a valid URL (expected redis://host:port or rediss://host:port)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TypeError(`${where}: connection must use redis:// or rediss://, got ${url.protocol}//`);
  }
  const port = url.port === '' ? 6379 : Number(url.port);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new RangeError(`${where}: connection: database '${url.pathname.slice(1)}' is not a non-negative integer`);
  const username = given.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = given.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  const tls = url.protocol === 'rediss:' ? (given.tls === true || given.tls === undefined ? {} : given.tls) : undefined;
  const options: RedisOptions = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls ? { tls } : {}),
  };
  return { options, address: `${url.protocol}//${url.host}/${db}` };
}

/** Redis did not answer, or refused us: the message names the address, never the credentials. */
export class RedisUnavailableError extends Error {
  readonly code = 'ERR_TDAKIT_REDIS';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

/** A message safe to print: any password that slipped into a library's message is cut out. */
export function redact(message: string, connection: ResolvedConnection): string {
  const secret = connection.options.password;
  return secret ? message.split(secret).join('***') : message;
}

/**
 * Connects once, without retries, and checks the server answers PING with our credentials.
 * @param where - operation name for error messages
 * @param connection - resolved connection
 * @param timeoutMs - bound on the whole probe
 * @returns a connected client (the caller closes it)
 */
export async function probeRedis(where: string, connection: ResolvedConnection, timeoutMs = 5000): Promise<Redis> {
  const { Redis } = await import('ioredis'); // loaded only by distributed runs
  const client = new Redis({
    ...connection.options,
    lazyConnect: true,
    enableReadyCheck: false, // our PING below reports NOAUTH itself
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  client.on('error', (e: Error) => (lastError = e)); // an AUTH failure arrives here, the command only sees a closed stream
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return client;
  } catch (err) {
    client.disconnect();
    // The connection's own error (refused, AUTH failed, TLS) says more than "Connection is closed".
    const cause = lastError && /Connection is closed|Stream isn't writeable/i.test((err as Error)?.message ?? '') ? lastError : err;
    const raw = redact((cause as Error)?.message ?? String(cause), connection);
    let hint = '';
    if (/NOAUTH/i.test(raw)) hint = ': the server requires a password (give it in the URL, redis://user:password@host:port, or TDAKIT_REDIS_PASSWORD for the command line)';
    else if (/WRONGPASS|invalid username-password/i.test(raw)) hint = ': the user name or password is wrong';
    else if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|no answer|Connection is closed/i.test(raw)) hint = ': is redis-server running there and reachable?';
    throw new RedisUnavailableError(`${where}: cannot use Redis at ${connection.address} (${raw})${hint}`);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
