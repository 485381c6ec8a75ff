import { GatewayError } from '../../../common/errors/gateway-error.js';
import type { ChatMessage, ContentPart, ToolCall } from '../../core/chat.types.js';
import type {
  AnthropicImageBlock,
  AnthropicMessage,
  AnthropicRequestBlock,
  AnthropicTextBlock,
  AnthropicToolUseBlock,
} from './anthropic.wire.js';

export interface AnthropicConversation {
  system?: string;
  messages: AnthropicMessage[];
  warnings: string[];
}

interface Turn {
  role: 'user' | 'assistant';
  blocks: AnthropicRequestBlock[];
}

// eslint-disable-next-line security/detect-unsafe-regex -- linear: parameters are delimited by ';', which the repeated class excludes
const DATA_URL = /^data:([^;,]+)(?:;[^;,]*)*;base64,(.*)$/s;

function invalid(message: string, param: string): GatewayError {
  return new GatewayError('invalid_request_error', message, { param, provider: 'anthropic' });
}

function textOf(content: ChatMessage['content']): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((p): p is Extract<ContentPart, { type: 'text' }> => p.type === 'text')
    .map((p) => p.text)
    .join('\n');
}

function imageBlock(url: string, param: string): AnthropicImageBlock {
  if (url.startsWith('data:')) {
    const m = DATA_URL.exec(url);
    if (!m?.[1] || m[2] === undefined) {
      throw invalid('Image data URLs must be base64-encoded (data:<media type>;base64,<data>).', param);
    }
    return { type: 'image', source: { type: 'base64', media_type: m[1], data: m[2] } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw invalid('Image URLs must be http(s) or base64 data URLs.', param);
}

/** Text and image parts as blocks; Anthropic rejects empty text blocks, so those are dropped. */
function contentBlocks(
  content: ChatMessage['content'],
  param: string,
): Array<AnthropicTextBlock | AnthropicImageBlock> {
  if (content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const blocks: Array<AnthropicTextBlock | AnthropicImageBlock> = [];
  content.forEach((part, i) => {
    if (part.type === 'text') {
      if (part.text !== '') blocks.push({ type: 'text', text: part.text });
    } else {
      blocks.push(imageBlock(part.image_url.url, `${param}[${i}].image_url.url`));
    }
  });
  return blocks;
}

function toolUseBlock(call: ToolCall, param: string): AnthropicToolUseBlock {
  const args = call.function.arguments.trim();
  let input: unknown;
  try {
    input = args === '' ? {} : JSON.parse(args);
  } catch {
    throw invalid(`Tool call arguments must be valid JSON (tool call ${call.id}).`, param);
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid(`Tool call arguments must be a JSON object (tool call ${call.id}).`, param);
  }
  return { type: 'tool_use', id: call.id, name: call.function.name, input };
}

function assistantBlocks(msg: ChatMessage, param: string): AnthropicRequestBlock[] {
  const blocks: AnthropicRequestBlock[] = contentBlocks(msg.content, `${param}.content`);
  (msg.tool_calls ?? []).forEach((call, j) => {
    blocks.push(toolUseBlock(call, `${param}.tool_calls[${j}].function.arguments`));
  });
  return blocks;
}

function toolResultBlock(msg: ChatMessage, param: string): AnthropicRequestBlock {
  if (!msg.tool_call_id) throw invalid('Tool messages need a tool_call_id.', `${param}.tool_call_id`);
  const content =
    typeof msg.content === 'string' || msg.content === null
      ? (msg.content ?? '')
      : contentBlocks(msg.content, `${param}.content`);
  return { type: 'tool_result', tool_use_id: msg.tool_call_id, content };
}

/**
 * Tool results must open their user turn, so any text merged in before them moves after them. A
 * lone text block goes back to the plain string form, which is what most callers send.
 */
function compact(turn: Turn): AnthropicMessage {
  const blocks =
    turn.role === 'user'
      ? [
          ...turn.blocks.filter((b) => b.type === 'tool_result'),
          ...turn.blocks.filter((b) => b.type !== 'tool_result'),
        ]
      : turn.blocks;
  const only = blocks.length === 1 ? blocks[0] : undefined;
  return { role: turn.role, content: only?.type === 'text' ? only.text : blocks };
}

/**
 * OpenAI-style messages → Anthropic's top-level `system` and strictly alternating user/assistant
 * turns: system and developer messages are hoisted, tool results travel in user turns, and
 * consecutive same-role turns (e.g. several tool results, or a tool result then a user message)
 * are merged into one.
 */
export function toAnthropicConversation(messages: ChatMessage[]): AnthropicConversation {
  const system: string[] = [];
  const warnings: string[] = [];
  const turns: Turn[] = [];
  const add = (role: Turn['role'], blocks: AnthropicRequestBlock[]): void => {
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last?.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  };
  messages.forEach((msg, i) => {
    const param = `messages[${i}]`;
    switch (msg.role) {
      case 'system':
      case 'developer': {
        const text = textOf(msg.content);
        if (text !== '') system.push(text);
        if (Array.isArray(msg.content) && msg.content.some((p) => p.type !== 'text')) {
          warnings.push(`Images in ${msg.role} messages are not supported by anthropic; they were dropped.`);
        }
        break;
      }
      case 'user':
        add('user', contentBlocks(msg.content, `${param}.content`));
        break;
      case 'assistant':
        add('assistant', assistantBlocks(msg, param));
        break;
      case 'tool':
        add('user', [toolResultBlock(msg, param)]);
        break;
    }
  });
  return {
    ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
    messages: turns.map(compact),
    warnings,
  };
}
