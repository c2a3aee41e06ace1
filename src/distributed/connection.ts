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
    throw new TypeError(
      `${where}: connection must be a redis:// or rediss:// URL (or { url, username, password, tls })`,
    );
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
  if (!Number.isInteger(db) || db < 0)
    throw new RangeError(`${where}: connection: database '${url.pathname.slice(1)}' is not a non-negative integer`);
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

/**
 * How the long-lived clients of one coordinator run or one worker reconnect: after a blip they
 * retry with backoff (Redis restarted), until `stop()`. From then on the next failed attempt
 * ends each client and fails the commands it was holding. With ioredis' default policy a client
 * of a Redis that is gone reconnects for ever and keeps its process alive.
 */
export class ReconnectPolicy {
  private givenUp = false;
  /** ioredis `retryStrategy`: a delay in ms, or null (end the client) once stopped. */
  readonly retryStrategy = (attempt: number): number | null =>
    this.givenUp ? null : Math.min(100 * 2 ** Math.min(attempt, 5), 2000);
  /** Clients give up at their next failed attempt (at most about 2 s plus the connect timeout away). */
  stop(): void {
    this.givenUp = true;
  }
  /** Whether `stop()` was called. */
  get stopped(): boolean {
    return this.givenUp;
  }
}

/**
 * Whether `step` settles (either way) within `ms`; never rejects, and leaves no timer behind.
 * @param step - a clean-up step that may wait on a Redis that is gone
 * @param ms - the bound
 * @returns true if it settled in time
 */
export async function settlesWithin(step: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      step.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether Redis answers a PING on `client` within `ms`. A graceful close (QUIT, BullMQ's
 * disconnect that waits for 'end') is tried only then: of a client between two reconnect
 * attempts it never ends, since ioredis emits no 'end' for it.
 * @param client - a connected client of ours
 * @param ms - the bound
 * @returns true if PONG came back in time
 */
export async function answers(client: Redis, ms: number): Promise<boolean> {
  let ok = false;
  await settlesWithin(
    client.ping().then(() => (ok = true)),
    ms,
  );
  return ok;
}

/**
 * Closes the clients of a run or a worker on every path, leaving nothing that reconnects or
 * waits on Redis: gracefully while Redis answers (for as long as it keeps answering: a worker's
 * active jobs finish and report), otherwise by stopping the reconnect policy and dropping them.
 * @param health - a client of ours whose PING tells whether Redis answers
 * @param policy - the clients' reconnect policy
 * @param close - starts closing; `graceful` false: without waiting on Redis
 * @param drop - disconnects the clients without waiting
 * @returns once nothing of ours waits on Redis any more
 */
export async function closeClients(
  health: Redis,
  policy: ReconnectPolicy,
  close: (graceful: boolean) => Promise<unknown>,
  drop: () => void,
): Promise<void> {
  const graceful = !policy.stopped && (await answers(health, 1000));
  if (!graceful) policy.stop();
  const closing = close(graceful);
  if (graceful) {
    while (!(await settlesWithin(closing, 5000)) && !policy.stopped && (await answers(health, 1000)));
    // Redis went away during the close: held commands fail once the clients give up.
    policy.stop();
  }
  await settlesWithin(closing, graceful ? 10_000 : 1000);
  drop();
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
    const cause =
      lastError && /Connection is closed|Stream isn't writeable/i.test((err as Error)?.message ?? '') ? lastError : err;
    const raw = redact((cause as Error)?.message ?? String(cause), connection);
    let hint = '';
    if (/NOAUTH/i.test(raw))
      hint =
        ': the server requires a password (give it in the URL, redis://user:password@host:port, or TDAKIT_REDIS_PASSWORD for the command line)';
    else if (/WRONGPASS|invalid username-password/i.test(raw)) hint = ': the user name or password is wrong';
    else if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|no answer|Connection is closed/i.test(raw))
      hint = ': is redis-server running there and reachable?';
    throw new RedisUnavailableError(`${where}: cannot use Redis at ${connection.address} (${raw})${hint}`);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
