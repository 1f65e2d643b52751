import type { z } from 'zod';
import type { PatchedPackage } from './os-patch.js';

/**
 * The one OS patch of a node, at first boot (core/bootstrap.ts) and in a patch run (the agent runs
 * it on the node's host): the distribution's upgrade with the Kubernetes packages held, so patching
 * never changes the Kubernetes version (that is what a node replacement with a new image does).
 */

/** Packages an OS patch never upgrades: the kubelet, kubeadm and kubectl, and the container runtime with its tools. */
export const HELD_PACKAGES = ['kubelet', 'kubeadm', 'kubectl', 'containerd', 'containerd.io', 'cri-tools', 'kubernetes-cni'] as const;

/** Where Ubuntu's packages say that a reboot is needed to finish what they installed (a kernel, libc). */
export const REBOOT_REQUIRED_FILE = '/var/run/reboot-required';

/** The prefixes of the lines the script prints for the agent: one per changed package, then one that it finished. */
export const PACKAGE_LINE = 'strata-os-patch-package';
export const DONE_LINE = 'strata-os-patch-done';

/**
 * The patch as a POSIX shell script (Ubuntu, apt): hold the Kubernetes packages that are installed
 * (they stay held: only a node replacement moves them), update the index, upgrade keeping the
 * configuration files the node has, and print what changed — compared from dpkg's own list before
 * and after, so a package the upgrade left alone is never named — and whether a reboot is required.
 * Exits non-zero when apt fails.
 */
export function osPatchScript(): string {
  // dpkg-query fields: the two-letter status (ii, hi: installed, held or not), the package, its version.
  const installed = "dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\\n' | awk '$1 ~ /^.i/ { print $2, $3 }' | sort";
  return [
    'set -eu',
    'export DEBIAN_FRONTEND=noninteractive',
    'work=$(mktemp -d)',
    'trap \'rm -rf "$work"\' EXIT',
    `for p in ${HELD_PACKAGES.join(' ')}; do`,
    "  if dpkg-query -W -f='${db:Status-Abbrev}' \"$p\" 2>/dev/null | grep -q '^.i'; then apt-mark hold \"$p\" >/dev/null; fi",
    'done',
    `${installed} > "$work/before"`,
    // unattended-upgrades may hold dpkg's lock for a while, at first boot above all.
    'apt-get -o Acquire::Retries=3 -o DPkg::Lock::Timeout=600 update',
    'apt-get -y -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold upgrade',
    `${installed} > "$work/after"`,
    // A package new to the node (a kernel's) has no version before: "-".
    `awk 'NR == FNR { was[$1] = $2; next } !($1 in was) { print "${PACKAGE_LINE}", $1, "-", $2; next } was[$1] != $2 { print "${PACKAGE_LINE}", $1, was[$1], $2 }' "$work/before" "$work/after"`,
    `if [ -e ${REBOOT_REQUIRED_FILE} ]; then reboot=true; else reboot=false; fi`,
    `echo "${DONE_LINE} reboot-required=$reboot"`,
  ].join('\n');
}

/** What a finished patch printed: the packages it changed and whether a reboot is required; undefined when it did not finish. */
export function parseOsPatchOutput(log: string): { packages: z.output<typeof PatchedPackage>[]; rebootRequired: boolean } | undefined {
  const packages: z.output<typeof PatchedPackage>[] = [];
  let rebootRequired: boolean | undefined;
  for (const line of log.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] === PACKAGE_LINE && words.length === 4) {
      const [, name, from, to] = words as [string, string, string, string];
      packages.push({ name, ...(from === '-' ? {} : { from }), to });
    } else if (words[0] === DONE_LINE) {
      rebootRequired = words[1] === 'reboot-required=true';
    }
  }
  return rebootRequired === undefined ? undefined : { packages, rebootRequired };
}
