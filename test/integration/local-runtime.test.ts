import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoLocal, type DynamoLocal } from '../../local/dynamodb-local.js';
import { startS3Local, type S3Local } from '../../local/s3-local.js';

/** An address of this machine that is not loopback, if it has one. */
function outsideAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') return a.address;
  }
  return undefined;
}

/** Does anything accept a TCP connection at host:port? */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

describe('local runtime', () => {
  let dynamo: DynamoLocal;
  let s3: S3Local;
  beforeAll(async () => {
    [dynamo, s3] = await Promise.all([startDynamoLocal(), startS3Local()]);
  });
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), s3?.stop()]);
  });

  it('serves DynamoDB Local and s3rver on 127.0.0.1 only, never on the machine’s other addresses', async () => {
    const outside = outsideAddress();
    for (const endpoint of [dynamo.endpoint, s3.endpoint]) {
      const port = Number(new URL(endpoint).port);
      expect(new URL(endpoint).hostname).toBe('127.0.0.1');
      expect(await accepts('127.0.0.1', port), endpoint).toBe(true);
      if (outside) expect(await accepts(outside, port), `${endpoint} on ${outside}`).toBe(false);
    }
  });
});
