/**
 * Writes statemachines/*.asl.json from the workflow definitions (functions/workflows/): run
 * `npm run statemachines` after changing one, and commit the result. A test fails while a
 * committed file differs from what its definition generates.
 */
import { writeFileSync } from 'node:fs';
import { aslText } from '../functions/workflows/definition.js';
import { WORKFLOWS, aslFile, type WorkflowId } from '../functions/workflows/registry.js';

for (const id of Object.keys(WORKFLOWS) as WorkflowId[]) {
  writeFileSync(aslFile(id), aslText(WORKFLOWS[id]));
  console.log(`wrote ${aslFile(id)}`);
}
