import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CreateCloudAccountInput, type CloudAccount } from '../../core/cloud-accounts.js';
import { newId } from '../../core/ids.js';
import { requireRole } from '../../core/roles.js';
import { createCloudAccount, deleteCloudAccount, getCloudAccount, listCloudAccounts } from '../../adapters/dynamodb/cloud-accounts-store.js';
import { httpApi, json, noContent, parseBody, parseQuery, pathParam, principalOf } from '../commons/http.js';
import { ListQuery } from '../commons/list-query.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';

/** Where clusters run: an AWS role to assume, an Azure service principal, or the simulated cloud. */
export const handler = middy(
  router({
    'GET /v1/cloudaccounts': async (event) => {
      const who = principalOf(event);
      return json(200, await listCloudAccounts(who.tenantId, parseQuery(event, ListQuery)));
    },
    'POST /v1/cloudaccounts': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'admin');
      const input = parseBody(event, CreateCloudAccountInput);
      const account: CloudAccount = { id: newId('ca'), ...input, createdAt: new Date().toISOString() };
      await createCloudAccount(who.tenantId, account);
      return json(201, account);
    },
    'GET /v1/cloudaccounts/{id}': async (event) => {
      const who = principalOf(event);
      return json(200, await getCloudAccount(who.tenantId, pathParam(event, 'id')));
    },
    'DELETE /v1/cloudaccounts/{id}': async (event) => {
      const who = principalOf(event);
      requireRole(who, 'admin');
      await deleteCloudAccount(who.tenantId, await getCloudAccount(who.tenantId, pathParam(event, 'id')));
      return noContent();
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
