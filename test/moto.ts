import { spawn } from 'node:child_process';
import { freePort, stopProcess, waitFor } from '../local/ports.js';

export interface Moto {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * moto, a real AWS emulator (EC2, STS, KMS, Secrets Manager, …) from the machine's Python, on
 * loopback: one per test file. It is more lenient than AWS in places (ExternalId, client tokens),
 * which the aws-sdk-client-mock tests cover.
 */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  let exited = false;
  child.on('exit', () => (exited = true));
  const endpoint = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (exited) throw new Error('moto exited during start (is it installed? python3 -m pip install "moto[server]")');
    return (await fetch(`${endpoint}/moto-api/`)).ok;
  }, 'moto');
  return { endpoint, stop: () => stopProcess(child) };
}
