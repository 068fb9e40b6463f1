import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startConfluentFacade, type ConfluentFacade } from './confluent-facade.js';

/** `mephisto schemas check|push` as a user runs it: the real binary against a registry over HTTP. */
const bin = fileURLToPath(new URL('../../bin/mephisto.js', import.meta.url));

function mephisto(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, MEPHISTO_REGISTRY: '', MEPHISTO_REGISTRY_URL: '', ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 99) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

let facade: ConfluentFacade | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await facade?.close();
  facade = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function schemaDir(clickFields: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'mephisto-cli-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'com'));
  writeFileSync(join(dir, 'com', 'Click.avsc'), JSON.stringify({ type: 'record', name: 'Click', namespace: 'com.acme', fields: clickFields }));
  writeFileSync(join(dir, 'topics.json'), JSON.stringify({ topics: { clicks: { key: 'string', value: 'com.acme.Click' } } }));
  return dir;
}

const v1 = [{ name: 'user', type: 'string' }];

describe('mephisto schemas', { timeout: 120_000 }, () => {
  it('push registers, check passes, and a breaking change fails check and push with exit 1 and the field', async () => {
    facade = await startConfluentFacade();
    const dir = schemaDir(v1);
    const pushed = await mephisto(['schemas', 'push', '--registry', facade.url, '--schemas', dir]);
    expect(pushed.out).toContain('clicks-value (com.acme.Click): version 1, id 1');
    expect(pushed.code).toBe(0);
    expect(await facade.registry.listSubjects()).toEqual(['clicks-value']);

    const checked = await mephisto(['schemas', 'check', '--schemas', dir], { MEPHISTO_REGISTRY: facade.url });
    expect(checked.out).toContain('clicks-value (com.acme.Click): already registered');
    expect(checked.code).toBe(0);

    const broken = schemaDir([...v1, { name: 'page', type: 'string' }]);
    const failed = await mephisto(['schemas', 'check', '--registry', facade.url, '--schemas', broken]);
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/FAIL {2}clicks-value \(com\.acme\.Click\): breaks BACKWARD compatibility with version 1/);
    expect(failed.out).toMatch(/com\.acme\.Click\.page: the reader's field has no default/);
    const refused = await mephisto(['schemas', 'push', '--registry', facade.url, '--schemas', broken]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('0 registered, 0 unchanged, 1 refused');
    expect(await facade.registry.listVersions('clicks-value')).toEqual([1]);
  });

  it('exits 2 on bad input: no registry, a broken schema file, an unknown strategy', async () => {
    facade = await startConfluentFacade();
    const noRegistry = await mephisto(['schemas', 'check', '--schemas', schemaDir(v1)]);
    expect(noRegistry.code).toBe(2);
    expect(noRegistry.out).toContain('pass --registry URL or set MEPHISTO_REGISTRY');

    const dir = schemaDir(v1);
    writeFileSync(join(dir, 'com', 'Bad.avsc'), '{ "type": "record", ');
    const badFile = await mephisto(['schemas', 'check', '--registry', facade.url, '--schemas', dir]);
    expect(badFile.code).toBe(2);
    expect(badFile.out).toMatch(/com\/Bad\.avsc: \$: unreadable JSON/);

    const badStrategy = await mephisto(['schemas', 'check', '--registry', facade.url, '--schemas', schemaDir(v1), '--strategy', 'sideways']);
    expect(badStrategy.code).toBe(2);
  });

  it('takes credentials from the environment and never prints them, even when they are wrong', async () => {
    const password = 'hunter2-very-secret';
    facade = await startConfluentFacade({ username: 'ci', password });
    const dir = schemaDir(v1);
    const ok = await mephisto(['schemas', 'push', '--registry', facade.url, '--schemas', dir], {
      MEPHISTO_REGISTRY_USERNAME: 'ci',
      MEPHISTO_REGISTRY_PASSWORD: password,
    });
    expect(ok.code).toBe(0);
    const inUrl = await mephisto(['schemas', 'check', '--registry', facade.url.replace('http://', `http://ci:${password}@`), '--schemas', dir]);
    expect(inUrl.code).toBe(0);
    expect(inUrl.out).not.toContain(password);

    const wrong = await mephisto(['schemas', 'check', '--registry', facade.url.replace('http://', 'http://ci:wrong-secret-pw@'), '--schemas', dir]);
    expect(wrong.code).toBe(1);
    expect(wrong.out).toContain('answered 401');
    expect(wrong.out).not.toContain('wrong-secret-pw');
  });
});
