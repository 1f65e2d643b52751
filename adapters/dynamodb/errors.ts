import { TransactionCanceledException, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

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
