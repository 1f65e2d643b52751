import { task, type WorkflowDefinition } from './definition.js';
import type { TaskName } from './tasks.js';

/** Bake (or copy) one node image. Input: {tenantId, imageId, attempt}. */
export const bakeImage: WorkflowDefinition<TaskName> = {
  id: 'bake',
  file: 'bake-image',
  comment: 'Bake a node image from an OS pack (or copy one made in another region), then always terminate the builder. Input: {tenantId, imageId, attempt}.',
  steps: [
    task('LaunchBuilder', 'LaunchBuilder', 'BuilderLaunched: a builder VM from the base image, with the generated playbook in its user data'),
    task('Customize', 'AwaitCustomization', 'ImageCustomized: the builder reports the playbook outcome'),
    task('CreateImage', 'CreateImage', 'ImageCreated: stop the builder, make the image, tag it with the signature, wait until available'),
    task('CopyImage', 'CopyImage', 'ImageCopied: copy the image of the same signature from another region'),
    task('Finish', 'FinishBake', 'BuilderTerminated, then the image turns Available or Failed'),
  ],
  succeed: 'Finished',
  stopped: 'the image was deleted, or a newer attempt took over',
};
