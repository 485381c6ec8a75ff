#!/usr/bin/env node
/**
 * Builds the configuration reference in docs/configuration.md from the code, so it cannot drift:
 *
 * - names, defaults and accepted values from `src/config/config.schema.ts` (read with the TypeScript
 *   compiler's parser: the schema's helpers `withDefault`, `int`, `url`, `z.enum`, ... are interpreted;
 *   an unknown form stops the generator rather than being guessed),
 * - rules between variables from the `problems.push('NAME: ...')` lines of `src/config/load-config.ts`,
 * - descriptions and sections from the comments of `.env.example` (a comment block describes every
 *   variable right below it).
 *
 *   node scripts/gen-config-docs.mjs           rewrites the part of docs/configuration.md between the markers
 *   node scripts/gen-config-docs.mjs --check   changes nothing; exits 1 when the file is stale or a check fails
 *
 * Checks: every schema variable is in `.env.example` and the reverse, and each value `.env.example`
 * shows is the schema's default. test/docs/config-reference.spec.ts runs `--check`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const BEGIN_MARKER =
  '<!-- BEGIN GENERATED: config reference (node scripts/gen-config-docs.mjs); edits between the markers are overwritten -->';
export const END_MARKER = '<!-- END GENERATED: config reference -->';

/**
 * Used only where `.env.example` has no comment above a variable (its upstream block starts with bare
 * names). Entries for variables the schema no longer has are reported as problems.
 */
const FALLBACK_DESCRIPTIONS = {
  OPENAI_API_KEY: 'OpenAI API key. Set: `openai/…` models are enabled.',
  OPENAI_BASE_URL: 'OpenAI API base URL (Chat Completions, Embeddings, Models live under it).',
  ANTHROPIC_API_KEY: 'Anthropic API key. Set: `anthropic/…` models are enabled.',
  ANTHROPIC_BASE_URL: 'Anthropic API base URL (the Messages API).',
  OLLAMA_BASE_URL: 'Ollama server; `ollama/…` models are always enabled (no key needed).',
};

class SchemaFormError extends Error {}

/** The file's top-level `const` initialisers, by name, so identifiers such as `bool` can be followed. */
function topLevelConsts(source) {
  const consts = new Map();
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const d of statement.declarationList.declarations) {
      if (ts.isIdentifier(d.name) && d.initializer) consts.set(d.name.text, d.initializer);
    }
  }
  return consts;
}

function stripAs(node) {
  while (ts.isAsExpression(node) || ts.isParenthesizedExpression(node) || ts.isSatisfiesExpression(node)) {
    node = node.expression;
  }
  return node;
}

/** A numeric expression such as `64 * 1024 ** 3` or `600_000`, evaluated. */
function evalNumber(node, source) {
  const text = stripAs(node).getText(source).replace(/_/g, '');
  if (!/^[\d\s*+\-/().]+$/.test(text)) throw new SchemaFormError(`not a numeric expression: ${text}`);
  const value = Function(`"use strict"; return (${text});`)();
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new SchemaFormError(`bad number: ${text}`);
  return value;
}

function stringArray(node, consts, source) {
  node = stripAs(node);
  if (ts.isIdentifier(node) && consts.has(node.text)) return stringArray(consts.get(node.text), consts, source);
  if (!ts.isArrayLiteralExpression(node)) throw new SchemaFormError(`expected a string list: ${node.getText(source)}`);
  return node.elements.map((e) => {
    if (!ts.isStringLiteral(e)) throw new SchemaFormError(`expected a string: ${e.getText(source)}`);
    return e.text;
  });
}

/** `{ message: '...' }` of a zod check, if any. */
function messageOf(node) {
  if (!node || !ts.isObjectLiteralExpression(node)) return undefined;
  for (const p of node.properties) {
    if (
      ts.isPropertyAssignment(p) &&
      ts.isIdentifier(p.name) &&
      p.name.text === 'message' &&
      (ts.isStringLiteral(p.initializer) || ts.isNoSubstitutionTemplateLiteral(p.initializer))
    ) {
      return p.initializer.text;
    }
  }
  return undefined;
}

const cleanMessage = (m) => m.replace(/^must be /, '').replace(/^must /, '');

/** The default a `withDefault(schema, fallback)` gives, as the text an environment variable holds. */
function defaultText(node, source) {
  node = stripAs(node);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'String') {
    return String(evalNumber(node.arguments[0], source));
  }
  throw new SchemaFormError(`unrecognised default: ${node.getText(source)}`);
}

/**
 * What one schema accepts: `{ kind, values?, min?, max?, notes: string[], optional, default? }`.
 * `kind`: integer | enum | url | text | list.
 */
function describe(node, consts, source, seen = new Set()) {
  node = stripAs(node);
  if (ts.isIdentifier(node)) {
    if (!consts.has(node.text) || seen.has(node.text)) {
      throw new SchemaFormError(`unknown schema identifier ${node.text}`);
    }
    return describe(consts.get(node.text), consts, source, new Set([...seen, node.text]));
  }
  if (!ts.isCallExpression(node)) throw new SchemaFormError(`unrecognised schema: ${node.getText(source)}`);
  const callee = node.expression;
  const args = node.arguments;
  if (ts.isIdentifier(callee)) {
    switch (callee.text) {
      case 'withDefault':
        return { ...describe(args[0], consts, source, seen), optional: false, default: defaultText(args[1], source) };
      case 'int':
        return {
          kind: 'integer',
          min: evalNumber(args[0], source),
          max: evalNumber(args[1], source),
          notes: [],
          optional: false,
        };
      case 'url':
        return { kind: 'url', values: stringArray(args[0], consts, source), notes: [], optional: false };
      case 'optionalUrl':
        return { kind: 'url', values: stringArray(args[0], consts, source), notes: [], optional: true };
      default:
        // A helper defined in the file: its body is the schema.
        if (consts.has(callee.text)) {
          const fn = stripAs(consts.get(callee.text));
          if (ts.isArrowFunction(fn) && !ts.isBlock(fn.body) && fn.parameters.length === 0) {
            return describe(fn.body, consts, source, seen);
          }
        }
        throw new SchemaFormError(`unrecognised helper ${callee.text}()`);
    }
  }
  if (!ts.isPropertyAccessExpression(callee)) {
    throw new SchemaFormError(`unrecognised schema: ${node.getText(source)}`);
  }
  const method = callee.name.text;
  const target = stripAs(callee.expression);
  // z.<factory>(...)
  if (ts.isIdentifier(target) && target.text === 'z') {
    switch (method) {
      case 'string':
        return { kind: 'text', notes: [], optional: false };
      case 'enum':
        return { kind: 'enum', values: stringArray(args[0], consts, source), notes: [], optional: false };
      case 'array':
        return { kind: 'list', item: describe(args[0], consts, source, seen), notes: [], optional: false };
      case 'preprocess':
        // The gateway's preprocessors only turn '' (or nothing) into a default or into unset.
        return describe(args[1], consts, source, seen);
      default:
        throw new SchemaFormError(`unrecognised z.${method}()`);
    }
  }
  // <schema>.<method>(...)
  const base = describe(target, consts, source, seen);
  switch (method) {
    case 'optional':
      return { ...base, optional: true };
    case 'transform': {
      const splits = /\.split\(\s*['"],['"]\s*\)/.test(args[0]?.getText(source) ?? '');
      return splits ? { ...base, separator: ',' } : base;
    }
    case 'pipe': {
      const piped = describe(args[0], consts, source, seen);
      return { ...piped, separator: base.separator ?? piped.separator, notes: [...base.notes, ...piped.notes] };
    }
    case 'refine':
    case 'regex': {
      const message = messageOf(args[1]);
      if (!message) throw new SchemaFormError(`${method}() without a message: ${node.getText(source)}`);
      return { ...base, notes: [...base.notes, cleanMessage(message)] };
    }
    case 'min': {
      const message = messageOf(args[1]);
      const n = evalNumber(args[0], source);
      const note = message ? cleanMessage(message) : n === 1 ? 'not empty' : `at least ${n} characters`;
      return { ...base, notes: [...base.notes, note] };
    }
    default:
      throw new SchemaFormError(`unrecognised .${method}() in ${node.getText(source)}`);
  }
}

const fmtInt = (n) => (Math.abs(n) >= 10_000 ? n.toLocaleString('en-US') : String(n));

function acceptedText(d) {
  switch (d.kind) {
    case 'integer':
      return `integer, ${fmtInt(d.min)} to ${fmtInt(d.max)}`;
    case 'enum':
      return d.values.map((v) => `\`${v}\``).join(', ');
    case 'url':
      return `URL (${d.values.map((v) => `\`${v}//\``).join(' or ')})`;
    case 'text':
      return d.notes.length > 0 ? d.notes.join('; ') : 'text';
    case 'list': {
      const item = acceptedText(d.item);
      return d.separator ? `list separated by \`${d.separator}\`, each: ${item}` : `list, each: ${item}`;
    }
    default:
      throw new SchemaFormError(`unknown kind ${d.kind}`);
  }
}

/** Rules between variables, from `problems.push('NAME: message')` in load-config.ts. */
function crossRules(loadConfigText) {
  const source = ts.createSourceFile('load-config.ts', loadConfigText, ts.ScriptTarget.Latest, true);
  const rules = new Map();
  const visit = (node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'push' &&
      node.expression.expression.getText(source) === 'problems'
    ) {
      for (const arg of node.arguments) {
        if (!ts.isStringLiteral(arg) && !ts.isNoSubstitutionTemplateLiteral(arg)) continue;
        const m = /^([A-Z][A-Z0-9_]*): (.+)$/.exec(arg.text);
        if (m) rules.set(m[1], [...(rules.get(m[1]) ?? []), cleanMessage(m[2])]);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return rules;
}

/** The schema's variables in order: `{ name, accepted, optional, default }`. */
export function readSchema(schemaText) {
  const source = ts.createSourceFile('config.schema.ts', schemaText, ts.ScriptTarget.Latest, true);
  const consts = topLevelConsts(source);
  const init = consts.get('envSchema');
  const call = init && stripAs(init);
  if (!call || !ts.isCallExpression(call) || call.expression.getText(source) !== 'z.object') {
    throw new SchemaFormError('envSchema = z.object({...}) not found');
  }
  const shape = call.arguments[0];
  if (!shape || !ts.isObjectLiteralExpression(shape)) throw new SchemaFormError('envSchema shape not found');
  return shape.properties.map((p) => {
    if (!ts.isPropertyAssignment(p) || !ts.isIdentifier(p.name)) {
      throw new SchemaFormError(`unrecognised envSchema member: ${p.getText(source)}`);
    }
    const name = p.name.text;
    try {
      const d = describe(p.initializer, consts, source);
      return { name, accepted: acceptedText(d), optional: d.optional, default: d.default };
    } catch (err) {
      if (err instanceof SchemaFormError) throw new SchemaFormError(`${name}: ${err.message}`);
      throw err;
    }
  });
}

/**
 * `.env.example` as sections of variables: `{ title, vars: [{ name, value, description }] }`.
 * A comment block describes every variable directly below it (until a blank line or the next comment).
 */
export function readEnvExample(text) {
  const sections = [{ title: 'General', vars: [] }];
  let comment = [];
  let lastWasVar = false;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const header = /^# -+ (.+?) -*$/.exec(line);
    if (header) {
      sections.push({ title: header[1], vars: [] });
      comment = [];
      lastWasVar = false;
    } else if (line === '') {
      comment = [];
      lastWasVar = false;
    } else if (line.startsWith('#')) {
      if (lastWasVar) comment = [];
      comment.push(line.replace(/^#\s?/, ''));
      lastWasVar = false;
    } else {
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (!m) throw new Error(`.env.example: cannot read line "${line}"`);
      sections.at(-1).vars.push({ name: m[1], value: m[2], description: comment.join(' ') });
      lastWasVar = true;
    }
  }
  return sections.filter((s) => s.vars.length > 0);
}

const cell = (text) => text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\s+/g, ' ');

/** `<`, `>` and `|` are escaped in prose cells; code spans keep `<` (GitHub shows them literally). */
function proseCell(text) {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part.replace(/\|/g, '\\|') : cell(part)))
    .join('');
}

function humanHint(name, value) {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n === 0) return '';
  if (name.endsWith('_BYTES') && n >= 1024) {
    const units = ['KiB', 'MiB', 'GiB'];
    let v = n / 1024;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return Number.isInteger(v) ? ` (${v} ${units[u]})` : '';
  }
  if (name.endsWith('_MS') && n >= 1000) {
    const s = n / 1000;
    if (s >= 60 && Number.isInteger(s / 60)) return ` (${s / 60} min)`;
    return Number.isInteger(s) ? ` (${s} s)` : '';
  }
  return '';
}

function defaultCell(v) {
  if (v.default === undefined) return 'unset';
  if (v.default.trim() === '') return 'none';
  return `\`${v.default}\`${humanHint(v.name, v.default)}`;
}

/** Problems that make `--check` fail besides a stale file. */
function consistencyProblems(schema, sections, rules) {
  const problems = [];
  const inExample = new Map(sections.flatMap((s) => s.vars.map((v) => [v.name, v])));
  const inSchema = new Map(schema.map((v) => [v.name, v]));
  for (const v of schema) {
    const example = inExample.get(v.name);
    if (!example) {
      problems.push(`${v.name} is in src/config/config.schema.ts but missing from .env.example`);
      continue;
    }
    const expected = v.default === undefined ? '' : v.default.trim();
    if (example.value.trim() !== expected) {
      problems.push(
        `.env.example shows ${v.name}=${example.value} but the schema's default is ${v.default === undefined ? 'unset' : `'${v.default}'`}`,
      );
    }
    if (!example.description && !FALLBACK_DESCRIPTIONS[v.name]) {
      problems.push(`${v.name} has no comment in .env.example (and no fallback description in the generator)`);
    }
  }
  for (const name of inExample.keys()) {
    if (!inSchema.has(name)) problems.push(`${name} is in .env.example but not in src/config/config.schema.ts`);
  }
  for (const name of Object.keys(FALLBACK_DESCRIPTIONS)) {
    if (!inSchema.has(name)) problems.push(`the generator's fallback description names ${name}, which the schema lacks`);
  }
  for (const name of rules.keys()) {
    if (!inSchema.has(name)) problems.push(`load-config.ts has a rule for ${name}, which the schema lacks`);
  }
  return problems;
}

/** The generated Markdown (between the markers) and the problems found on the way. */
export function buildReference(root) {
  const read = (p) => readFileSync(join(root, p), 'utf8');
  const schema = readSchema(read('src/config/config.schema.ts'));
  const sections = readEnvExample(read('.env.example'));
  const rules = crossRules(read('src/config/load-config.ts'));
  const problems = consistencyProblems(schema, sections, rules);
  const bySchema = new Map(schema.map((v) => [v.name, v]));
  const listed = new Set();
  const out = [];
  const row = (v, description) => {
    const accepted = [v.accepted, ...(rules.get(v.name) ?? []).map((r) => `also: ${r}`)]
      .filter(Boolean)
      .join('; ');
    out.push(`| \`${v.name}\` | ${defaultCell(v)} | ${proseCell(accepted)} | ${proseCell(description)} |`);
  };
  const table = (title, rows) => {
    out.push(`### ${title}`, '', '| variable | default | accepted values | description |', '|---|---|---|---|');
    for (const [v, description] of rows) row(v, description);
    out.push('');
  };
  for (const s of sections) {
    const rows = s.vars
      .filter((e) => bySchema.has(e.name))
      .map((e) => {
        listed.add(e.name);
        return [bySchema.get(e.name), e.description || FALLBACK_DESCRIPTIONS[e.name] || ''];
      });
    if (rows.length > 0) table(s.title, rows);
  }
  const missing = schema.filter((v) => !listed.has(v.name));
  if (missing.length > 0) table('Not in .env.example', missing.map((v) => [v, FALLBACK_DESCRIPTIONS[v.name] ?? '']));
  out.push(
    `${schema.length} variables. Generated from \`src/config/config.schema.ts\`, \`src/config/load-config.ts\` and \`.env.example\`.`,
  );
  return { markdown: out.join('\n'), problems };
}

/** `doc` with the text between the markers replaced by `generated`. */
export function replaceBetweenMarkers(doc, generated) {
  const begin = doc.indexOf(BEGIN_MARKER);
  const end = doc.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error('docs/configuration.md: the generated-section markers are missing');
  return `${doc.slice(0, begin + BEGIN_MARKER.length)}\n\n${generated}\n\n${doc.slice(end)}`;
}

function main() {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const check = process.argv.includes('--check');
  const docPath = join(root, 'docs/configuration.md');
  const { markdown, problems } = buildReference(root);
  const current = readFileSync(docPath, 'utf8');
  const next = replaceBetweenMarkers(current, markdown);
  for (const p of problems) process.stderr.write(`problem: ${p}\n`);
  if (check) {
    if (next !== current) {
      process.stderr.write('docs/configuration.md is stale: run node scripts/gen-config-docs.mjs\n');
      process.exitCode = 1;
    }
    if (problems.length > 0) process.exitCode = 1;
    if (!process.exitCode) process.stdout.write('docs/configuration.md is up to date\n');
    return;
  }
  if (next !== current) writeFileSync(docPath, next);
  process.stdout.write(`${next === current ? 'unchanged' : 'wrote'} docs/configuration.md\n`);
  if (problems.length > 0) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
