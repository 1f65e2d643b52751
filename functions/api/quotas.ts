import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { notFound } from '../../core/errors.js';
import { SetQuotasInput, applyQuotas } from '../../core/quotas.js';
import { requireOperator } from '../../core/roles.js';
import { getQuotas, setQuotas } from '../../adapters/dynamodb/quotas-store.js';
import { getTenant } from '../../adapters/dynamodb/tenants-store.js';
import { httpApi, json, parseBody, pathParam, principalOf } from '../commons/http.js';
import { logger } from '../commons/powertools.js';
import { router } from '../commons/router.js';

const view = async (tenantId: string, state?: Awaited<ReturnType<typeof getQuotas>>) => ({ tenantId, ...(state ?? (await getQuotas(tenantId))) });

/** A tenant that exists, for an operator naming it. */
async function tenantOf(id: string): Promise<string> {
  if (!(await getTenant(id))) throw notFound('tenant', id, 'path.id');
  return id;
}

/** Quotas: platform operators set them per tenant; every member of a tenant may read its own. */
export const handler = middy(
  router({
    'GET /v1/quotas': async (event) => json(200, await view(principalOf(event).tenantId)),
    'GET /v1/tenants/{id}/quotas': async (event) => {
      requireOperator(principalOf(event));
      return json(200, await view(await tenantOf(pathParam(event, 'id'))));
    },
    'PUT /v1/tenants/{id}/quotas': async (event) => {
      requireOperator(principalOf(event));
      const tenantId = await tenantOf(pathParam(event, 'id'));
      const input = parseBody(event, SetQuotasInput);
      const { quotas } = await getQuotas(tenantId);
      return json(200, await view(tenantId, await setQuotas(tenantId, applyQuotas(quotas, input))));
    },
  }),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpApi());
