import { h } from '../dom';
import { currentSession, may, mayTenantWide, projectRolesText, signedInAs, type Session } from '../session';

/** admin: the admin role somewhere (a project's admins manage its keys); tenantAdmin: over the whole tenant. */
const SECTIONS: readonly { path: string; label: string; admin?: boolean; tenantAdmin?: boolean }[] = [
  { path: '/clusters', label: 'Clusters' },
  { path: '/profiles', label: 'Profiles' },
  { path: '/registries', label: 'Registries' },
  { path: '/images', label: 'Images' },
  { path: '/cloudaccounts', label: 'Cloud accounts' },
  { path: '/projects', label: 'Projects' },
  { path: '/apikeys', label: 'API keys', admin: true },
  { path: '/sso', label: 'Sign-in', tenantAdmin: true },
  { path: '/audit', label: 'Audit', tenantAdmin: true },
];

/** Who is signed in, and with what role: the person (their name on hover, with the tenant), or the API key. */
function who(session: Session | undefined): HTMLElement {
  if (!session) return h('span', { class: 'muted' }, 'Signed out');
  const user = session.sso?.user;
  const title = user && session.sso ? [user.name, user.email, `tenant ${session.sso.tenant}`].filter(Boolean).join(' · ') : undefined;
  return h(
    'span',
    { class: 'muted', 'data-signed-in': user ? 'user' : 'apiKey', title },
    // Short, the nav beside it is long; a screen reader hears the whole sentence.
    h('span', { class: 'visually-hidden' }, user ? 'Signed in as ' : 'Signed in with an '),
    // A role in projects only: the role in each.
    `${signedInAs(session)} · ${session.projects ? projectRolesText(session.projects) : session.role}`,
  );
}

/** The frame of every signed-in page: the header with the sections, and the main region. */
export function layout(onSignOut: () => void): { root: HTMLElement; main: HTMLElement; markCurrent(): void } {
  const links = SECTIONS.filter((s) => (!s.admin || may('admin')) && (!s.tenantAdmin || mayTenantWide('admin'))).map((s) => h('a', { href: s.path }, s.label));
  const main = h('main', { id: 'main', tabindex: -1 });
  const root = h(
    'div',
    { class: 'shell' },
    h(
      'header',
      { class: 'top' },
      h('a', { class: 'brand', href: '/clusters' }, 'Strata'),
      h('nav', { 'aria-label': 'Sections' }, h('ul', {}, links.map((a) => h('li', {}, a)))),
      h(
        'div',
        { class: 'who' },
        who(currentSession()),
        h('button', { type: 'button', class: 'secondary small', onclick: onSignOut }, 'Sign out'),
      ),
    ),
    main,
  );
  const markCurrent = () => {
    for (const a of links) {
      const current = location.pathname === a.pathname || location.pathname.startsWith(`${a.pathname}/`);
      if (current) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  };
  return { root, main, markCurrent };
}
