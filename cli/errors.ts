/** A field-level reason, as the API gives them: `nodePools[1].count: must be >= 0`. */
export interface Detail {
  readonly path: string;
  readonly message: string;
}

/** Something went wrong with the work itself (an API refusal, a timeout, no such name): exit code 1. */
export class Failure extends Error {
  constructor(
    message: string,
    readonly details: readonly Detail[] = [],
  ) {
    super(message);
  }
}

/** The API answered with an error: its code, its message and each field it names. */
export class ApiError extends Failure {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    details: readonly Detail[] = [],
  ) {
    super(message, details);
  }
}

/** The command line itself is wrong or cannot be acted on as given: exit code 2. */
export class UsageError extends Error {}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
