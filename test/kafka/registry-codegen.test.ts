import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from '../../codegen/generate.js';
import { checkSubjects, localSubjects, pullForCodegen, pushSubjects, readSchemaDir } from '../../codegen/registry-source.js';
import { openRegistry } from '../../src/registry/index.js';

/**
 * Codegen from the real Schema Registry of the Kafka suite (Apicurio, MEPHISTO_REGISTRY_URL):
 * subjects with a reference are pulled into a schema directory and generate typed bindings; the
 * local schemas are then checked and pushed back.
 */
const registryUrl = process.env.MEPHISTO_REGISTRY_URL!;
const run = `mephisto${randomUUID().slice(0, 8)}`;
const subjects: string[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  for (const s of subjects) {
    await fetch(`${registryUrl}/subjects/${encodeURIComponent(s)}`, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${registryUrl}/subjects/${encodeURIComponent(s)}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
  }
});

const ns = `com.${run}`;
const money = { type: 'fixed', name: 'Money', namespace: ns, size: 8, logicalType: 'decimal', precision: 12, scale: 2 };
const payment = {
  type: 'record',
  name: 'Payment',
  namespace: ns,
  doc: 'A payment, as the ledger stores it.',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: `${ns}.Money` },
    { name: 'method', type: { type: 'enum', name: 'Method', symbols: ['CARD', 'CASH', 'OTHER'], default: 'OTHER' } },
  ],
};

describe('codegen from the registry (Apicurio)', () => {
  it('pulls subjects with references, derives the topic binding, and generates', async () => {
    const registry = openRegistry(registryUrl);
    const moneySubject = `${ns}.Money`;
    const valueSubject = `${run}-payments-value`;
    const keySubject = `${run}-payments-key`;
    subjects.push(valueSubject, keySubject, moneySubject);
    const moneyVersion = await registry.register(moneySubject, money);
    await registry.register(valueSubject, payment, [{ name: `${ns}.Money`, subject: moneySubject, version: moneyVersion.version }]);
    await registry.register(keySubject, 'long');

    const dir = mkdtempSync(join(tmpdir(), 'mephisto-registry-codegen-'));
    dirs.push(dir);
    const lines: string[] = [];
    const code = await pullForCodegen({ registry: registryUrl, subject: [`${run}-*`], schemas: dir }, { log: (l) => lines.push(l), error: (l) => lines.push(l) });
    expect(lines.join('\n')).toContain(`pulled ${keySubject} v1, ${valueSubject} v1`);
    expect(code).toBe(0);

    const input = readSchemaDir(dir);
    expect(input.schemas.map((f) => f.path)).toEqual([`com/${run}/Method.avsc`, `com/${run}/Money.avsc`, `com/${run}/Payment.avsc`]);
    expect(JSON.parse(readFileSync(join(dir, 'topics.json'), 'utf8'))).toEqual({
      topics: { [`${run}-payments`]: { key: 'long', value: `${ns}.Payment` } },
    });
    expect(JSON.parse(readFileSync(join(dir, `com/${run}/Money.avsc`), 'utf8'))).toMatchObject({ logicalType: 'decimal', precision: 12, scale: 2 });

    const files = generate(input);
    const topics = files.find((f) => f.path === 'topics.ts')!.content;
    expect(topics).toContain(`name: '${run}-payments'`);
    expect(topics).toMatch(/codecs\.model\(Payment\)/);
    expect(files.find((f) => f.path.endsWith('Payment.ts'))!.content).toContain('A payment, as the ledger stores it.');

    // The pulled schemas are what the registry holds: checking them finds them compatible.
    const local = localSubjects(input);
    const checks = await checkSubjects(registry, local);
    expect(checks.map((c) => [c.subject, c.status === 'incompatible' ? c.messages : 'ok'])).toEqual([
      [keySubject, 'ok'],
      [valueSubject, 'ok'],
    ]);
    const pushes = await pushSubjects(registry, local);
    expect(pushes.every((p) => p.status !== 'incompatible')).toBe(true);
  });

  it('runs as `mephisto codegen --registry URL --subject PATTERN`', async () => {
    const registry = openRegistry(registryUrl);
    const subject = `${run}-cli-value`;
    subjects.push(subject);
    await registry.register(subject, { type: 'record', name: 'CliEvent', namespace: ns, fields: [{ name: 'at', type: 'long' }] });
    const dir = mkdtempSync(join(tmpdir(), 'mephisto-registry-codegen-'));
    dirs.push(dir);
    const bin = fileURLToPath(new URL('../../bin/mephisto.js', import.meta.url));
    const { code, out } = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, [bin, 'codegen', '--registry', registryUrl, '--subject', `${run}-cli-*`, '--schemas', join(dir, 'schemas'), '--out', join(dir, 'generated')], (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 99) : 0, out: `${stdout}${stderr}` });
      });
    });
    expect(out).toContain(`pulled ${subject} v1`);
    expect(code).toBe(0);
    expect(readFileSync(join(dir, 'generated', 'topics.ts'), 'utf8')).toContain(`name: '${run}-cli'`);
  });

  it('pins --version', async () => {
    const registry = openRegistry(registryUrl);
    const subject = `${run}-audit-value`;
    subjects.push(subject);
    const audit = { type: 'record', name: 'Audit', namespace: ns, fields: [{ name: 'who', type: 'string' }] };
    await registry.register(subject, audit);
    await registry.register(subject, { ...audit, fields: [...audit.fields, { name: 'when', type: 'long', default: 0 }] });
    const dir = mkdtempSync(join(tmpdir(), 'mephisto-registry-codegen-'));
    dirs.push(dir);
    const io = { log: () => undefined, error: (l: string) => { throw new Error(l); } };
    expect(await pullForCodegen({ registry: registryUrl, subject: [subject], version: '1', schemas: dir }, io)).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, `com/${run}/Audit.avsc`), 'utf8')).fields).toHaveLength(1);
  });
});
