import { parseValues } from './values.js';

/**
 * What makes a pack's Ansible roles installable and runnable by a bake, beyond each field's own
 * shape: the pack API refuses a pack that breaks them (a 400 naming the field), and the bake's
 * generator checks them again before it writes a playbook.
 */

export interface RoleFields {
  readonly name: string;
  readonly source?: string;
  readonly version?: string;
  readonly digest?: string;
  readonly vars?: string;
}

export interface RoleProblem {
  /** The role's index in the pack's list. */
  readonly index: number;
  readonly field: 'name' | 'source' | 'version' | 'vars';
  readonly message: string;
}

/** A URL of printable ASCII, no spaces (hosts in punycode, paths percent-encoded): safe in a shell word, a line of an env file, YAML. */
export function isPlainUrl(text: string): boolean {
  if (!/^[\x21-\x7e]+$/.test(text)) return false;
  try {
    new URL(text.replace(/^git\+/, ''));
    return true;
  } catch {
    return false;
  }
}

/** Python's keywords: Ansible refuses them as variable names (ansible.utils.vars.isidentifier). */
const PYTHON_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);
export const isAnsibleVariableName = (name: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !PYTHON_KEYWORDS.has(name);

export function roleProblems(roles: readonly RoleFields[]): RoleProblem[] {
  const out: RoleProblem[] = [];
  const byName = new Map<string, RoleFields>();
  roles.forEach((role, index) => {
    if (role.digest !== undefined) {
      if (!role.source?.startsWith('https://')) {
        out.push({ index, field: 'source', message: `a digest pins an archive Strata downloads and checks, so the source must be the https:// URL of the role's tar.gz, not ${JSON.stringify(role.source ?? role.name)}` });
      }
    } else if (role.source?.startsWith('https://') && role.source.includes('+')) {
      // ansible-galaxy reads `a+b` as `<scm>+<url>`: such a URL only installs when Strata downloads it.
      out.push({ index, field: 'source', message: 'ansible-galaxy cannot install from an https:// URL with a "+" in it; give the archive\'s digest so Strata downloads it' });
    }
    if (role.source !== undefined && /^(git\+)?https:\/\//.test(role.source) && !isPlainUrl(role.source)) {
      out.push({ index, field: 'source', message: 'the source is not a URL of printable ASCII without spaces' });
    }
    const parsed = role.vars === undefined ? undefined : parseValues(role.vars);
    if (parsed?.ok) {
      for (const name of Object.keys(parsed.values)) {
        if (!isAnsibleVariableName(name)) {
          out.push({ index, field: 'vars', message: `${JSON.stringify(name)} is not a variable name Ansible accepts (ASCII letters, digits and underscores, not starting with a digit, not a Python keyword)` });
        }
      }
    }
    const seen = byName.get(role.name);
    if (!seen) byName.set(role.name, role);
    else if (seen.source !== role.source || seen.version !== role.version || seen.digest !== role.digest) {
      out.push({ index, field: 'version', message: `role ${JSON.stringify(role.name)} is listed twice with different sources, versions or digests; one name installs one role` });
    }
  });
  return out;
}
