// The GitHub requests in the recorded contracts (tests/fixtures/github/)
// checked against GitHub's own OpenAPI description (npm @octokit/openapi,
// the api.github.com document): each request's method and path is one of
// GitHub's operations, and its JSON body fits that operation's request
// schema. The fixtures' paths are an Enterprise Server's (`/api/v3`), which
// is stripped; requests to other hosts (the log storage) are not GitHub's
// API and are skipped.
//
// Run: node --test src-tauri/core/tests/github-openapi.test.mjs
// (npm run test:contracts)

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, "fixtures", "github");
const require = createRequire(import.meta.url);
const described = JSON.parse(readFileSync(join(dirname(require.resolve("@octokit/openapi/package.json")), "generated", "api.github.com.json"), "utf8"));

// Each path template as a pattern: /repos/{owner}/{repo} → ^/repos/[^/]+/[^/]+$
// ({path}, a file's path in the repository, spans slashes).
const operations = Object.entries(described.paths).map(([template, item]) => ({
  template,
  item,
  pattern: new RegExp("^" + template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{([^}]+?)\\?\}/g, (_, name) => (name === "path" ? ".+" : "[^/]+")) + "$"),
}));

function operation(method, path) {
  const matches = operations.filter((o) => o.pattern.test(path) && o.item[method.toLowerCase()]);
  // The most literal template wins (/runs/{id}/cancel over /runs/{id}/{x}).
  matches.sort((a, b) => b.template.replace(/\{[^}]+\}/g, "").length - a.template.replace(/\{[^}]+\}/g, "").length);
  return matches[0] && { template: matches[0].template, op: matches[0].item[method.toLowerCase()] };
}

function resolve(schema) {
  while (schema && schema.$ref) {
    schema = schema.$ref.replace(/^#\//, "").split("/").reduce((at, key) => at[key.replace(/~1/g, "/").replace(/~0/g, "~")], described);
  }
  return schema;
}

// The JSON Schema keywords GitHub's request bodies use; the problems found.
function check(value, schema, at = "body") {
  schema = resolve(schema);
  if (!schema) return [];
  const problems = [];
  for (const key of ["oneOf", "anyOf"]) {
    if (schema[key] && !schema[key].some((s) => check(value, s, at).length === 0)) problems.push(`${at} fits none of ${key}`);
  }
  for (const s of schema.allOf ?? []) problems.push(...check(value, s, at));
  if (value === null) return schema.nullable || [].concat(schema.type ?? []).includes("null") ? problems : [...problems, `${at} is null`];
  const types = [].concat(schema.type ?? []);
  const kind = Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value;
  if (types.length && !types.some((t) => t === kind || (t === "number" && kind === "integer"))) return [...problems, `${at} is ${kind}, not ${types.join(" or ")}`];
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${at} is ${JSON.stringify(value)}, not one of ${schema.enum.join(", ")}`);
  if (kind === "object") {
    for (const name of schema.required ?? []) if (!(name in value)) problems.push(`${at}.${name} is missing`);
    if (schema.maxProperties !== undefined && Object.keys(value).length > schema.maxProperties) problems.push(`${at} has more than ${schema.maxProperties} properties`);
    for (const [name, v] of Object.entries(value)) {
      const known = schema.properties?.[name];
      if (known) problems.push(...check(v, known, `${at}.${name}`));
      else if (schema.additionalProperties === false) problems.push(`${at}.${name} is not a property GitHub knows`);
      else if (typeof schema.additionalProperties === "object") problems.push(...check(v, schema.additionalProperties, `${at}.${name}`));
    }
  }
  if (kind === "array" && schema.items) value.forEach((v, i) => problems.push(...check(v, schema.items, `${at}[${i}]`)));
  return problems;
}

const files = readdirSync(fixtures).filter((f) => f.endsWith(".json"));

test("the validator refuses what GitHub's schema refuses", () => {
  const { op } = operation("POST", "/repos/acme/shop/actions/runs/1/pending_deployments");
  const schema = op.requestBody.content["application/json"].schema;
  assert.deepEqual(check({ environment_ids: [1], state: "approved", comment: "ok" }, schema), []);
  assert.ok(check({ environment_ids: ["one"], state: "maybe" }, schema).length >= 3);
  assert.equal(operation("POST", "/repos/acme/shop/actions/runs/1/nonsense"), undefined);
});

for (const file of files) {
  test(`${file}: every GitHub request is an operation of GitHub's API with a body that fits it`, () => {
    const fixture = JSON.parse(readFileSync(join(fixtures, file), "utf8"));
    let checked = 0;
    for (const [i, exchange] of fixture.exchanges.entries()) {
      if ((exchange.host ?? "api") !== "api") continue;
      const { method, path: full, json } = exchange.request;
      const path = full.split("?")[0].replace(/^\/api\/v3(?=\/)/, "");
      const found = operation(method, path);
      assert.ok(found, `${file} #${i}: ${method} ${path} is no operation in GitHub's OpenAPI description`);
      const body = found.op.requestBody;
      if (json !== undefined) {
        assert.ok(body, `${file} #${i}: ${method} ${found.template} takes no body, yet one is sent`);
        const problems = check(json, body.content["application/json"].schema);
        assert.deepEqual(problems, [], `${file} #${i}: ${method} ${found.template}`);
      } else if (body?.required) {
        assert.fail(`${file} #${i}: ${method} ${found.template} needs a body`);
      }
      checked++;
    }
    assert.ok(checked > 0, `${file} has no GitHub request`);
  });
}
