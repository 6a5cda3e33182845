// npm run build:catalog: writes the default catalog (catalog-generator.mjs)
// as JSON, by default to build/catalog/default.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateCatalog } from './catalog-generator.mjs';

const out = process.argv[2] ?? 'build/catalog/default.json';
const c = generateCatalog();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(c));
console.log(
  `catalog: ${c.features.length} features, ${c.parameters.length} parameters, ${c.counters.length} counters, ${c.kpis.length} KPIs → ${out}`,
);
