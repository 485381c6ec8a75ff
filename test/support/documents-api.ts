import type { RunningApp } from './test-app.js';

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  json: T;
}

export interface DocumentView {
  id: string;
  collection: string;
  status: 'pending' | 'processing' | 'processed' | 'failed';
  chunks: number;
  error?: string;
  source_name: string | null;
  mime: string;
  metadata: Record<string, unknown> | null;
}

export interface SearchResult {
  chunk_id: string;
  document_id: string;
  text: string;
  score: number;
  metadata: Record<string, unknown> | null;
  position: number;
  heading_path: string[];
  source_name: string | null;
}

/** JSON calls against a running gateway, with an optional bearer key. */
export function documentsApi(gw: RunningApp) {
  async function call<T>(
    method: string,
    path: string,
    key?: string,
    body?: unknown,
  ): Promise<ApiResponse<T>> {
    const isForm = body instanceof FormData;
    const res = await fetch(`${gw.baseUrl}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined || isForm ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Polls a document until it leaves pending/processing (or `timeoutMs` passes). */
  async function settled(id: string, key?: string, timeoutMs = 20_000): Promise<DocumentView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await call<DocumentView>('GET', `/api/documents/${id}`, key);
      if (r.status !== 200) throw new Error(`GET /api/documents/${id} answered ${r.status}`);
      if (r.json.status === 'processed' || r.json.status === 'failed') return r.json;
      if (Date.now() > deadline) throw new Error(`document ${id} still ${r.json.status}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async function search(
    collection: string,
    body: Record<string, unknown>,
    key?: string,
  ): Promise<ApiResponse<{ results: SearchResult[] }>> {
    return call('POST', `/api/collections/${collection}/search`, key, body);
  }

  return { call, settled, search };
}
