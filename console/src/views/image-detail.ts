import { ApiError, api, get } from '../api';
import { facts, fill, h, table, uid } from '../dom';
import { ago, plural, time } from '../format';
import { REFRESH_MS, refreshEvery } from '../live';
import { navigate, type ViewContext } from '../router';
import { may } from '../session';
import type { ImageDetail } from '../types';
import { phaseBadge } from './badges';
import { confirmAction } from './dialog';
import { imageBadge, stageText } from './images';
import { errorBox, errorSlot, loading } from './notice';

const when = (iso: string) => h('time', { datetime: iso, title: time(iso) }, ago(iso));

/** Why the image cannot be deleted now, or undefined: the API refuses it too (409). */
function deleteBlocked(i: ImageDetail): string | undefined {
  if (i.usedBy.length) return `In use by ${plural(i.usedBy.length, 'cluster')} (${i.usedBy.map((c) => c.name).join(', ')}): delete or move them first.`;
  return undefined;
}

function panel(id: string, title: string, ...content: (Node | null)[]): HTMLElement {
  return h('section', { id, class: 'panel', 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), content);
}

/**
 * One node image: what made it (signature, pack, contents), where it is (cloud, region, the cloud's
 * id, where it was copied from), how its bake went (builder, customization, failure in the cloud's
 * or the playbook's own words), and the clusters that run it; refreshed live, deleted from here
 * once no cluster uses it.
 */
export function imageDetailView(ctx: ViewContext): HTMLElement {
  const id = ctx.params.id!;
  const path = `/v1/images/${encodeURIComponent(id)}`;
  const title = h('h1', { id: 'image-title' }, id);
  const badges = h('span', { class: 'title-badges' });
  const actions = h('div', { class: 'actions' });
  const outcome = h('div', { 'aria-live': 'polite' });
  const errors = errorSlot();
  const summary = h('div', {}, loading('the image'));
  const bake = h('div', {});
  const usedBy = h('div', {});
  let image: ImageDetail | undefined;
  let actionsFor: string | undefined;
  let gone = false;

  const remove = async () => {
    if (!image) return;
    const i = image;
    const ok = await confirmAction(
      `Delete image ${i.name}?`,
      `Strata deletes ${i.imageId ?? 'the image'} in ${i.cloud} ${i.region}. A cluster that needs the same image later bakes (or copies) it again. This cannot be undone.`,
      'Delete image',
    );
    if (!ok) return;
    try {
      await api('DELETE', path);
      navigate('/images');
    } catch (err) {
      // A 409 names the clusters that use it, or the bake that runs: the API's words as they are.
      fill(outcome, errorBox(err));
    }
  };

  const renderActions = (i: ImageDetail) => {
    if (!may('editor')) return;
    const blocked = deleteBlocked(i) ?? (i.status === 'Deleting' ? 'Being deleted.' : undefined);
    // Rebuilt only when it changes: a button replaced on every refresh loses the focus.
    if (blocked === actionsFor && actions.firstChild) return;
    actionsFor = blocked;
    const hintId = uid('delete-hint');
    const button = h('button', { type: 'button', class: 'danger', disabled: !!blocked, title: blocked, 'aria-describedby': blocked ? hintId : undefined, onclick: () => void remove() }, 'Delete image');
    // A disabled button gets no pointer events in some browsers: the wrapper carries the tooltip too.
    fill(actions, blocked ? h('span', { class: 'muted small', id: hintId }, blocked) : null, h('span', { title: blocked }, button));
  };

  const render = (i: ImageDetail) => {
    title.textContent = i.name;
    document.title = `${i.name} · Strata`;
    fill(badges, imageBadge(i.status), i.stage && i.stage !== 'done' ? [' ', h('span', { class: 'badge neutral', 'data-stage': i.stage }, stageText(i.stage))] : null);
    renderActions(i);
    fill(
      summary,
      facts([
        ['Status', [imageBadge(i.status), ` ${stageText(i.stage)}`]],
        ['Cloud', `${i.cloud} · ${i.region}`],
        ['Cloud image id', i.imageId ?? 'not made yet'],
        ['Cloud account', i.cloudAccountId],
        ['OS pack', h('a', { href: `/registries/${encodeURIComponent(i.source.registryId)}#${encodeURIComponent(i.source.packId)}` }, `${i.source.packName} ${i.source.packVersion}`)],
        ['First made for', h('span', {}, h('a', { href: `/profiles/${encodeURIComponent(i.source.profileId)}` }, i.source.profileId), ` revision ${i.source.profileRevision}`)],
        ['Kubernetes', i.contents.kubernetesVersion ?? 'not installed by the bake'],
        ['Roles', i.contents.roles.length ? i.contents.roles.join(', ') : 'none'],
        ['Architecture', i.contents.arch],
        ['Copied from', i.copiedFrom ? `${i.copiedFrom.region} · ${i.copiedFrom.imageId}` : 'baked here'],
        ['Created', when(i.createdAt)],
        ['Last used', i.lastUsedAt ? when(i.lastUsedAt) : 'never'],
        ['Id', i.id],
      ]),
      h('div', { class: 'signature' }, h('p', { class: 'muted small' }, 'Signature (sha256 of the base image, the Kubernetes version installed, the roles, the cloud and the architecture)'), h('code', { 'data-signature': '' }, i.signature)),
    );
    fill(
      bake,
      i.failure
        ? h(
            'div',
            { class: 'image-failure-box', role: 'alert' },
            h('p', {}, h('strong', {}, `${i.status === 'Failed' ? 'Failed' : 'Last attempt failed'}: ${i.failure.code}`), ` · ${i.failure.retryable ? 'a new attempt may succeed' : 'retrying cannot fix this'} · `, when(i.failure.at)),
            h('pre', { class: 'message' }, i.failure.message),
          )
        : null,
      facts([
        ['Attempt', String(i.attempt)],
        ['Requested by', h('a', { href: `/clusters/${encodeURIComponent(i.requestedBy)}` }, i.requestedBy)],
        ['Builder', i.builderId ?? '—'],
        ['Stage', stageText(i.stage)],
        ['Updated', when(i.updatedAt)],
      ]),
      i.customization
        ? h(
            'div',
            { class: 'customization', 'data-succeeded': String(i.customization.succeeded) },
            h('p', {}, h('strong', {}, i.customization.succeeded ? 'Customization succeeded' : 'Customization failed'), ' · ', when(i.customization.at), i.customization.message === i.failure?.message ? ': its output is the failure above.' : null),
            // A failed playbook's output is the failure's message already: shown once.
            i.customization.message === i.failure?.message ? null : h('pre', { class: 'message' }, i.customization.message),
          )
        : h('p', { class: 'muted' }, i.copiedFrom ? 'Copied, not customized here.' : 'The builder has not reported yet.'),
    );
    fill(
      usedBy,
      i.usedBy.length
        ? table(
            'Clusters using the image',
            ['Cluster', 'Phase'],
            i.usedBy.map((c) => h('tr', { 'data-cluster': c.name }, h('th', { scope: 'row' }, h('a', { href: `/clusters/${encodeURIComponent(c.clusterId)}` }, c.name)), h('td', {}, phaseBadge(c.phase)))),
          )
        : h('p', { class: 'empty' }, 'No cluster runs this image.'),
    );
  };

  refreshEvery(
    REFRESH_MS,
    ctx.signal,
    async () => {
      if (gone) return;
      try {
        image = await get<ImageDetail>(path, ctx.signal);
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) throw err;
        gone = true;
        fill(actions);
        fill(summary, h('p', { class: 'notice' }, 'There is no such image (any more): it was deleted, or never existed. ', h('a', { href: '/images' }, 'See the images.')));
        fill(bake);
        fill(usedBy);
        return;
      }
      render(image);
      errors.clear();
    },
    (err) => {
      if (!image) fill(summary, errorBox(err));
      else errors.show(err);
    },
  );

  return h(
    'article',
    { 'aria-labelledby': 'image-title' },
    h('p', { class: 'crumbs' }, h('a', { href: '/images' }, 'Images'), ' / '),
    h('div', { class: 'page-head' }, h('div', {}, title, badges), actions),
    outcome,
    errors.el,
    summary,
    panel('bake', 'Bake', bake),
    panel('used-by', 'Used by', usedBy),
  );
}
