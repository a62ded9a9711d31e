/** Results: one JSON line per run in bench/results/<scenario>.jsonl, and Markdown tables on stdout. */
import { appendFile, mkdir } from 'node:fs/promises';
import { cpus, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { RESULTS_DIR } from './paths';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  node: string;
  os: string;
  arch: string;
  memoryGB: number;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    node: process.version,
    os: `${osType()} ${release()}`,
    arch: process.arch,
    memoryGB: Math.round((totalmem() / 1e9) * 10) / 10,
  };
}

/** Appends one JSON line; returns the file's path. */
export async function appendResult(scenario: string, record: object): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${scenario}.jsonl`);
  await appendFile(file, `${JSON.stringify(record)}\n`);
  return file;
}

/** A GitHub-flavoured Markdown table; numeric-looking columns are right-aligned. */
export function markdownTable(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map(String));
  const numeric = headers.map((_, i) => cells.length > 0 && cells.every((r) => /^[-+]?[\d.,]+( ?[%a-zA-Z/]+)?$/.test(r[i] ?? '')));
  const widths = headers.map((h, i) => Math.max(3, h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(headers), rule, ...cells.map(line)].join('\n');
}

/** Rounds to `digits` decimals (for JSON and tables). */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function fixed(value: number, digits = 1): string {
  return value.toFixed(digits);
}
