import { TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../../../core/errors.js';
import { putNew, transact } from '../../../../adapters/dynamodb/definitions.js';
import { asDomainError } from '../../../../functions/commons/http.js';

// DynamoDB Local serialises transactions, so it never reports a conflict: the SDK boundary does.
const ddb = mockClient(DynamoDBDocumentClient);
const cancelled = (code: string) =>
  new TransactionCanceledException({ message: `Transaction cancelled [${code}]`, $metadata: {}, CancellationReasons: [{ Code: code }] });

describe('transactions that meet another transaction', () => {
  beforeAll(() => {
    Object.assign(process.env, { DEFINITIONS_TABLE: 'definitions', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  });
  beforeEach(() => ddb.reset());
  afterAll(() => ddb.restore());

  it('are tried again, and succeed once the other one is done', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict')).rejectsOnce(cancelled('TransactionConflict')).resolves({});
    await transact([putNew({ pk: 'T#a', sk: 'X#1' })]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });

  it('answer 409 when the conflict persists, never a 500', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('TransactionConflict'));
    const err = await transact([putNew({ pk: 'T#a', sk: 'X#1' })]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).status).toBe(409);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(4);
  });

  it('keep a failed condition a failed condition (no retry)', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed'));
    const err = await transact([putNew({ pk: 'T#a', sk: 'X#1' })], () => new DomainError(409, 'Conflict', 'name taken')).catch((e: unknown) => e);
    expect((err as DomainError).message).toBe('name taken');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('map a single write refused by a transaction in flight to 409', () => {
    const mapped = asDomainError(new TransactionConflictException({ message: 'conflict', $metadata: {} }));
    expect(mapped).toBeInstanceOf(DomainError);
    expect((mapped as DomainError).status).toBe(409);
  });
});
