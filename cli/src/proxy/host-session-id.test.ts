import { describe, expect, it } from 'vitest';
import { findHostProcess, hostSessionId, type ProcessInfo, type ReadProcess } from './host-session-id.js';

/** A process tree: host (100) → sh -c (200) → npx (300) → proxy; a second npx (301) under the same host. */
const TREE: Record<number, ProcessInfo> = {
  1: { pid: 1, ppid: 0, startTime: '1', argv: ['/sbin/init'] },
  100: { pid: 100, ppid: 1, startTime: '5000', argv: ['/opt/host/host-app', '--flag'] },
  200: { pid: 200, ppid: 100, startTime: '6000', argv: ['/bin/sh', '-c', 'npx bulwark proxy -- srv'] },
  300: { pid: 300, ppid: 200, startTime: '6001', argv: ['npm', 'exec', 'bulwark', 'proxy'] },
  301: {
    pid: 301,
    ppid: 100,
    startTime: '7000',
    argv: ['/usr/bin/node', '/usr/lib/node_modules/npm/bin/npx-cli.js'],
  },
};
const read: ReadProcess = (pid) => TREE[pid];

describe('hostSessionId', () => {
  it('skips launchers (shells, npx, npm exec) up to the host process', () => {
    expect(findHostProcess(300, read)?.pid).toBe(100);
    expect(findHostProcess(301, read)?.pid).toBe(100);
    expect(findHostProcess(100, read)?.pid).toBe(100);
  });

  it('gives every proxy of one host the same id, and another host run another one', () => {
    const a = hostSessionId({ env: {}, ppid: 300, readProcess: read, bootId: 'b' });
    const b = hostSessionId({ env: {}, ppid: 301, readProcess: read, bootId: 'b' });
    expect(a).toEqual(b);
    expect(a).toMatchObject({ source: 'host', hostPid: 100 });
    expect(a.sessionId).toMatch(/^host-100-[0-9a-f]{16}$/);
    // Same pid, restarted later (pid reuse), or after a reboot: a new session.
    const restarted: ReadProcess = (pid) => (pid === 100 ? { ...TREE[100]!, startTime: '9999' } : TREE[pid]);
    expect(hostSessionId({ env: {}, ppid: 300, readProcess: restarted, bootId: 'b' }).sessionId).not.toBe(
      a.sessionId,
    );
    expect(hostSessionId({ env: {}, ppid: 300, readProcess: read, bootId: 'c' }).sessionId).not.toBe(
      a.sessionId,
    );
  });

  it('uses --session-id, then BULWARK_SESSION_ID, verbatim', () => {
    const env = { BULWARK_SESSION_ID: ' from-env ' };
    expect(hostSessionId({ explicit: 'given', env, readProcess: read })).toEqual({
      sessionId: 'given',
      source: 'option',
    });
    expect(hostSessionId({ env, readProcess: read })).toEqual({ sessionId: 'from-env', source: 'env' });
  });

  it('falls back to the parent pid when processes cannot be read', () => {
    const s = hostSessionId({ env: {}, ppid: 4242, readProcess: () => undefined, bootId: '' });
    expect(s).toMatchObject({ source: 'host', hostPid: 4242 });
  });
});
