import type { AgentSession } from '@bulwark/agent-sdk';

/** Options of {@link serveHttpProxy}. */
export interface HttpProxyOptions {
  remote: URL;
  port: number;
  bind: string;
  headers: Record<string, string>;
  session: AgentSession;
  serverName?: string;
  flushRecords?: () => Promise<void>;
  log: (line: string) => void;
}

/** Placeholder until the Streamable HTTP front lands. */
export async function serveHttpProxy(options: HttpProxyOptions): Promise<number> {
  options.log('bulwark proxy: the Streamable HTTP front is not available in this build');
  return 2;
}
