import { createHash } from 'node:crypto';

/**
 * What `kube-bench run --json` prints on a simulated cluster's control-plane node: the object form
 * ({Controls, Totals}) of the CIS Kubernetes Benchmark 1.8 targets kube-bench detects on a kubeadm
 * control plane (master, etcd, controlplane, node, policies). What fails is what fails on a kubeadm
 * cluster left at its defaults (profiling on, no audit log, no kubelet CA check on the API
 * server…), with one more failing check picked per cluster; manual checks WARN, as kube-bench
 * reports them. Every counter is the count of its results, so the report is whole (not trimmed).
 */

type Kind = 'auto' | 'manual';
/** id, text, automated or manual. */
type Check = readonly [id: string, text: string, kind: Kind];
interface Section {
  readonly id: string;
  readonly desc: string;
  readonly checks: readonly Check[];
  /** The audit kube-bench runs for the section's checks. */
  readonly audit: string;
  readonly remediation: string;
}
interface Target {
  readonly id: string;
  readonly nodeType: string;
  readonly text: string;
  readonly sections: readonly Section[];
}

const a = (id: string, text: string): Check => [id, `${text} (Automated)`, 'auto'];
const m = (id: string, text: string): Check => [id, `${text} (Manual)`, 'manual'];

const API_SERVER = '/bin/ps -ef | grep kube-apiserver | grep -v grep';
const TARGETS: readonly Target[] = [
  {
    id: '1',
    nodeType: 'master',
    text: 'Control Plane Security Configuration',
    sections: [
      {
        id: '1.1',
        desc: 'Control Plane Node Configuration Files',
        audit: "/bin/sh -c 'if test -e $apiserverconf; then stat -c permissions=%a $apiserverconf; fi'",
        remediation: 'Run the below command (based on the file location on your system) on the control plane node.\nFor example, chmod 600 /etc/kubernetes/manifests/kube-apiserver.yaml',
        checks: [
          a('1.1.1', 'Ensure that the API server pod specification file permissions are set to 600 or more restrictive'),
          a('1.1.2', 'Ensure that the API server pod specification file ownership is set to root:root'),
          a('1.1.3', 'Ensure that the controller manager pod specification file permissions are set to 600 or more restrictive'),
          a('1.1.4', 'Ensure that the controller manager pod specification file ownership is set to root:root'),
          a('1.1.5', 'Ensure that the scheduler pod specification file permissions are set to 600 or more restrictive'),
          a('1.1.6', 'Ensure that the scheduler pod specification file ownership is set to root:root'),
          a('1.1.7', 'Ensure that the etcd pod specification file permissions are set to 600 or more restrictive'),
          a('1.1.8', 'Ensure that the etcd pod specification file ownership is set to root:root'),
          m('1.1.9', 'Ensure that the Container Network Interface file permissions are set to 600 or more restrictive'),
          m('1.1.10', 'Ensure that the Container Network Interface file ownership is set to root:root'),
          a('1.1.11', 'Ensure that the etcd data directory permissions are set to 700 or more restrictive'),
          a('1.1.12', 'Ensure that the etcd data directory ownership is set to etcd:etcd'),
          a('1.1.13', 'Ensure that the admin.conf file permissions are set to 600 or more restrictive'),
          a('1.1.14', 'Ensure that the admin.conf file ownership is set to root:root'),
          a('1.1.15', 'Ensure that the scheduler.conf file permissions are set to 600 or more restrictive'),
          a('1.1.16', 'Ensure that the scheduler.conf file ownership is set to root:root'),
          a('1.1.17', 'Ensure that the controller-manager.conf file permissions are set to 600 or more restrictive'),
          a('1.1.18', 'Ensure that the controller-manager.conf file ownership is set to root:root'),
          a('1.1.19', 'Ensure that the Kubernetes PKI directory and file ownership is set to root:root'),
          m('1.1.20', 'Ensure that the Kubernetes PKI certificate file permissions are set to 600 or more restrictive'),
          m('1.1.21', 'Ensure that the Kubernetes PKI key file permissions are set to 600'),
        ],
      },
      {
        id: '1.2',
        desc: 'API Server',
        audit: API_SERVER,
        remediation: 'Edit the API server pod specification file /etc/kubernetes/manifests/kube-apiserver.yaml on the control plane node and set the parameter as the check says.',
        checks: [
          m('1.2.1', 'Ensure that the --anonymous-auth argument is set to false'),
          a('1.2.2', 'Ensure that the --token-auth-file parameter is not set'),
          m('1.2.3', 'Ensure that the --DenyServiceExternalIPs is set'),
          a('1.2.4', 'Ensure that the --kubelet-client-certificate and --kubelet-client-key arguments are set as appropriate'),
          a('1.2.5', 'Ensure that the --kubelet-certificate-authority argument is set as appropriate'),
          a('1.2.6', 'Ensure that the --authorization-mode argument is not set to AlwaysAllow'),
          a('1.2.7', 'Ensure that the --authorization-mode argument includes Node'),
          a('1.2.8', 'Ensure that the --authorization-mode argument includes RBAC'),
          m('1.2.9', 'Ensure that the admission control plugin EventRateLimit is set'),
          a('1.2.10', 'Ensure that the admission control plugin AlwaysAdmit is not set'),
          m('1.2.11', 'Ensure that the admission control plugin AlwaysPullImages is set'),
          a('1.2.13', 'Ensure that the admission control plugin ServiceAccount is set'),
          a('1.2.14', 'Ensure that the admission control plugin NamespaceLifecycle is set'),
          a('1.2.15', 'Ensure that the admission control plugin NodeRestriction is set'),
          a('1.2.16', 'Ensure that the --profiling argument is set to false'),
          a('1.2.17', 'Ensure that the --audit-log-path argument is set'),
          a('1.2.18', 'Ensure that the --audit-log-maxage argument is set to 30 or as appropriate'),
          a('1.2.19', 'Ensure that the --audit-log-maxbackup argument is set to 10 or as appropriate'),
          a('1.2.20', 'Ensure that the --audit-log-maxsize argument is set to 100 or as appropriate'),
          m('1.2.21', 'Ensure that the --request-timeout argument is set as appropriate'),
          a('1.2.22', 'Ensure that the --service-account-lookup argument is set to true'),
          a('1.2.23', 'Ensure that the --service-account-key-file argument is set as appropriate'),
          a('1.2.24', 'Ensure that the --etcd-certfile and --etcd-keyfile arguments are set as appropriate'),
          a('1.2.25', 'Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate'),
          a('1.2.26', 'Ensure that the --client-ca-file argument is set as appropriate'),
          a('1.2.27', 'Ensure that the --etcd-cafile argument is set as appropriate'),
          m('1.2.28', 'Ensure that the --encryption-provider-config argument is set as appropriate'),
          m('1.2.29', 'Ensure that encryption providers are appropriately configured'),
          m('1.2.30', 'Ensure that the API Server only makes use of Strong Cryptographic Ciphers'),
        ],
      },
      {
        id: '1.3',
        desc: 'Controller Manager',
        audit: '/bin/ps -ef | grep kube-controller-manager | grep -v grep',
        remediation: 'Edit the Controller Manager pod specification file /etc/kubernetes/manifests/kube-controller-manager.yaml on the control plane node and set the parameter as the check says.',
        checks: [
          m('1.3.1', 'Ensure that the --terminated-pod-gc-threshold argument is set as appropriate'),
          a('1.3.2', 'Ensure that the --profiling argument is set to false'),
          a('1.3.3', 'Ensure that the --use-service-account-credentials argument is set to true'),
          a('1.3.4', 'Ensure that the --service-account-private-key-file argument is set as appropriate'),
          a('1.3.5', 'Ensure that the --root-ca-file argument is set as appropriate'),
          a('1.3.6', 'Ensure that the RotateKubeletServerCertificate argument is set to true'),
          a('1.3.7', 'Ensure that the --bind-address argument is set to 127.0.0.1'),
        ],
      },
      {
        id: '1.4',
        desc: 'Scheduler',
        audit: '/bin/ps -ef | grep kube-scheduler | grep -v grep',
        remediation: 'Edit the Scheduler pod specification file /etc/kubernetes/manifests/kube-scheduler.yaml on the control plane node and set the parameter as the check says.',
        checks: [a('1.4.1', 'Ensure that the --profiling argument is set to false'), a('1.4.2', 'Ensure that the --bind-address argument is set to 127.0.0.1')],
      },
    ],
  },
  {
    id: '2',
    nodeType: 'etcd',
    text: 'Etcd Node Configuration',
    sections: [
      {
        id: '2',
        desc: 'Etcd Node Configuration',
        audit: '/bin/ps -ef | /bin/grep etcd | /bin/grep -v grep',
        remediation: 'Follow the etcd service documentation and configure TLS encryption, then edit the etcd pod specification file /etc/kubernetes/manifests/etcd.yaml on the master node.',
        checks: [
          a('2.1', 'Ensure that the --cert-file and --key-file arguments are set as appropriate'),
          a('2.2', 'Ensure that the --client-cert-auth argument is set to true'),
          a('2.3', 'Ensure that the --auto-tls argument is not set to true'),
          a('2.4', 'Ensure that the --peer-cert-file and --peer-key-file arguments are set as appropriate'),
          a('2.5', 'Ensure that the --peer-client-cert-auth argument is set to true'),
          a('2.6', 'Ensure that the --peer-auto-tls argument is not set to true'),
          m('2.7', 'Ensure that a unique Certificate Authority is used for etcd'),
        ],
      },
    ],
  },
  {
    id: '3',
    nodeType: 'controlplane',
    text: 'Control Plane Configuration',
    sections: [
      {
        id: '3.1',
        desc: 'Authentication and Authorization',
        audit: '',
        remediation: 'Alternative mechanisms provided by Kubernetes such as the use of OIDC should be implemented in place of client certificates.',
        checks: [
          m('3.1.1', 'Client certificate authentication should not be used for users'),
          m('3.1.2', 'Service account token authentication should not be used for users'),
          m('3.1.3', 'Bootstrap token authentication should not be used for users'),
        ],
      },
      {
        id: '3.2',
        desc: 'Logging',
        audit: API_SERVER,
        remediation: 'Create an audit policy file for your cluster and pass it to the API server with --audit-policy-file.',
        checks: [m('3.2.1', 'Ensure that a minimal audit policy is created'), m('3.2.2', 'Ensure that the audit policy covers key security concerns')],
      },
    ],
  },
  {
    id: '4',
    nodeType: 'node',
    text: 'Worker Node Security Configuration',
    sections: [
      {
        id: '4.1',
        desc: 'Worker Node Configuration Files',
        audit: "/bin/sh -c 'if test -e $kubeletsvc; then stat -c permissions=%a $kubeletsvc; fi' ",
        remediation: 'Run the below command (based on the file location on your system) on each worker node.\nFor example, chmod 600 /etc/systemd/system/kubelet.service.d/10-kubeadm.conf',
        checks: [
          a('4.1.1', 'Ensure that the kubelet service file permissions are set to 600 or more restrictive'),
          a('4.1.2', 'Ensure that the kubelet service file ownership is set to root:root'),
          m('4.1.3', 'If proxy kubeconfig file exists ensure permissions are set to 600 or more restrictive'),
          m('4.1.4', 'If proxy kubeconfig file exists ensure ownership is set to root:root'),
          a('4.1.5', 'Ensure that the --kubeconfig kubelet.conf file permissions are set to 600 or more restrictive'),
          a('4.1.6', 'Ensure that the --kubeconfig kubelet.conf file ownership is set to root:root'),
          m('4.1.7', 'Ensure that the certificate authorities file permissions are set to 600 or more restrictive'),
          m('4.1.8', 'Ensure that the client certificate authorities file ownership is set to root:root'),
          a('4.1.9', 'If the kubelet config.yaml configuration file is being used validate permissions set to 600 or more restrictive'),
          a('4.1.10', 'If the kubelet config.yaml configuration file is being used validate file ownership is set to root:root'),
        ],
      },
      {
        id: '4.2',
        desc: 'Kubelet',
        audit: '/bin/ps -fC kubelet',
        remediation: 'If using a Kubelet config file, edit /var/lib/kubelet/config.yaml as the check says; then restart the kubelet: systemctl daemon-reload && systemctl restart kubelet.service',
        checks: [
          a('4.2.1', 'Ensure that the --anonymous-auth argument is set to false'),
          a('4.2.2', 'Ensure that the --authorization-mode argument is not set to AlwaysAllow'),
          a('4.2.3', 'Ensure that the --client-ca-file argument is set as appropriate'),
          m('4.2.4', 'Verify that the --read-only-port argument is set to 0'),
          m('4.2.5', 'Ensure that the --streaming-connection-idle-timeout argument is not set to 0'),
          a('4.2.6', 'Ensure that the --make-iptables-util-chains argument is set to true'),
          m('4.2.7', 'Ensure that the --hostname-override argument is not set'),
          m('4.2.8', 'Ensure that the eventRecordQPS argument is set to a level which ensures appropriate event capture'),
          m('4.2.9', 'Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate'),
          a('4.2.10', 'Ensure that the --rotate-certificates argument is not set to false'),
          m('4.2.11', 'Verify that the RotateKubeletServerCertificate argument is set to true'),
          m('4.2.12', 'Ensure that the Kubelet only makes use of Strong Cryptographic Ciphers'),
          m('4.2.13', 'Ensure that a limit is set on pod PIDs'),
        ],
      },
    ],
  },
  {
    id: '5',
    nodeType: 'policies',
    text: 'Kubernetes Policies',
    sections: [
      {
        id: '5.1',
        desc: 'RBAC and Service Accounts',
        audit: '',
        remediation: 'Identify all clusterrolebindings and rolebindings concerned and review whether each is needed; remove or narrow those that are not.',
        checks: [
          m('5.1.1', 'Ensure that the cluster-admin role is only used where required'),
          m('5.1.2', 'Minimize access to secrets'),
          m('5.1.3', 'Minimize wildcard use in Roles and ClusterRoles'),
          m('5.1.4', 'Minimize access to create pods'),
          m('5.1.5', 'Ensure that default service accounts are not actively used.'),
          m('5.1.6', 'Ensure that Service Account Tokens are only mounted where necessary'),
          m('5.1.7', 'Avoid use of system:masters group'),
          m('5.1.8', 'Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster'),
        ],
      },
      {
        id: '5.2',
        desc: 'Pod Security Standards',
        audit: '',
        remediation: 'Add policies to each namespace in the cluster which has user workloads to restrict the admission of such containers (Pod Security Admission labels).',
        checks: [
          m('5.2.1', 'Ensure that the cluster has at least one active policy control mechanism in place'),
          m('5.2.2', 'Minimize the admission of privileged containers'),
          m('5.2.3', 'Minimize the admission of containers wishing to share the host process ID namespace'),
          m('5.2.4', 'Minimize the admission of containers wishing to share the host IPC namespace'),
          m('5.2.5', 'Minimize the admission of containers wishing to share the host network namespace'),
        ],
      },
      {
        id: '5.3',
        desc: 'Network Policies and CNI',
        audit: '',
        remediation: 'Follow the documentation and create NetworkPolicy objects as you need them.',
        checks: [m('5.3.1', 'Ensure that the CNI in use supports NetworkPolicies'), m('5.3.2', 'Ensure that all Namespaces have NetworkPolicies defined')],
      },
      {
        id: '5.7',
        desc: 'General Policies',
        audit: '',
        remediation: 'Follow the documentation and create namespaces for objects in your deployment as you need them.',
        checks: [
          m('5.7.1', 'Create administrative boundaries between resources using namespaces'),
          m('5.7.2', 'Ensure that the seccomp profile is set to docker/default in your Pod definitions'),
          m('5.7.3', 'Apply SecurityContext to your Pods and Containers'),
          m('5.7.4', 'The default namespace should not be used'),
        ],
      },
    ],
  },
];

/** What a kubeadm control plane at its defaults fails, and how to fix each. */
const KUBEADM_FAILS: Record<string, { actual: string; expected: string; remediation: string }> = {
  '1.1.12': {
    actual: 'root:root',
    expected: "'etcd:etcd' is present",
    remediation: 'On the etcd server node, get the etcd data directory, passed as an argument --data-dir, from the command \'ps -ef | grep etcd\'.\nRun the below command (based on the etcd data directory found above).\nFor example, chown etcd:etcd /var/lib/etcd',
  },
  '1.2.5': {
    actual: '',
    expected: "'--kubelet-certificate-authority' is present",
    remediation: 'Follow the Kubernetes documentation and setup the TLS connection between the apiserver and kubelets. Then, edit the API server pod specification file /etc/kubernetes/manifests/kube-apiserver.yaml on the control plane node and set the --kubelet-certificate-authority parameter to the path to the cert file for the certificate authority.\n--kubelet-certificate-authority=<ca-string>',
  },
  '1.2.16': { actual: '', expected: "'--profiling' is equal to 'false'", remediation: 'Edit the API server pod specification file /etc/kubernetes/manifests/kube-apiserver.yaml on the control plane node and set the below parameter.\n--profiling=false' },
  '1.2.17': { actual: '', expected: "'--audit-log-path' is present", remediation: 'Edit the API server pod specification file /etc/kubernetes/manifests/kube-apiserver.yaml on the control plane node and set the --audit-log-path parameter to a suitable path and file where you would like audit logs to be written, for example,\n--audit-log-path=/var/log/apiserver/audit.log' },
  '1.2.18': { actual: '', expected: "'--audit-log-maxage' is greater or equal to 30", remediation: 'Edit the API server pod specification file /etc/kubernetes/manifests/kube-apiserver.yaml on the control plane node and set the --audit-log-maxage parameter to 30 or as an appropriate number of days, for example,\n--audit-log-maxage=30' },
  '1.2.19': { actual: '', expected: "'--audit-log-maxbackup' is greater or equal to 10", remediation: 'Edit the API server pod specification file /etc/kubernetes/manifests/kube-apiserver.yaml on the control plane node and set the --audit-log-maxbackup parameter to 10 or to an appropriate value. For example,\n--audit-log-maxbackup=10' },
  '1.2.20': { actual: '', expected: "'--audit-log-maxsize' is greater or equal to 100", remediation: 'Edit the API server pod specification file /etc/kubernetes/manifests/kube-apiserver.yaml on the control plane node and set the --audit-log-maxsize parameter to an appropriate size in MB. For example, to set it as 100 MB,\n--audit-log-maxsize=100' },
  '1.3.2': { actual: '', expected: "'--profiling' is equal to 'false'", remediation: 'Edit the Controller Manager pod specification file /etc/kubernetes/manifests/kube-controller-manager.yaml on the control plane node and set the below parameter.\n--profiling=false' },
  '1.4.1': { actual: '', expected: "'--profiling' is equal to 'false'", remediation: 'Edit the Scheduler pod specification file /etc/kubernetes/manifests/kube-scheduler.yaml file on the control plane node and set the below parameter.\n--profiling=false' },
};

/** Checks one of which fails per cluster as well (what an operator changed on its nodes). */
const DRIFTS: Record<string, { actual: string; expected: string; remediation: string }> = {
  '1.1.13': { actual: 'permissions=644', expected: "permissions has permissions 644, expected 600 or more restrictive", remediation: 'Run the below command (based on the file location on your system) on the control plane node.\nFor example, chmod 600 /etc/kubernetes/admin.conf' },
  '4.1.9': { actual: 'permissions=644', expected: "permissions has permissions 644, expected 600 or more restrictive", remediation: 'Run the following command (using the config file location identified in the Audit step)\nchmod 600 /var/lib/kubelet/config.yaml' },
  '4.2.10': { actual: 'rotateCertificates: false', expected: "'rotateCertificates' is not present OR 'rotateCertificates' is not equal to 'false'", remediation: 'If using a Kubelet config file, edit the file to add the line rotateCertificates: true or remove it altogether to use the default value, then restart the kubelet service.' },
};

/** The report, as kube-bench prints it, for a cluster (deterministic: the same cluster gets the same report). */
export function simulatedKubeBenchReport(clusterId: string, kubernetesVersion = 'v1.31.10'): { Controls: unknown[]; Totals: Record<string, number> } {
  const drifts = Object.keys(DRIFTS);
  const drift = drifts[createHash('sha256').update(clusterId).digest().readUInt8(0) % drifts.length]!;
  const detected = /^v?(\d+\.\d+)/.exec(kubernetesVersion)?.[1] ?? '1.31';
  const totals = { total_pass: 0, total_fail: 0, total_warn: 0, total_info: 0 };
  const Controls = TARGETS.map((target) => {
    const counts = { total_pass: 0, total_fail: 0, total_warn: 0, total_info: 0 };
    const tests = target.sections.map((section) => {
      const c = { pass: 0, fail: 0, warn: 0, info: 0 };
      const results = section.checks.map(([id, text, kind]) => {
        const failing = KUBEADM_FAILS[id] ?? (id === drift ? DRIFTS[id] : undefined);
        const status = kind === 'manual' ? 'WARN' : failing ? 'FAIL' : 'PASS';
        c[status.toLowerCase() as 'pass' | 'fail' | 'warn'] += 1;
        const remediation = failing?.remediation ?? section.remediation;
        return {
          test_number: id,
          test_desc: text,
          audit: section.audit,
          AuditEnv: '',
          AuditConfig: '',
          type: kind === 'manual' ? 'manual' : '',
          remediation,
          test_info: [remediation],
          status,
          actual_value: failing?.actual ?? '',
          scored: kind === 'auto',
          IsMultiple: false,
          expected_result: failing?.expected ?? '',
          ...(kind === 'manual' ? { reason: 'Test marked as a manual test' } : {}),
        };
      });
      counts.total_pass += c.pass;
      counts.total_fail += c.fail;
      counts.total_warn += c.warn;
      return { section: section.id, type: '', ...c, desc: section.desc, results };
    });
    totals.total_pass += counts.total_pass;
    totals.total_fail += counts.total_fail;
    totals.total_warn += counts.total_warn;
    return { id: target.id, version: 'cis-1.8', detected_version: detected, text: target.text, node_type: target.nodeType, tests, ...counts };
  });
  return { Controls, Totals: totals };
}
