import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ticketExpired, type TicketClaims } from '../../core/bootstrap.js';
import { documentClient } from './client.js';
import { table, tenantPk } from './definitions.js';
import { isConditionFailed } from './errors.js';

/**
 * One record per node: when its current ticket was issued, and when it was used. A ticket is good
 * once, within TICKET_TTL_SECONDS; the record itself expires a day later (TTL).
 */
const ticketSk = (clusterId: string, node: string) => `BOOTSTRAP#${clusterId}#${node}`;
const RECORD_TTL_SECONDS = 24 * 3600;

/**
 * The issue time of the ticket a launch of the node puts in its user data: the current one while it
 * is unused and fresh (a retried launch writes the same user data), or while it was spent within the
 * hour (the node is up and joining: the launch finds its instance, no new ticket is needed); else a
 * new one.
 */
export async function ticketIssue(tenantId: string, clusterId: string, node: string, now: Date): Promise<number> {
  const key = { pk: tenantPk(tenantId), sk: ticketSk(clusterId, node) };
  const res = await documentClient().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }));
  const current = res.Item as { issuedAt?: number; usedAt?: string } | undefined;
  if (current?.issuedAt) {
    const fresh = current.usedAt ? !ticketExpired(Math.floor(Date.parse(current.usedAt) / 1000), now) : !ticketExpired(current.issuedAt, now);
    if (fresh) return current.issuedAt;
  }
  const issuedAt = Math.floor(now.getTime() / 1000);
  try {
    await documentClient().send(
      new PutCommand({
        TableName: table(),
        Item: { ...key, kind: 'BOOTSTRAP', issuedAt, expiresAt: issuedAt + RECORD_TTL_SECONDS },
        // Only over the record just read: two launches racing settle on one ticket.
        ConditionExpression: current ? 'issuedAt = :seen' : 'attribute_not_exists(pk)',
        ExpressionAttributeValues: current ? { ':seen': current.issuedAt } : undefined,
      }),
    );
    return issuedAt;
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    return ticketIssue(tenantId, clusterId, node, now);
  }
}

/** Spend a ticket: true once for the current, fresh, unused issue; false ever after. */
export async function spendTicket(c: TicketClaims, now: Date): Promise<boolean> {
  if (ticketExpired(c.issuedAt, now)) return false;
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table(),
        Key: { pk: tenantPk(c.tenantId), sk: ticketSk(c.clusterId, c.node) },
        UpdateExpression: 'SET usedAt = :now',
        ConditionExpression: 'issuedAt = :issued AND attribute_not_exists(usedAt)',
        ExpressionAttributeValues: { ':now': now.toISOString(), ':issued': c.issuedAt },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}
