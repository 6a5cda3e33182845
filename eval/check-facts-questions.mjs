// Checks eval/facts-questions.json against ../shared/data/ran-feature-facts.json (run from the project root or anywhere:
// paths are resolved from this file). Prints the counts, then every violation; exits 1 if any rule fails.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const catalog = JSON.parse(readFileSync(resolve(here, '../../shared/data/ran-feature-facts.json'), 'utf8'));
const { questions } = JSON.parse(readFileSync(resolve(here, 'facts-questions.json'), 'utf8'));
const STYLES = ['purpose', 'parameters', 'counters', 'enable', 'troubleshoot'];
const SPLITS = ['dev', 'heldout'];
const errors = [];
const fail = (msg) => errors.push(msg);
const byCode = new Map(catalog.features.map((f) => [f.code, f]));
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const phrase = (s, flags) => new RegExp(`(?<![\\w])${esc(s)}(?![\\w])`, flags);

// Everything a names=false question must not contain: names (any case), acronyms (case-sensitive whole word),
// codes (with or without spaces), identifiers (full MOClass.attr, or attr >= 6 chars as a whole word), KPI names.
const banned = [];
const seen = new Set();
// `needle`: lower-case text every match contains (a cheap test before the regex: 30,000 entries × 471 questions).
const ban = (kind, text, re, needle = text) =>
  !seen.has(kind + re) && (seen.add(kind + re), banned.push({ kind, text, re, needle: needle.toLowerCase() }));
for (const f of catalog.features) {
  if (f.name) ban('name', f.name, phrase(f.name, 'i'));
  if (f.acronym) ban('acronym', f.acronym, phrase(f.acronym, ''));
  const ids = [...(f.parameters ?? []), ...(f.counters ?? [])];
  for (const id of ids) {
    ban('identifier', id, phrase(id, 'i'));
    const attr = id.includes('.') ? id.slice(id.indexOf('.') + 1) : id;
    if (attr.length >= 6) ban('identifier', id, phrase(attr, 'i'), attr);
  }
  for (const k of f.kpis ?? []) {
    const t = k.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
    ban('kpi', k.replace(/\s+/g, ' '), new RegExp(`(?<![\\w])${esc(t).replace(/ /g, '\\s+')}(?![\\w])`, 'i'), t);
  }
}
const CODE = /FAJ\s*\d{3}\s*\d{4}|\b\d{3}\s?\d{4}\b/i;

const count = (key) => questions.reduce((m, q) => m.set(key(q), (m.get(key(q)) ?? 0) + 1), new Map());
const splitOf = new Map();
const dupes = new Set();
questions.forEach((q, i) => {
  const at = `#${i} "${q.q}"`;
  const f = byCode.get(q.code);
  if (!f) fail(`${at}: unknown code ${q.code}`);
  if (!STYLES.includes(q.style)) fail(`${at}: bad style ${q.style}`);
  if (!SPLITS.includes(q.split)) fail(`${at}: bad split ${q.split}`);
  if (typeof q.names !== 'boolean') fail(`${at}: names must be true or false`);
  if (splitOf.has(q.code) && splitOf.get(q.code) !== q.split) fail(`${at}: ${q.code} is in both splits`);
  splitOf.set(q.code, q.split);
  const words = q.q.trim().split(/\s+/).length;
  if (words < 5 || words > 25) fail(`${at}: ${words} words (5-25)`);
  const norm = q.q
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
  if (dupes.has(norm)) fail(`${at}: duplicate question`);
  dupes.add(norm);
  if (q.names === false) {
    if (CODE.test(q.q)) fail(`${at}: names=false but contains a feature code`);
    const hits = new Set();
    const lower = q.q.replace(/\s+/g, ' ').toLowerCase();
    for (const b of banned) if (!hits.has(b.text) && lower.includes(b.needle) && b.re.test(q.q)) hits.add(b.text);
    for (const h of hits) fail(`${at}: names=false but contains ${banned.find((b) => b.text === h).kind} "${h}"`);
  }
});

const codes = [...splitOf.keys()];
const cat = (code) => byCode.get(code)?.category;
const byStyle = count((q) => q.style);
const bySplit = count((q) => q.split);
const byCat = count((q) => cat(q.code));
const featCat = codes.reduce((m, c) => m.set(cat(c), (m.get(cat(c)) ?? 0) + 1), new Map());
const unnamedShare = questions.filter((q) => q.names === false).length / questions.length;
const allCats = [...new Set(catalog.features.map((f) => f.category))];
console.log(
  `questions ${questions.length}, features ${codes.length}, names=false ${(unnamedShare * 100).toFixed(1)} %`,
);
console.log('per style', Object.fromEntries(byStyle), '\nper split', Object.fromEntries(bySplit));
console.log(
  'features per split',
  Object.fromEntries(SPLITS.map((s) => [s, codes.filter((c) => splitOf.get(c) === s).length])),
);
for (const c of allCats) console.log(`  ${c}: ${byCat.get(c) ?? 0} questions, ${featCat.get(c) ?? 0} features`);

if (questions.length < 320) fail(`only ${questions.length} questions (>= 320)`);
if (codes.length < 130) fail(`only ${codes.length} distinct features (>= 130)`);
for (const s of STYLES) if ((byStyle.get(s) ?? 0) < 40) fail(`style ${s}: ${byStyle.get(s) ?? 0} questions (>= 40)`);
for (const c of allCats) if (!featCat.get(c)) fail(`category ${c} has no question`);
if (unnamedShare < 0.5) fail(`names=false share ${(unnamedShare * 100).toFixed(1)} % (>= 50 %)`);
const devShare = codes.filter((c) => splitOf.get(c) === 'dev').length / codes.length;
if (devShare < 0.4 || devShare > 0.6) fail(`dev holds ${(devShare * 100).toFixed(1)} % of the features (about half)`);
for (const s of SPLITS) {
  const qs = questions.filter((q) => q.split === s);
  for (const st of STYLES) if (!qs.some((q) => q.style === st)) fail(`split ${s} has no ${st} question`);
  if (!qs.some((q) => byCode.get(q.code)?.name)) fail(`split ${s} has no named feature`);
  if (!qs.some((q) => byCode.get(q.code) && !byCode.get(q.code).name)) fail(`split ${s} has no unnamed feature`);
}
for (const e of errors) console.log('VIOLATION', e);
console.log(errors.length ? `${errors.length} violation(s)` : 'all checks pass');
process.exit(errors.length ? 1 : 0);
