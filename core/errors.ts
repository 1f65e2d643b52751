/** Errors a caller can act on. Each maps to one HTTP status; `details` name the fields. */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
    this.name = code;
  }
}

export const badRequest = (message: string, details: readonly ErrorDetail[] = []) =>
  new DomainError(400, 'BadRequest', message, details);

/** One invalid field: the message names it. */
export const invalidField = (path: string, message: string) =>
  new DomainError(400, 'ValidationError', `${path}: ${message}`, [{ path, message }]);

export const validationFailed = (details: readonly ErrorDetail[]) =>
  new DomainError(
    400,
    'ValidationError',
    details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; '),
    details,
  );

/** What a request without a usable credential is told, by the gateway and by the handlers alike. */
export const UNAUTHORIZED_MESSAGE = 'a valid API key or ID token is required: Authorization: Bearer <key or token>';

export const unauthorized = (message = UNAUTHORIZED_MESSAGE) =>
  new DomainError(401, 'Unauthorized', message, [{ path: 'headers.authorization', message }]);

/** The caller's key may not do this: the detail points at the key. */
export const forbidden = (message: string, path = 'headers.authorization') => new DomainError(403, 'Forbidden', message, [{ path, message }]);

export const notFound = (kind: string, id: string, path = 'id') =>
  new DomainError(404, 'NotFound', `${kind} ${id} not found`, [{ path, message: `no ${kind} with id ${id}` }]);

export const conflict = (message: string, path = 'id') => new DomainError(409, 'Conflict', message, [{ path, message }]);

export const payloadTooLarge = (limit: number) =>
  new DomainError(413, 'PayloadTooLarge', `request body exceeds ${limit} bytes`, [
    { path: 'body', message: `larger than ${limit} bytes` },
  ]);

export const unsupportedMediaType = (got: string | undefined) =>
  new DomainError(415, 'UnsupportedMediaType', `request bodies must be application/json, not ${got ?? 'untyped'}`, [
    { path: 'headers.content-type', message: 'must be application/json' },
  ]);
