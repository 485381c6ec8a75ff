const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

function contentProblem(content: unknown, i: number, role: string): string | undefined {
  if (typeof content === 'string') return undefined;
  if (content === null || content === undefined) {
    return role === 'assistant' ? undefined : `messages.${i}.content is required for role ${role}`;
  }
  if (!Array.isArray(content)) return `messages.${i}.content must be a string or an array of parts`;
  for (const [j, part] of content.entries()) {
    const p = part as { type?: unknown; text?: unknown; image_url?: { url?: unknown } };
    if (p?.type === 'text' && typeof p.text === 'string') continue;
    if (p?.type === 'image_url' && typeof p.image_url?.url === 'string') continue;
    return `messages.${i}.content.${j} must be a text or image_url part`;
  }
  return undefined;
}

/**
 * Checks OpenAI chat messages in one pass (cheaper than nested DTO validation on the hot path).
 * Returns the first problem, naming the path, or undefined when valid.
 */
export function isChatMessageList(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return 'messages must be a non-empty array';
  for (const [i, raw] of value.entries()) {
    if (typeof raw !== 'object' || raw === null) return `messages.${i} must be an object`;
    const m = raw as {
      role?: unknown;
      content?: unknown;
      tool_calls?: unknown;
      tool_call_id?: unknown;
      name?: unknown;
    };
    if (typeof m.role !== 'string' || !ROLES.has(m.role))
      return `messages.${i}.role must be one of ${[...ROLES].join(', ')}`;
    const problem = contentProblem(m.content, i, m.role);
    if (problem) return problem;
    if (m.name !== undefined && typeof m.name !== 'string') return `messages.${i}.name must be a string`;
    if (m.role === 'tool' && typeof m.tool_call_id !== 'string')
      return `messages.${i}.tool_call_id is required for role tool`;
    if (m.tool_calls !== undefined) {
      if (m.role !== 'assistant' || !Array.isArray(m.tool_calls))
        return `messages.${i}.tool_calls must be an array on an assistant message`;
      for (const [j, tc] of m.tool_calls.entries()) {
        const t = tc as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
        if (
          typeof t?.id !== 'string' ||
          typeof t.function?.name !== 'string' ||
          typeof t.function.arguments !== 'string'
        ) {
          return `messages.${i}.tool_calls.${j} needs id, function.name and function.arguments (a JSON string)`;
        }
      }
    }
  }
  return undefined;
}
