import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getExpressionAst, parse } from '@cdktn/hcl2json';
import type { ExpressionType } from '@cdktn/hcl2json/build/syntax-tree.js';

/**
 * A Terraform module as HashiCorp's HCL parser (hcl2json, compiled to WebAssembly) sees it: the
 * JSON form of every block, with expressions kept as `${…}` source. Every template is parsed to
 * an expression tree up front, so evaluation (expr.ts) is synchronous.
 */
export type Body = Record<string, unknown>;

export interface Resource {
  type: string;
  name: string;
  file: string;
  body: Body;
}

export interface TerraformModule {
  dir: string;
  /** The .tf files, sorted. */
  files: string[];
  resources: Resource[];
  /** local name → unevaluated value, from every `locals` block. */
  locals: Map<string, unknown>;
  variables: Map<string, Body>;
  outputs: Map<string, Body>;
  /** Top-level blocks other than resource/locals/variable/output, e.g. terraform, provider. */
  other: Body[];
  templates: Map<string, Template>;
}

/** A string from the JSON form: literal text and parsed `${…}` interpolations, in order. */
export type Template = (string | ExpressionType)[];

export async function loadModule(dir: string): Promise<TerraformModule> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort();
  const mod: TerraformModule = {
    dir,
    files,
    resources: [],
    locals: new Map(),
    variables: new Map(),
    outputs: new Map(),
    other: [],
    templates: new Map(),
  };
  for (const file of files) {
    const json = (await parse(file, readFileSync(join(dir, file), 'utf8'))) as Body;
    for (const [kind, value] of Object.entries(json)) {
      if (kind === 'resource') {
        for (const [type, byName] of Object.entries(value as Record<string, Record<string, Body[]>>)) {
          for (const [name, bodies] of Object.entries(byName)) {
            for (const body of bodies) mod.resources.push({ type, name, file, body });
          }
        }
      } else if (kind === 'locals') {
        for (const block of value as Body[]) {
          for (const [k, v] of Object.entries(block)) mod.locals.set(k, v);
        }
      } else if (kind === 'variable' || kind === 'output') {
        const target = kind === 'variable' ? mod.variables : mod.outputs;
        for (const [name, bodies] of Object.entries(value as Record<string, Body[]>)) {
          const body = bodies[0];
          if (body) target.set(name, body);
        }
      } else {
        mod.other.push({ [kind]: value });
      }
    }
    await collectTemplates(json, mod.templates);
  }
  return mod;
}

async function collectTemplates(value: unknown, into: Map<string, Template>): Promise<void> {
  if (typeof value === 'string') {
    if (value.includes('${') && !into.has(value)) into.set(value, await parseTemplate(value));
  } else if (Array.isArray(value)) {
    for (const v of value) await collectTemplates(v, into);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) await collectTemplates(v, into);
  }
}

/** Splits `a${expr}b` into parts, honouring `$${` escapes and braces/strings inside expressions. */
export async function parseTemplate(text: string): Promise<Template> {
  const parts: Template = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      literal += '${';
      i += 3;
    } else if (text.startsWith('%%{', i)) {
      literal += '%{';
      i += 3;
    } else if (text.startsWith('%{', i)) {
      throw new Error(`template directives (%{…}) are not supported by the offline evaluator: ${text}`);
    } else if (text.startsWith('${', i)) {
      const end = matchingBrace(text, i + 2);
      if (literal) parts.push(literal);
      literal = '';
      parts.push(await parseExpression(text.slice(i + 2, end)));
      i = end + 1;
    } else {
      literal += text[i];
      i += 1;
    }
  }
  if (literal) parts.push(literal);
  return parts;
}

export async function parseExpression(source: string): Promise<ExpressionType> {
  const ast = await getExpressionAst('expression.tf', source);
  if (!ast) throw new Error(`could not parse expression: ${source}`);
  return ast;
}

/** Index of the `}` closing an interpolation whose body starts at `from` (nested strings too). */
function matchingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '"') i = closingQuote(text, i + 1);
    else if (c === '{') depth += 1;
    else if (c === '}') {
      if (depth === 0) return i;
      depth -= 1;
    }
  }
  throw new Error(`unterminated \${ in: ${text}`);
}

function closingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i += 1;
    else if (c === '"') return i;
    else if (text.startsWith('${', i)) i = matchingBrace(text, i + 2);
  }
  throw new Error(`unterminated string in: ${text}`);
}
