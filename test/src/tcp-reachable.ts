import net from 'node:net';

/**
 * True when a TCP connect to host:port succeeds within `timeoutMillis`: whether a broker or server a suite
 * needs is there (skip with the reason when not).
 *
 * @example
 * const kafkaUp = await tcpReachable('127.0.0.1', 9092);
 */
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
