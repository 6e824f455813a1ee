import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModule } from '../src/terraform/module.ts';
import { Plan } from '../src/terraform/plan.ts';
import { Unknown } from '../src/terraform/values.ts';
import { tempDir } from './helpers.ts';

/** The offline evaluator on small modules: the Terraform semantics the checks rely on. */
async function planOf(tf: string, files: Record<string, string> = {}, variables = {}): Promise<Plan> {
  const dir = tempDir('hcl');
  mkdirSync(join(dir, 'm'));
  writeFileSync(join(dir, 'm/main.tf'), tf);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return new Plan(await loadModule(join(dir, 'm')), variables);
}

describe('offline HCL evaluation', () => {
  it('evaluates for expressions, conditionals, templates and functions like Terraform', async () => {
    const plan = await planOf(
      `locals {
  doc    = yamldecode(file("\${path.module}/../t.yaml"))
  names  = [for k, v in local.doc.s : upper(k) if v.on]
  byName = { for k, v in local.doc.s : "\${k}-x" => v.n }
  group  = { for k, v in local.doc.s : v.on => k... }
  pairs  = setproduct(["a", "b"], [1])
  merged = merge([for k, v in local.doc.s : { (k) = v.n }]...)
  esc    = "$\${literal} \\"q\\""
  maybe  = try(local.doc.missing, "fallback")
  ok     = can(regex("^a", "abc"))
  base   = basename("projects/\${var.p}/x/backendServices/target")
  one    = one([for k, v in local.doc.s : k if v.n == 2])
}
variable "p" { default = "proj" }
`,
      { 't.yaml': 's:\n  b: { on: true, n: 2 }\n  a: { on: false, n: 1 }\n' },
    );
    const e = plan.evaluator;
    expect(e.local('names')).toEqual(['B']);
    expect(e.local('byName')).toEqual({ 'a-x': 1, 'b-x': 2 });
    expect(e.local('group')).toEqual({ false: ['a'], true: ['b'] });
    expect(e.local('pairs')).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(e.local('merged')).toEqual({ a: 1, b: 2 });
    expect(e.local('esc')).toBe('${literal} "q"');
    expect(e.local('maybe')).toBe('fallback');
    expect(e.local('ok')).toBe(true);
    expect(e.local('base')).toBe('target');
    expect(e.local('one')).toBe('b');
  });

  it('expands for_each and dynamic blocks, resolving configured attributes across resources', async () => {
    const plan = await planOf(`
resource "a_thing" "x" {
  for_each = toset(["one", "two"])
  name     = "thing-\${each.key}"
  dynamic "extra" {
    for_each = each.key == "two" ? [1, 2] : []
    content {
      n = extra.value
    }
  }
}
resource "b_ref" "y" {
  target = a_thing.x["two"].name
  id_ref = a_thing.x["one"].id
}
`);
    const addresses = plan.instances().map((i) => i.address);
    expect(addresses).toEqual(['a_thing.x["one"]', 'a_thing.x["two"]', 'b_ref.y']);
    const two = plan.instances()[1];
    expect(two?.config.extra).toEqual([{ n: 1 }, { n: 2 }]);
    const y = plan.instances()[2];
    expect(y?.config.target).toBe('thing-two');
    expect(y?.config.id_ref).toEqual(new Unknown('a_thing.x["one"].id'));
    expect(plan.errors).toEqual([]);
  });

  it('reports what does not evaluate instead of guessing', async () => {
    const plan = await planOf(`
resource "a_thing" "x" {
  for_each = { a = 1 }
  bad      = a_thing.x["b"].name
  fn       = nosuchfunction(1)
}
`);
    plan.instances();
    expect(plan.errors.map((e) => e.message)).toEqual([
      'a_thing.x has no instance "b"',
      'function nosuchfunction() is not supported by the offline evaluator',
    ]);
  });
});
