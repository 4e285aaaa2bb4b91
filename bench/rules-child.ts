/**
 * Child entry of the bench: compiles a generated list of N rewrite rules (argv[2]) with the ordered-rule
 * compiler, and compiles the same patterns with re2js alone (what containerd does with a rule: the
 * baseline). Prints one JSON line. Own process, so that earlier bench work does not skew the JIT.
 */
import { compileRuleList } from "../registries/compile-rules";
import type { OrderedRewrite } from "../registries/model";
import { RE2JS } from "re2js";

/** The shapes platform teams write (docs/rewrite-rules.md), each on its own prefix, then the proxy rule. */
function generatedRules(count: number): OrderedRewrite[] {
  const shapes: ((i: number) => OrderedRewrite)[] = [
    (i) => ({ match: `^team-${i}/(.*)$`, replace: `team-${i}-cache/$1` }),
    (i) => ({ match: `^(org${i}|grp${i})/(.*)$`, replace: `$1-mirror/$2` }),
    (i) => ({ match: `^app${i}[0-9]/(.*)$`, replace: `apps-${i}/$1` }),
    (i) => ({ match: `^lib${i}/nginx$`, replace: `approved/nginx-${i}` }),
    (i) => ({ match: `^(proj${i}/.*)$`, replace: `mirror/$1` }),
    (i) => ({ match: `^keep${i}/`, keep: true }),
  ];
  const rules = Array.from({ length: count }, (_, i) => shapes[i % shapes.length](i));
  return [...rules, { match: "^(.*)$", replace: "docker.io/$1" }];
}

const count = Number(process.argv[2]);
const rules = generatedRules(count);
let started = performance.now();
const compiled = compileRuleList(rules, ["rewrites", "docker.io"]);
const compileMs = performance.now() - started;
started = performance.now();
for (const rule of rules) RE2JS.compile(rule.match);
const re2Ms = performance.now() - started;
const written = compiled.filter((rule) => rule.pattern !== undefined).length;
console.log(JSON.stringify({ rules: rules.length, written, compileMs, re2Ms }));
