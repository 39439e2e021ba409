import {
  type AgentMessageEnvelope,
  AgentSession,
  RemoteVerdictProvider,
  TOOL_CALL_ID_META_KEY,
} from '@bulwark/agent-sdk';
import type { Verdict } from '@bulwark/contracts';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectServer, type DemoServerDirs, type DemoServerName } from './mcp-servers.js';
import { type RecordedVerdict, RecordingVerdictProvider } from './recording-verdict-provider.js';

/** An OpenAI-style chat message, as a real agent loop would keep its history. */
type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | {
      role: 'assistant';
      content: string | null;
      tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
    }
  | { role: 'tool'; tool_call_id: string; content: string };

/** What happened to one scripted tool call. */
export interface ToolCallOutcome {
  toolCallId: string;
  tool: string;
  /** The verdict the collector gave (undefined only without a provider). */
  verdict: Verdict | undefined;
  /** The call was refused before it reached the server. */
  blocked: boolean;
  /** Result text (for a refused call, the SDK's explanation). */
  text: string;
}

export interface ScriptedAgentOptions {
  /** Agent name (`gen_ai.agent.name`). */
  name: string;
  /** Collector base URL: verdicts are asked at `${url}/v1/verdicts`. */
  collectorUrl: string;
  dirs: DemoServerDirs;
  /** Scenario label, used as a prefix of the session id. */
  scenario: string;
  systemPrompt: string;
  onVerdict: (v: RecordedVerdict) => void;
}

const MODEL = 'scripted-model-1';

/**
 * An agent driven by a SCRIPTED model: no LLM, the scenario says which tool to call next. Everything else
 * is what a real agent does: the chat history is kept and every model turn is recorded with
 * `session.recordLlmCall` (so prompts, completions and tool results are traced), tools are called through
 * MCP clients instrumented with the agent SDK, and every call is decided by the collector over HTTP first.
 *
 * @example
 * const agent = await ScriptedAgent.start({ name: 'assistant', collectorUrl, dirs, scenario: 'benign', systemPrompt, onVerdict });
 * agent.user('Summarize https://news.example.com/markets');
 * const page = await agent.callTool('web', 'fetch_page', { url: 'https://news.example.com/markets' });
 */
export class ScriptedAgent {
  readonly session: AgentSession;
  readonly provider: RecordingVerdictProvider;
  private readonly clients = new Map<DemoServerName, Client>();
  private readonly history: ChatMessage[];
  private calls = 0;

  private constructor(private readonly options: ScriptedAgentOptions) {
    this.provider = new RecordingVerdictProvider(
      options.name,
      // Generous deadline: a demo on a busy 2-core machine must not fail closed on a slow first request.
      new RemoteVerdictProvider({ url: options.collectorUrl, timeoutMillis: 5_000 }, {}),
      options.onVerdict,
    );
    this.session = new AgentSession(
      {
        agentName: options.name,
        agentId: options.name,
        sessionId: `demo-${options.scenario}-${options.name}-${Date.now().toString(36)}`,
        verdictProvider: this.provider,
      },
      {},
    );
    this.history = [{ role: 'system', content: options.systemPrompt }];
  }

  /** Creates the agent and connects its MCP servers (spawned over stdio, in parallel). */
  static async start(
    options: ScriptedAgentOptions,
    servers: readonly DemoServerName[],
  ): Promise<ScriptedAgent> {
    const agent = new ScriptedAgent(options);
    const connected = await Promise.allSettled(
      servers.map((s) => connectServer(s, options.dirs, agent.session)),
    );
    connected.forEach((c, i) => {
      if (c.status === 'fulfilled') agent.clients.set(servers[i]!, c.value);
    });
    const failed = connected.find((c): c is PromiseRejectedResult => c.status === 'rejected');
    if (failed) {
      await agent.close();
      throw failed.reason;
    }
    return agent;
  }

  get name(): string {
    return this.options.name;
  }

  /** A user turn (trusted intent). */
  user(text: string): void {
    this.history.push({ role: 'user', content: text });
  }

  /** Lists a server's tools (traced: the definitions reach the collector with the next verdict request). */
  async listTools(server: DemoServerName): Promise<Array<{ name: string; description?: string }>> {
    const res = await this.client(server).listTools();
    return res.tools;
  }

  /**
   * One model turn that asks for one tool call (`say` is the assistant's text beside it), then the call itself
   * through the instrumented MCP client, then the result back into the history.
   */
  async callTool(
    server: DemoServerName,
    tool: string,
    args: Record<string, unknown>,
    say: string | null = null,
  ): Promise<ToolCallOutcome> {
    this.calls += 1;
    const toolCallId = `call_${this.options.name}_${this.calls}`;
    const assistant: ChatMessage = {
      role: 'assistant',
      content: say,
      tool_calls: [
        { id: toolCallId, type: 'function', function: { name: tool, arguments: JSON.stringify(args) } },
      ],
    };
    this.recordTurn(assistant, 'tool_calls');
    const result = await this.client(server).callTool({
      name: tool,
      arguments: args,
      _meta: { [TOOL_CALL_ID_META_KEY]: toolCallId },
    });
    const text = ((result.content ?? []) as Array<{ type: string; text?: string }>)
      .map((c) => (c.type === 'text' ? (c.text ?? '') : `[${c.type}]`))
      .join('\n');
    this.history.push({ role: 'tool', tool_call_id: toolCallId, content: text });
    const verdict = this.provider.verdictFor(toolCallId);
    return {
      toolCallId,
      tool,
      verdict,
      blocked: result.isError === true && verdict?.decision === 'block',
      text,
    };
  }

  /** A final model turn with text only. */
  answer(text: string): void {
    this.recordTurn({ role: 'assistant', content: text }, 'stop');
  }

  /** Sends a message to another agent (A2A-style envelope; the SDK records it). */
  sendMessage(to: string, text: string): AgentMessageEnvelope {
    return this.session.sendAgentMessage({ to, text });
  }

  /**
   * Accepts a message from another agent; the SDK records it as untrusted input (`agent_message` received).
   * It is deliberately not replayed into the chat history as a user turn: a peer agent is not the user, and a
   * user-role copy would be recorded as a trusted prompt, which would make the injected destination look
   * user-given to the detectors.
   */
  receiveMessage(envelope: unknown): string {
    const msg = this.session.receiveAgentMessage(envelope);
    if (!msg.ok) throw new Error(`agent message rejected: ${msg.message}`);
    return msg.text;
  }

  /** Flushes the verdict provider and closes the MCP clients (which stops the servers). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.clients.values()].map((c) => c.close()));
    this.clients.clear();
    await this.session.shutdown();
  }

  private client(server: DemoServerName): Client {
    const c = this.clients.get(server);
    if (!c) throw new Error(`agent ${this.options.name} is not connected to the ${server} server`);
    return c;
  }

  /** Records one model call: the history so far as the request, `message` as the completion. */
  private recordTurn(message: ChatMessage, finishReason: string): void {
    const started = Date.now();
    this.session.recordLlmCall({
      provider: 'scripted',
      request: { model: MODEL, messages: [...this.history] },
      response: {
        id: `chatcmpl-${this.options.name}-${this.calls}`,
        object: 'chat.completion',
        model: MODEL,
        choices: [{ index: 0, message, finish_reason: finishReason }],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      },
      startTimeMillis: started,
      endTimeMillis: started + 1,
    });
    this.history.push(message);
  }
}
