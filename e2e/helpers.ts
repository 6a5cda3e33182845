import { expect, type Page } from '@playwright/test';
import type { DemoHandle, BatchParams } from '../demo/main.ts';

export type { BatchParams };

export interface PageInfo {
  variant: string;
  kernel: string;
  workers: number;
  threadsPerWorker: number;
  crossOriginIsolated: boolean;
  restarts: number;
}

/** Opens the dashboard and waits for its first batch result. */
export async function openDashboard(page: Page, query = ''): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/${query}`);
  await expect(page.locator('body')).toHaveAttribute('data-first-result-ms', /\d/, { timeout: 60_000 });
  expect(errors).toEqual([]);
}

export function info(page: Page): Promise<PageInfo> {
  return page.evaluate(() => (window as unknown as { elexDemo: DemoHandle }).elexDemo.engine!.info());
}

export interface BatchSummary {
  /** All distances when `full`, else empty (a million floats through CDP take seconds). */
  distances: number[];
  count: number;
  threadsUsed: number;
  elapsedMs: number;
}

/** Runs a batch through the page's engine. */
export function runBatch(page: Page, p: BatchParams, full = true): Promise<BatchSummary> {
  return page.evaluate(
    async ([params, wantAll]) => {
      const r = await (window as unknown as { elexDemo: DemoHandle }).elexDemo.run(params);
      return {
        distances: wantAll ? Array.from(r.distances) : [],
        count: r.distances.length,
        threadsUsed: r.threadsUsed,
        elapsedMs: r.elapsedMs,
      };
    },
    [p, full] as const,
  );
}

export const SMALL: BatchParams = { nq: 24, nv: 300, dim: 67, metric: 'cosine', seed: 7 };
export const LARGE: BatchParams = { nq: 256, nv: 4096, dim: 128, metric: 'l2', seed: 3 };
