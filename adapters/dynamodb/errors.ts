import { ConditionalCheckFailedException, TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';

/** Indexes of the transaction items whose condition failed. */
export function failedConditions(err: unknown): number[] | undefined {
  if (!(err instanceof TransactionCanceledException)) return undefined;
  const out: number[] = [];
  (err.CancellationReasons ?? []).forEach((r, i) => {
    if (r.Code === 'ConditionalCheckFailed') out.push(i);
  });
  return out;
}

export function isConditionFailed(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException;
}

/**
 * Another transaction held one of the items at the same moment: a transaction cancelled with
 * reason TransactionConflict, or a single write refused with TransactionConflictException. The
 * SDK does not retry either; nothing was written, so the request may simply be tried again.
 */
export function isTransactionConflict(err: unknown): boolean {
  if (err instanceof TransactionConflictException) return true;
  if (!(err instanceof TransactionCanceledException)) return false;
  const reasons = err.CancellationReasons ?? [];
  return reasons.some((r) => r.Code === 'TransactionConflict') && !reasons.some((r) => r.Code === 'ConditionalCheckFailed');
}
