import { afterAll, beforeAll } from 'vitest';
import { startMoto, type Moto } from '../../../moto.js';
import { secretsStoreCases, useSsmEndpoint } from './store-cases.js';

/** The secrets store against moto's Parameter Store, one server for the file. */
let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
  useSsmEndpoint(moto.endpoint);
});
afterAll(() => moto?.stop());

secretsStoreCases(() => moto.endpoint);
