/** Errors thrown by tdakit. Argument problems are TypeError/RangeError with the argument named. */

/** A numerical failure the caller can act on: singular system, separable data, no convergence. */
export class NumericError extends Error {
  readonly code = 'ERR_TDAKIT_NUMERIC';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NumericError';
  }
}

/** The operation was cancelled through an AbortSignal. */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message = 'the operation was aborted') {
    super(message);
    this.name = 'AbortError';
  }
}

/**
 * Re-throws a rejection of the native core with the calling operation's name, keeping numeric
 * failures distinguishable (NumericError) from everything else.
 */
export function rethrowNative(operation: string, err: unknown): never {
  const e = err as { code?: string; message?: string };
  const message = `${operation}: ${(e?.message ?? String(err)).replace(/^tdakit native \w+: /, '')}`;
  if (e?.code === 'ERR_TDAKIT_NUMERIC') throw new NumericError(message, { cause: err });
  if (err instanceof TypeError) throw new TypeError(message, { cause: err });
  if (err instanceof RangeError) throw new RangeError(message, { cause: err });
  throw new Error(message, { cause: err });
}

/**
 * Runs a native (backend) call and re-throws its failure with the operation named (see
 * `rethrowNative`): the one wrapper every model and analysis uses around the core.
 * @param operation - name for the error message, e.g. 'LogisticRegression.losses'
 * @param run - the call
 * @returns what the call resolves to
 */
export async function callNative<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    rethrowNative(operation, err);
  }
}

/** A file tdakit wrote earlier fails its checksum or format check (names the file). */
export class IntegrityError extends Error {
  readonly code = 'ERR_TDAKIT_INTEGRITY';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'IntegrityError';
  }
}

/** A call into user code (an external model) did not settle within its time limit. */
export class TimeoutError extends Error {
  readonly code = 'ERR_TDAKIT_TIMEOUT';
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}
