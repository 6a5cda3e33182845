/**
 * The default RAN catalog: synthetic, generated in the page by a seeded
 * generator the first time it is used (about 11 KB of code on the wire
 * instead of 3.7 MB of JSON). createEngine() imports this module only when
 * no catalog is passed, so an app that brings its own catalog, or passes
 * `catalog: false`, never downloads it.
 */
import { generateCatalog } from '../../scripts/catalog-generator.mjs';
import type { Catalog } from './catalog.ts';

let cached: Catalog | undefined;

/**
 * The default catalog (593 synthetic features, 9,432 parameters, 3,368
 * counters, 199 KPIs). Generated once per page, then the same object is
 * returned; treat it as read-only.
 */
export function defaultCatalog(): Catalog {
  cached ??= generateCatalog();
  return cached;
}
