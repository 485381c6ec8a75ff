// The gateway playground: plain browser JavaScript, no build step. Model output and server messages
// are only ever set as textContent, never parsed as HTML.

const KEY_STORAGE = 'slrg.playground.api-key';
const MAX_RECONNECT_MS = 30_000;

const $ = (id) => document.getElementById(id);

const state = {
  key: sessionStorage.getItem(KEY_STORAGE) ?? '',
  ws: null,
  retries: 0,
  reconnectTimer: undefined,
  /** Requests waiting for their terminal frame, by id. */
  pending: new Map(),
  /** Frames written while the socket was not open yet. */
  queue: [],
  seq: 0,
};

// ---- HTTP ---------------------------------------------------------------------------------------

function api(path, init = {}) {
  return fetch(path, {
    ...init,
    headers: { ...init.headers, authorization: `Bearer ${state.key}` },
  });
}

/** The OpenAI error envelope's message, or the status line. */
async function errorText(res) {
  try {
    const body = await res.json();
    if (body?.error?.message) return String(body.error.message);
  } catch {
    // Not JSON: fall through to the status.
  }
  return `${res.status} ${res.statusText}`.trim();
}

function describeError(error) {
  if (!error) return 'Unknown error.';
  const code = error.code ?? error.type ?? 'error';
  const retry = error.retry_after === undefined ? '' : ` (retry after ${error.retry_after} s)`;
  return `${code}: ${error.message ?? ''}${retry}`;
}

// ---- Models -------------------------------------------------------------------------------------

async function loadModels() {
  const select = $('model');
  if (!state.key) return;
  try {
    const res = await api('/v1/models');
    if (!res.ok) throw new Error(await errorText(res));
    const { data } = await res.json();
    const previous = select.value;
    const aliases = document.createElement('optgroup');
    aliases.label = 'Aliases';
    const models = document.createElement('optgroup');
    models.label = 'Models';
    for (const m of data) (m.owned_by === 'gateway' ? aliases : models).append(new Option(m.id, m.id));
    select.replaceChildren(...[aliases, models].filter((g) => g.children.length > 0));
    if (data.some((m) => m.id === previous)) select.value = previous;
    showChatError('');
  } catch (err) {
    showChatError(`Could not load the models: ${err.message}`);
  }
}

// ---- WebSocket ----------------------------------------------------------------------------------

function setConnection(text, kind) {
  const el = $('connection');
  el.textContent = text;
  el.dataset.state = kind;
}

function wsUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws/chat?api_key=${encodeURIComponent(state.key)}`;
}

function disconnect(reason) {
  clearTimeout(state.reconnectTimer);
  const ws = state.ws;
  state.ws = null;
  if (!ws) return;
  ws.close(1000);
  failAll(reason);
}

function connect() {
  disconnect('The connection was replaced before the answer was complete.');
  if (!state.key) {
    failAll('No API key.');
    setConnection('Enter an API key to connect', 'idle');
    return;
  }
  const ws = new WebSocket(wsUrl());
  state.ws = ws;
  let opened = false;
  setConnection('Connecting…', 'connecting');
  ws.addEventListener('open', () => {
    opened = true;
    state.retries = 0;
    setConnection('Connected', 'open');
    for (const frame of state.queue.splice(0)) ws.send(frame);
  });
  ws.addEventListener('message', (event) => onFrame(event.data));
  ws.addEventListener('close', (event) => {
    if (state.ws !== ws) return; // replaced on purpose
    state.ws = null;
    failAll('The connection closed before the answer was complete.');
    const delay = Math.min(MAX_RECONNECT_MS, 1000 * 2 ** state.retries++);
    const why = opened
      ? `Disconnected (code ${event.code})`
      : 'Could not connect (is the API key right? does it have the chat scope?)';
    setConnection(`${why}; retrying in ${Math.round(delay / 1000)} s`, 'error');
    state.reconnectTimer = setTimeout(connect, delay);
  });
}

function sendFrame(frame) {
  const text = JSON.stringify(frame);
  if (state.ws?.readyState === WebSocket.OPEN) state.ws.send(text);
  else state.queue.push(text);
}

function onFrame(data) {
  let frame;
  try {
    frame = JSON.parse(data);
  } catch {
    showChatError('The server sent a frame that is not JSON.');
    return;
  }
  if (frame.id === null || frame.id === undefined) {
    showChatError(describeError(frame.error));
    return;
  }
  // Cancelled requests have left the map: anything still arriving for them is dropped.
  const answer = state.pending.get(frame.id);
  if (!answer) return;
  if (frame.type === 'chat.delta') {
    answer.append(frame.delta, frame.tool_calls);
  } else if (frame.type === 'chat.done') {
    state.pending.delete(frame.id);
    answer.finish(frame);
  } else if (frame.type === 'chat.error') {
    state.pending.delete(frame.id);
    answer.fail(describeError(frame.error));
  }
}

function failAll(reason) {
  state.queue.length = 0;
  for (const answer of state.pending.values()) answer.fail(reason);
  state.pending.clear();
}

// ---- Answers ------------------------------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** One request and its streamed answer, shown as a list item. */
class Answer {
  constructor(id, model, prompt) {
    this.id = id;
    this.text = '';
    this.tools = [];
    this.root = el('li', 'answer');
    this.root.dataset.requestId = id;
    this.root.setAttribute('aria-busy', 'true');
    this.textEl = el('p', 'text');
    this.toolsEl = el('p', 'tools');
    this.toolsEl.hidden = true;
    this.errorEl = el('p', 'error');
    this.errorEl.setAttribute('role', 'alert');
    this.errorEl.hidden = true;
    this.meta = el('dl', 'meta');
    this.fields = {};
    for (const name of ['state', 'model', 'cache', 'provider', 'finish', 'usage']) {
      const row = el('div');
      const value = el('dd');
      value.dataset.field = name;
      row.append(el('dt', '', name), value);
      row.hidden = true;
      this.fields[name] = value;
      this.meta.append(row);
    }
    this.cancelButton = el('button', '', 'Cancel');
    this.cancelButton.type = 'button';
    this.cancelButton.addEventListener('click', () => cancel(this.id));
    this.meta.append(this.cancelButton);
    this.root.append(el('p', 'prompt', prompt), this.textEl, this.toolsEl, this.meta, this.errorEl);
    this.set('state', 'streaming');
    this.set('model', model);
  }

  set(name, value) {
    this.fields[name].textContent = value;
    this.fields[name].parentElement.hidden = false;
  }

  append(delta, toolCalls) {
    if (delta) {
      this.text += delta;
      this.textEl.textContent = this.text;
    }
    for (const call of toolCalls ?? []) {
      const t = (this.tools[call.index] ??= { name: '', args: '' });
      t.name += call.function?.name ?? '';
      t.args += call.function?.arguments ?? '';
    }
    if (toolCalls?.length) {
      this.toolsEl.hidden = false;
      this.toolsEl.textContent = this.tools.map((t) => `tool call ${t.name}(${t.args})`).join('\n');
    }
  }

  finish(frame) {
    this.end('done');
    this.set('cache', frame.cache);
    this.fields.cache.className = 'badge';
    this.fields.cache.dataset.cache = frame.cache;
    const provider = frame.provider ?? frame.target;
    if (typeof provider === 'string') this.set('provider', provider);
    this.set('finish', frame.finish_reason);
    const u = frame.usage;
    if (u) {
      this.set(
        'usage',
        `${u.prompt_tokens} prompt + ${u.completion_tokens} completion = ${u.total_tokens} tokens`,
      );
    }
  }

  fail(message) {
    this.end('failed');
    this.textEl.hidden = this.text === '';
    this.errorEl.textContent = message;
    this.errorEl.hidden = false;
  }

  end(label) {
    this.set('state', label);
    this.root.setAttribute('aria-busy', 'false');
    this.cancelButton.remove();
  }
}

function cancel(id) {
  const answer = state.pending.get(id);
  if (!answer) return;
  state.pending.delete(id);
  const queued = state.queue.findIndex((f) => JSON.parse(f).id === id);
  if (queued >= 0) state.queue.splice(queued, 1);
  else sendFrame({ type: 'chat.cancel', id });
  answer.end('cancelled');
}

function showChatError(message) {
  const box = $('chat-error');
  box.textContent = message;
  box.hidden = message === '';
}

function sendChat(event) {
  event.preventDefault();
  if (!state.key) {
    showChatError('Enter an API key first.');
    $('api-key').focus();
    return;
  }
  const model = $('model').value;
  const message = $('message').value;
  if (!model || !message.trim()) return;
  const system = $('system').value;
  const messages = system.trim() ? [{ role: 'system', content: system }] : [];
  messages.push({ role: 'user', content: message });
  const id = `p${++state.seq}-${Math.random().toString(36).slice(2, 8)}`;
  const answer = new Answer(id, model, message);
  state.pending.set(id, answer);
  $('answers').prepend(answer.root);
  showChatError('');
  sendFrame({
    type: 'chat.request',
    id,
    body: { model, messages, cache: { mode: $('cache-mode').value } },
  });
}

// ---- Search -------------------------------------------------------------------------------------

function searchStatus(text, kind = 'idle') {
  const box = $('search-status');
  box.textContent = text;
  box.dataset.state = kind;
}

function renderResult(r) {
  const item = el('li');
  const score = typeof r.score === 'number' ? r.score.toFixed(3) : String(r.score);
  const where = [r.source_name, ...(r.heading_path ?? [])].filter(Boolean).join(' › ');
  item.append(
    el('div', 'hint', `score ${score} · document ${r.document_id} · chunk ${r.chunk_id}`),
    el('p', 'text', r.text),
  );
  if (where) item.firstChild.after(el('div', 'source', where));
  if (r.metadata && Object.keys(r.metadata).length > 0) {
    item.append(el('div', 'metadata', JSON.stringify(r.metadata)));
  }
  return item;
}

async function search(event) {
  event.preventDefault();
  const collection = $('collection').value.trim();
  const query = $('query').value;
  const topK = Number($('top-k').value) || 5;
  $('search-results').replaceChildren();
  if (!state.key) return searchStatus('Enter an API key first.', 'error');
  searchStatus('Searching…');
  let res;
  try {
    res = await api(`/api/collections/${encodeURIComponent(collection)}/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, top_k: topK }),
    });
  } catch (err) {
    return searchStatus(`The search failed: ${err.message}`, 'error');
  }
  if (res.status === 404) {
    const detail = await errorText(res);
    return searchStatus(`No collection “${collection}” for this key (404: ${detail})`, 'error');
  }
  if (!res.ok) return searchStatus(`The search failed (${res.status}): ${await errorText(res)}`, 'error');
  const { results = [] } = await res.json();
  $('search-results').replaceChildren(...results.map(renderResult));
  searchStatus(results.length === 0 ? 'No matching chunks.' : `${results.length} result(s).`, 'done');
}

// ---- Wiring -------------------------------------------------------------------------------------

function useKey(key) {
  state.key = key;
  state.retries = 0;
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
  connect();
  if (key) void loadModels();
  else $('model').replaceChildren();
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  useKey($('api-key').value.trim());
});
$('forget-key').addEventListener('click', () => {
  $('api-key').value = '';
  useKey('');
});
$('reload-models').addEventListener('click', () => void loadModels());
$('chat-form').addEventListener('submit', sendChat);
$('message').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    $('chat-form').requestSubmit();
  }
});
$('search-form').addEventListener('submit', (event) => void search(event));

$('api-key').value = state.key;
if (state.key) useKey(state.key);
else setConnection('Enter an API key to connect', 'idle');
