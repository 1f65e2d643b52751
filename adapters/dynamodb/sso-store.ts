import { DEFAULT_SIGN_IN_SCOPES, type SsoConfig } from '../../core/sso.js';
import { conflict } from '../../core/errors.js';
import { getItem, table, tenantPk, transact, type TransactItem } from './definitions.js';

/**
 * A tenant's sign-in settings, twice: in the tenant's partition (what its admins read and change)
 * and under the provider's issuer and client id, which is all an ID token names, so the authorizer
 * finds the tenant and its group mapping with one read. One provider client belongs to one tenant.
 */
const configKey = (tenantId: string) => ({ pk: tenantPk(tenantId), sk: 'SSO' });
const lookupKey = (issuer: string, clientId: string) => ({ pk: `SSO#${issuer}#CLIENT#${clientId}`, sk: 'SSO' });

type Stored = SsoConfig & { readonly version: number };

/** Settings saved before scopes were a setting asked for the defaults. */
const configOf = ({ version: _version, ...config }: Stored): SsoConfig => ({ ...config, scopes: config.scopes ?? [...DEFAULT_SIGN_IN_SCOPES] });

export async function getSsoConfig(tenantId: string): Promise<SsoConfig | undefined> {
  const k = configKey(tenantId);
  const item = await getItem<Stored>(k.pk, k.sk);
  return item && configOf(item);
}

/** The settings an ID token's issuer and audience lead to, for the authorizer. */
export async function findSsoByClient(issuer: string, clientId: string): Promise<SsoConfig | undefined> {
  const k = lookupKey(issuer, clientId);
  const item = await getItem<Stored>(k.pk, k.sk);
  return item && configOf(item);
}

async function current(tenantId: string): Promise<Stored | undefined> {
  const k = configKey(tenantId);
  return getItem<Stored>(k.pk, k.sk);
}

/** The tenant's item only if it is still the version read; the look-up only if free or already this tenant's. */
function guardedPuts(config: SsoConfig, before: Stored | undefined): TransactItem[] {
  const version = (before?.version ?? 0) + 1;
  const item = { ...config, version };
  return [
    {
      Put: {
        TableName: table(),
        Item: { ...configKey(config.tenantId), kind: 'SSO', ...item },
        ConditionExpression: before ? '#v = :v' : 'attribute_not_exists(pk)',
        ...(before ? { ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': before.version } } : {}),
      },
    },
    {
      Put: {
        TableName: table(),
        Item: { ...lookupKey(config.issuer, config.clientId), kind: 'SSOCLIENT', ...item },
        ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :t',
        ExpressionAttributeValues: { ':t': config.tenantId },
      },
    },
  ];
}

const movedAway = (before: Stored | undefined, config: SsoConfig) => before && (before.issuer !== config.issuer || before.clientId !== config.clientId);

/** Set (or replace) a tenant's sign-in settings; 409 when another tenant already uses this client of this provider. */
export async function putSsoConfig(config: SsoConfig): Promise<SsoConfig> {
  const before = await current(config.tenantId);
  const items = guardedPuts(config, before);
  if (movedAway(before, config)) {
    const old = lookupKey(before!.issuer, before!.clientId);
    items.push({ Delete: { TableName: table(), Key: old, ConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': config.tenantId } } });
  }
  await transact(items, (i) =>
    i === 1
      ? conflict(`client ${config.clientId} of ${config.issuer} signs in to another tenant; register a client of its own for this one`, 'clientId')
      : conflict('the sign-in settings changed meanwhile; read them again and retry'),
  );
  return config;
}

/** Remove a tenant's sign-in; false when it had none. Signed-in users are refused from the next uncached request. */
export async function deleteSsoConfig(tenantId: string): Promise<boolean> {
  const before = await current(tenantId);
  if (!before) return false;
  await transact(
    [
      { Delete: { TableName: table(), Key: configKey(tenantId), ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': before.version } } },
      { Delete: { TableName: table(), Key: lookupKey(before.issuer, before.clientId), ConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': tenantId } } },
    ],
    () => conflict('the sign-in settings changed meanwhile; read them again and retry'),
  );
  return true;
}
