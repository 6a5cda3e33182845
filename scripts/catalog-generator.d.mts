import type { Catalog, Counter, Feature, Kpi, Parameter } from '../ts/host/catalog.ts';

/** What the generator fills in: every field of every item. */
export interface GeneratedCatalog extends Catalog {
  format: 'elex-catalog';
  version: 1;
  name: string;
  seed: number;
  features: Required<Feature>[];
  parameters: (Parameter & Required<Pick<Parameter, 'features' | 'type' | 'description'>>)[];
  counters: Required<Counter>[];
  kpis: Required<Kpi>[];
}

/** The sizes the generator produces. */
export const TARGET: { features: number; parameters: number; counters: number; kpis: number };
/** The default RAN catalog (synthetic, seeded): the same seed gives the same catalog in every JavaScript engine. */
export function generateCatalog(seed?: number): GeneratedCatalog;
