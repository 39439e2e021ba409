/** One part of a normalized chat message. */
export type LlmPart =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; id: string; name: string; arguments: Record<string, unknown> }
  | { type: 'tool_call_response'; id: string; response: string; isError: boolean };

/** A chat message in the GenAI semantic-convention shape, before capture. */
export interface LlmMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  parts: LlmPart[];
  finishReason?: string;
}

/** An LLM call in provider-neutral form. */
export interface NormalizedLlmCall {
  /** System instructions (Anthropic `system`, OpenAI `system` messages), in order. */
  system: string[];
  input: LlmMessage[];
  output: LlmMessage[];
  requestModel?: string;
  responseModel?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** Guessed from the shapes when the caller names no provider. */
  detectedProvider: 'openai' | 'anthropic' | undefined;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;

function parseArgs(v: unknown): Record<string, unknown> {
  if (isRec(v)) return v;
  if (typeof v === 'string') {
    if (v.trim() === '') return {};
    try {
      const parsed: unknown = JSON.parse(v);
      return isRec(parsed) ? parsed : { value: parsed };
    } catch {
      return { value: v };
    }
  }
  return v === undefined || v === null ? {} : { value: v };
}

/** Text of a content value: a string, or text blocks of either provider (other blocks are skipped). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    return content === undefined || content === null ? '' : JSON.stringify(content);
  const texts: string[] = [];
  for (const b of content) {
    if (typeof b === 'string') texts.push(b);
    else if (isRec(b) && typeof b.text === 'string') texts.push(b.text);
  }
  return texts.join('\n');
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** One provider message (OpenAI chat/Responses item or Anthropic message) to one or two normalized messages. */
function normalizeMessage(raw: unknown, found: { anthropic: boolean }): LlmMessage[] {
  if (typeof raw === 'string') return [{ role: 'user', parts: [{ type: 'text', text: raw }] }];
  if (!isRec(raw)) return [];
  // OpenAI Responses API items without a role.
  if (raw.type === 'function_call_output')
    return [
      {
        role: 'tool',
        parts: [
          {
            type: 'tool_call_response',
            id: String(raw.call_id ?? ''),
            response: contentText(raw.output),
            isError: false,
          },
        ],
      },
    ];
  if (raw.type === 'function_call')
    return [
      {
        role: 'assistant',
        parts: [
          {
            type: 'tool_call',
            id: String(raw.call_id ?? raw.id ?? ''),
            name: String(raw.name ?? ''),
            arguments: parseArgs(raw.arguments),
          },
        ],
      },
    ];
  const rawRole = str(raw.role) ?? 'user';
  if (rawRole === 'tool' || rawRole === 'function') {
    return [
      {
        role: 'tool',
        parts: [
          {
            type: 'tool_call_response',
            id: String(raw.tool_call_id ?? raw.name ?? ''),
            response: contentText(raw.content),
            isError: false,
          },
        ],
      },
    ];
  }
  const role = (ROLES.has(rawRole) ? rawRole : 'user') as LlmMessage['role'];
  const parts: LlmPart[] = [];
  const results: LlmPart[] = [];
  if (typeof raw.content === 'string') {
    if (raw.content !== '') parts.push({ type: 'text', text: raw.content });
  } else if (Array.isArray(raw.content)) {
    for (const b of raw.content) {
      if (typeof b === 'string') {
        parts.push({ type: 'text', text: b });
        continue;
      }
      if (!isRec(b)) continue;
      switch (b.type) {
        case 'text':
        case 'input_text':
        case 'output_text':
          if (typeof b.text === 'string') parts.push({ type: 'text', text: b.text });
          break;
        case 'tool_use':
          found.anthropic = true;
          parts.push({
            type: 'tool_call',
            id: String(b.id ?? ''),
            name: String(b.name ?? ''),
            arguments: parseArgs(b.input),
          });
          break;
        case 'tool_result':
          found.anthropic = true;
          results.push({
            type: 'tool_call_response',
            id: String(b.tool_use_id ?? ''),
            response: contentText(b.content),
            isError: b.is_error === true,
          });
          break;
        default:
          // Images, documents, thinking blocks: not text the detectors read.
          break;
      }
    }
  }
  if (Array.isArray(raw.tool_calls)) {
    for (const c of raw.tool_calls) {
      if (!isRec(c)) continue;
      const fn = isRec(c.function) ? c.function : c;
      parts.push({
        type: 'tool_call',
        id: String(c.id ?? ''),
        name: String(fn.name ?? ''),
        arguments: parseArgs(fn.arguments),
      });
    }
  }
  if (isRec(raw.function_call)) {
    parts.push({
      type: 'tool_call',
      id: '',
      name: String(raw.function_call.name ?? ''),
      arguments: parseArgs(raw.function_call.arguments),
    });
  }
  const out: LlmMessage[] = [];
  // Anthropic puts tool results in user messages; the conventions give them their own `tool` message.
  if (results.length > 0) out.push({ role: 'tool', parts: results });
  if (parts.length > 0 || results.length === 0) out.push({ role, parts });
  return out;
}

function normalizeOutput(response: unknown, found: { anthropic: boolean }): LlmMessage[] {
  if (response === undefined || response === null) return [];
  if (typeof response === 'string') return [{ role: 'assistant', parts: [{ type: 'text', text: response }] }];
  if (!isRec(response)) return [];
  if (Array.isArray(response.choices)) {
    const out: LlmMessage[] = [];
    for (const choice of response.choices) {
      if (!isRec(choice)) continue;
      for (const m of normalizeMessage(choice.message ?? choice.delta ?? {}, found)) {
        const msg: LlmMessage = { ...m, role: 'assistant' };
        const finish = str(choice.finish_reason);
        if (finish) msg.finishReason = finish;
        out.push(msg);
      }
    }
    return out;
  }
  if (Array.isArray(response.output)) {
    const parts: LlmPart[] = [];
    for (const item of response.output)
      for (const m of normalizeMessage(
        isRec(item) && item.type === 'message' ? { ...item, role: 'assistant' } : item,
        found,
      ))
        parts.push(...m.parts);
    return [{ role: 'assistant', parts }];
  }
  if (response.content !== undefined || response.tool_calls !== undefined) {
    if (response.type === 'message') found.anthropic = true;
    return normalizeMessage({ ...response, role: 'assistant' }, found).map((m) => {
      const finish = str(response.stop_reason) ?? str(response.finish_reason);
      return finish ? { ...m, finishReason: finish } : m;
    });
  }
  return [];
}

/**
 * Normalizes an OpenAI-style (`messages` with system/user/assistant/tool roles, `tool_calls`,
 * `tool_call_id`; also Responses API items) or Anthropic-style (`system`, content blocks `text`,
 * `tool_use`, `tool_result`) request/response pair. `request` may also be a bare messages array.
 *
 * @example
 * const n = normalizeLlmCall({ system: 'Be brief', messages: [{ role: 'user', content: 'hi' }] }, anthropicResponse);
 */
export function normalizeLlmCall(request: unknown, response: unknown): NormalizedLlmCall {
  const found = { anthropic: false };
  const req: Rec = Array.isArray(request) ? { messages: request } : isRec(request) ? request : {};
  const system: string[] = [];
  if (req.system !== undefined) {
    found.anthropic = true;
    const s = contentText(req.system);
    if (s) system.push(s);
  }
  if (typeof req.instructions === 'string' && req.instructions) system.push(req.instructions);
  const input: LlmMessage[] = [];
  const items: unknown[] = [
    ...(Array.isArray(req.messages) ? req.messages : Array.isArray(req.input) ? req.input : []),
  ];
  if (typeof req.input === 'string') items.push(req.input);
  for (const raw of items) {
    for (const m of normalizeMessage(raw, found)) {
      if (m.role === 'system') {
        const text = m.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
        if (text) system.push(text);
      } else input.push(m);
    }
  }
  const output = normalizeOutput(response, found);
  const res: Rec = isRec(response) ? response : {};
  const usage: Rec = isRec(res.usage) ? res.usage : {};
  const n: NormalizedLlmCall = {
    system,
    input,
    output,
    detectedProvider: found.anthropic
      ? 'anthropic'
      : items.length > 0 || output.length > 0
        ? 'openai'
        : undefined,
  };
  const requestModel = str(req.model);
  if (requestModel) n.requestModel = requestModel;
  const responseModel = str(res.model);
  if (responseModel) n.responseModel = responseModel;
  const inTokens = int(usage.prompt_tokens) ?? int(usage.input_tokens);
  if (inTokens !== undefined) n.inputTokens = inTokens;
  const outTokens = int(usage.completion_tokens) ?? int(usage.output_tokens);
  if (outTokens !== undefined) n.outputTokens = outTokens;
  return n;
}
