import { createHash } from 'node:crypto';
import { bakeSettingsFrom, type BakeSignal } from '../core/bake-script.js';
import { TAG_BAKE } from '../core/cloud.js';
import type { SimInstance, SimulatedCloud } from '../adapters/cloud/simulated/simulated-cloud.js';

export interface BuilderOptions {
  /**
   * The first wait between two tries of the signal (ms), doubled after each, as curl --retry
   * waits (1 s, 2 s, 4 s…); on the cloud's clock.
   */
  readonly retryDelayMs?: number;
  /** Tries of the signal in all (curl --retry 5: six). */
  readonly attempts?: number;
  /** Where a builder's refused or undelivered signal is told (console.warn by default). */
  readonly log?: (line: string) => void;
}

/** What one simulated builder came to, by instance id (GET /local/cloud shows it beside the builder). */
export interface BuilderReport {
  readonly bakeId: string;
  /** customizing: the playbook runs; signalled: the agent API took the signal; the others: no signal was taken. */
  stage: 'customizing' | 'signalled' | 'refused' | 'undelivered' | 'interrupted' | 'misconfigured';
  /** The signal's body, once the playbook ended. */
  signal?: BakeSignal;
  /** The agent API's answer to the last try (HTTP status), or why it had none. */
  status?: number;
  error?: string;
  attempts: number;
}

/** curl --retry retries these statuses (and no answer at all); any other 4xx is final. */
const RETRIED = new Set([408, 429, 500, 502, 503, 504]);

/**
 * The simulated image builders. A builder is an instance tagged with its bake; once it runs it
 * does what a real one's cloud-init does: reads the signal URL and token from its own user data
 * (bakeSettingsFrom), runs the playbook for `settings.bakeMs` on the cloud's clock, then POSTs
 * {succeeded, message} to the URL with `Authorization: Bearer <token>`, retrying an unanswered
 * or 5xx try as curl --retry would. The playbook fails with the message of a Customize fault when
 * one is due for the builder's region (POST /local/faults {"bake":"fail",…}). A builder stopped
 * or terminated before its playbook ends never signals.
 */
export class SimulatedBuilders {
  /** Instance id → what the builder did. */
  readonly reports = new Map<string, BuilderReport>();
  private readonly abort = new AbortController();
  private readonly onRunning = (inst: SimInstance) => {
    this.run(inst).catch((err: unknown) => this.log(`simulated builder ${inst.instanceId}: ${String(err)}`));
  };

  constructor(
    private readonly cloud: SimulatedCloud,
    private readonly options: BuilderOptions = {},
  ) {
    cloud.on('running', this.onRunning);
  }

  /** Stop every builder's wait and try in flight; nothing signals after this. */
  stop() {
    this.cloud.off('running', this.onRunning);
    this.abort.abort();
  }

  private get stopped() {
    return this.abort.signal.aborted;
  }

  private log(line: string) {
    (this.options.log ?? ((l: string) => console.warn(l)))(line);
  }

  private async run(inst: SimInstance) {
    const bakeId = inst.tags[TAG_BAKE];
    if (!bakeId || this.stopped || this.reports.has(inst.instanceId)) return;
    const settings = bakeSettingsFrom(inst.userData);
    const report: BuilderReport = { bakeId, stage: 'customizing', attempts: 0 };
    this.reports.set(inst.instanceId, report);
    if (!settings) {
      report.stage = 'misconfigured';
      report.error = 'no STRATA_BAKE_* settings in the user data: the builder cannot signal';
      this.log(`simulated builder ${inst.instanceId} (${bakeId}): ${report.error}`);
      return;
    }
    await this.cloud.settings.sleep(this.cloud.settings.bakeMs, this.abort.signal);
    if (this.stopped) return;
    if (inst.state !== 'running') {
      report.stage = 'interrupted';
      report.error = `the builder was ${inst.state} before its playbook ended`;
      return;
    }
    const fault = this.cloud.due('Customize', inst.region);
    report.signal = fault ? { succeeded: false, message: failedRun(fault.message) } : { succeeded: true, message: succeededRun(settings.bakeId) };
    await this.signal(inst, report, settings);
  }

  /** curl --retry: each try answered 2xx is done, a 4xx (but 408, 429) is final, the rest waits and tries again. */
  private async signal(inst: SimInstance, report: BuilderReport, settings: { url: string; token: string }) {
    const attempts = this.options.attempts ?? 6;
    let delay = this.options.retryDelayMs ?? 1000;
    for (;;) {
      report.attempts++;
      let res: Response | undefined;
      try {
        res = await fetch(settings.url, {
          method: 'POST',
          headers: { authorization: `Bearer ${settings.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(report.signal),
          signal: this.abort.signal,
        });
        report.status = res.status;
        report.error = res.ok ? undefined : (await res.text()).slice(0, 500);
      } catch (err) {
        if (this.stopped) return;
        report.status = undefined;
        report.error = (err as Error).cause ? String((err as Error & { cause: unknown }).cause) : (err as Error).message;
      }
      if (res?.ok) {
        report.stage = 'signalled';
        return;
      }
      if (res && !RETRIED.has(res.status)) {
        report.stage = 'refused';
        this.log(`simulated builder ${inst.instanceId} (${report.bakeId}): the signal was refused: ${res.status} ${report.error ?? ''}`.trimEnd());
        return;
      }
      if (report.attempts >= attempts) {
        report.stage = 'undelivered';
        this.log(`simulated builder ${inst.instanceId} (${report.bakeId}): gave up signalling after ${report.attempts} tries: ${report.status ?? report.error}`);
        return;
      }
      await this.cloud.settings.sleep(delay, this.abort.signal);
      delay *= 2;
      if (this.stopped) return;
      // Terminated while it waited: its cloud-init (and curl) went with it.
      if (inst.state !== 'running') {
        report.stage = 'interrupted';
        report.error = `the builder was ${inst.state} before its signal was taken`;
        return;
      }
    }
  }
}

/** The last lines of a successful ansible-playbook run of a bake (counts vary a little by bake, as real runs do). */
function succeededRun(bakeId: string): string {
  const n = parseInt(createHash('sha1').update(bakeId).digest('hex').slice(0, 4), 16);
  const ok = 21 + (n % 9);
  const changed = 14 + (n % 6);
  return [
    'TASK [strata_kubernetes : hold kubeadm, kubelet, kubectl and containerd] *******',
    'changed: [localhost]',
    '',
    'TASK [strata_cleanup : cloud-init clean, truncate machine-id, remove SSH host keys] ***',
    'changed: [localhost]',
    '',
    'PLAY RECAP *********************************************************************',
    `localhost                  : ok=${ok}   changed=${changed}   unreachable=0    failed=0    skipped=3    rescued=0    ignored=0`,
  ].join('\n');
}

/** An ansible-playbook run that failed: the fault's message (the failing task's lines) and the recap. */
function failedRun(message: string | undefined): string {
  if (message?.includes('PLAY RECAP')) return message;
  const task =
    message ??
    [
      'TASK [security : apply CIS rules] **********************************************',
      'fatal: [localhost]: FAILED! => {"changed": false, "cache_update_time": 1767225600, "cache_updated": false, "msg": "\'/usr/bin/apt-get -y -o \\"Dpkg::Options::=--force-confdef\\" -o \\"Dpkg::Options::=--force-confold\\" install \'auditd\'\' failed: E: Unable to locate package auditd\\n", "rc": 100}',
      'apt-get exited 100',
    ].join('\n');
  return [task, '', 'PLAY RECAP *********************************************************************', 'localhost                  : ok=14   changed=9    unreachable=0    failed=1    skipped=2    rescued=0    ignored=0'].join('\n');
}
