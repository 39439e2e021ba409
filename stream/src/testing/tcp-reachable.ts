import net from 'node:net';

/** True when a TCP connect to host:port succeeds within `timeoutMillis`. */
export function tcpReachable(host: string, port: number, timeoutMillis = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMillis, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
