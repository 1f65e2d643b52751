import './style.css';
import { SIGNED_OUT } from './api';
import { h } from './dom';
import { Router, useRouter, type Route } from './router';
import { clearSession, currentSession, providerSignOutUrl } from './session';
import { apiKeysView } from './views/api-keys';
import { auditView } from './views/audit';
import { cloudAccountsView } from './views/cloud-accounts';
import { clusterComplianceView } from './views/cluster-compliance';
import { clusterCreateView } from './views/cluster-create';
import { clusterLogsView } from './views/cluster-logs';
import { clusterOsPatchView } from './views/cluster-ospatch';
import { clusterOverviewView } from './views/cluster-overview';
import { clusterUpdatesView } from './views/cluster-updates';
import { clustersListView } from './views/clusters-list';
import { complianceView } from './views/compliance';
import { eventsView } from './views/events';
import { imageDetailView } from './views/image-detail';
import { imagesListView } from './views/images';
import { layout } from './views/layout';
import { nodePageView } from './views/node-page';
import { packValuesView } from './views/pack-values';
import { profileDetailView } from './views/profile-detail';
import { profilesListView } from './views/profiles-list';
import { projectsView } from './views/projects';
import { registriesView, registryDetailView } from './views/registries';
import { signInView, type SignInNotice } from './views/sign-in';
import { ssoSettingsView } from './views/sso-settings';
import { errorText } from './views/notice';
import { finishSignIn, redirectUri, signInAnswer } from './sso';

const ROUTES: readonly Route[] = [
  { pattern: '/clusters', view: clustersListView },
  { pattern: '/clusters/new', view: clusterCreateView },
  { pattern: '/clusters/:id', view: clusterOverviewView },
  { pattern: '/clusters/:id/nodes/:name', view: nodePageView },
  { pattern: '/clusters/:id/updates', view: clusterUpdatesView },
  { pattern: '/clusters/:id/ospatch', view: clusterOsPatchView },
  { pattern: '/clusters/:id/values/:pack', view: packValuesView },
  { pattern: '/clusters/:id/logs', view: clusterLogsView },
  { pattern: '/clusters/:id/compliance', view: clusterComplianceView },
  { pattern: '/events', view: eventsView },
  { pattern: '/compliance', view: complianceView },
  { pattern: '/profiles', view: profilesListView },
  { pattern: '/profiles/:id', view: profileDetailView },
  { pattern: '/registries', view: registriesView },
  { pattern: '/registries/:id', view: registryDetailView },
  { pattern: '/images', view: imagesListView },
  { pattern: '/images/:id', view: imageDetailView },
  { pattern: '/cloudaccounts', view: cloudAccountsView },
  { pattern: '/projects', view: projectsView },
  { pattern: '/apikeys', view: apiKeysView },
  { pattern: '/sso', view: ssoSettingsView },
  { pattern: '/audit', view: auditView },
];

const notFound = () => h('section', {}, h('h1', {}, 'Page not found'), h('p', {}, 'Nothing lives at this address. ', h('a', { href: '/clusters' }, 'Go to the clusters.')));

/** Sections the frame's nav gains after Clusters: the tenant-wide pages. */
const MORE_SECTIONS: readonly { path: string; label: string }[] = [
  { path: '/events', label: 'Events' },
  { path: '/compliance', label: 'Compliance' },
];

/** The frame's nav with the tenant-wide sections; their links marked current like the others. */
function withMoreSections(f: ReturnType<typeof layout>): ReturnType<typeof layout> {
  const first = f.root.querySelector('nav ul > li');
  const links = MORE_SECTIONS.map((s) => h('a', { href: s.path }, s.label));
  first?.after(...links.map((a) => h('li', {}, a)));
  return {
    ...f,
    markCurrent: () => {
      f.markCurrent();
      for (const a of links) {
        if (location.pathname === a.pathname || location.pathname.startsWith(`${a.pathname}/`)) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      }
    },
  };
}

const app = document.getElementById('app')!;
let frame: ReturnType<typeof layout> | undefined;
let firstPage = true;

const router = new Router(ROUTES, notFound, '/clusters', (page) => {
  if (!frame) return;
  frame.main.replaceChildren(page);
  frame.markCurrent();
  // Screen readers hear the new page; the very first one keeps the browser's own focus.
  if (!firstPage) frame.main.focus({ preventScroll: true });
  firstPage = false;
  if (!location.hash) window.scrollTo(0, 0);
});
useRouter(router);

/** Signed out: the sign-in form; signed in: the frame, and the page of the URL inside it. */
function start(notice?: SignInNotice): void {
  if (!currentSession()) {
    router.stop();
    frame = undefined;
    app.replaceChildren(signInView(() => start(), notice));
    return;
  }
  frame = withMoreSections(
    layout(() => {
      // A person signed in through the provider is signed out there too, then sent back here.
      const atProvider = providerSignOutUrl(currentSession(), redirectUri());
      clearSession();
      if (atProvider) return location.assign(atProvider);
      start();
    }),
  );
  app.replaceChildren(frame.root);
  router.render();
}

window.addEventListener(SIGNED_OUT, (e) => start({ text: (e as CustomEvent<string | undefined>).detail ?? 'The API no longer accepts the key of this session (revoked?): sign in again.' }));

// Back from the identity provider: finish that sign-in before any page reads the API.
const answer = signInAnswer();
if (answer) {
  app.replaceChildren(h('main', { id: 'main', class: 'signed-out' }, h('p', { class: 'muted', role: 'status' }, 'Signing in…')));
  finishSignIn(answer).then(
    () => start(),
    (err: unknown) => start({ text: errorText(err), error: true }),
  );
} else {
  start();
}
