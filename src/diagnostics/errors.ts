/**
 * User-facing errors carry a stable `code`, a human message and an optional hint.
 * The CLI's single error boundary prints them without a stack trace (unless --debug)
 * and exits 1; anything that is not an OutflowError is an internal error.
 */
export class OutflowError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly meta: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    options: { hint?: string; meta?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OutflowError';
    this.code = code;
    this.hint = options.hint;
    this.meta = options.meta ?? {};
  }
}

/** JSON shape of an error for `--format json`. */
export interface ErrorEnvelope {
  error: { code: string; message: string; hint?: string; meta?: Record<string, unknown> };
}

export function errorToEnvelope(err: unknown): ErrorEnvelope {
  if (err instanceof OutflowError) {
    return {
      error: {
        code: err.code,
        message: err.message,
        ...(err.hint === undefined ? {} : { hint: err.hint }),
        ...(Object.keys(err.meta).length === 0 ? {} : { meta: err.meta }),
      },
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    error: { code: 'internal', message, hint: 'this is a bug in outflow; rerun with --debug and report it' },
  };
}

/** An error as the CLI prints it: `error[code]: message` and its hint, or an internal error. */
export function errorToText(err: unknown): string {
  if (err instanceof OutflowError)
    return `error[${err.code}]: ${err.message}${err.hint === undefined ? '' : `\n  hint: ${err.hint}`}`;
  const message = err instanceof Error ? err.message : String(err);
  return `internal error: ${message}\n  hint: this is a bug in outflow; rerun with --debug for details and report it`;
}

/** The stable code of an error: the OutflowError's, or `internal` for anything else. */
export function errorCode(err: unknown): string {
  return err instanceof OutflowError ? err.code : 'internal';
}

/** The one-line message of any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
