import { Command, Option } from 'commander';
import {
  checkSubjects,
  localSubjects,
  pushSubjects,
  readSchemaDir,
  type LocalSubject,
} from '../../codegen/registry-source.js';
import { isConfigError, isMephistoError, isSchemaError } from '../errors.js';
import { openRegistry, registryAuthFromEnv } from '../registry/index.js';
import type { SubjectNameStrategyOption } from '../registry/strategy.js';
import type { SchemaRegistry } from '../registry/types.js';

/**
 * `mephisto schemas check|push`: the local schemas of the topic manifest against a schema registry.
 * Exit codes: 0 fine, 1 a schema breaks its subject's compatibility (or the registry failed),
 * 2 bad input (flags, schema files, manifest).
 */
export function registerSchemasCommand(program: Command): void {
  const schemas = program.command('schemas').description('Check or register the local Avro schemas against a schema registry');
  const common = (command: Command) =>
    command
      .option('--registry <url>', 'schema registry: http(s)://[user:pass@]host[:port][/path] or memory:// (default: $MEPHISTO_REGISTRY or $MEPHISTO_REGISTRY_URL)')
      .option('--schemas <dir>', 'directory of .avsc files and topics.json', 'schemas')
      .addOption(new Option('--strategy <name>', 'subject name strategy of values').choices(['topic', 'record', 'topic-record']).default('topic'))
      .addOption(new Option('--key-strategy <name>', 'subject name strategy of keys').choices(['topic', 'record', 'topic-record']).default('topic'));

  common(schemas.command('check'))
    .description('Test every local schema for compatibility with its subject; exit 1 when one breaks')
    .action(async (options: SchemasOptions) => {
      process.exitCode = await run(options, check);
    });
  common(schemas.command('push'))
    .description('Register every local schema under its subject')
    .action(async (options: SchemasOptions) => {
      process.exitCode = await run(options, push);
    });
}

interface SchemasOptions {
  readonly registry?: string;
  readonly schemas: string;
  readonly strategy: SubjectNameStrategyOption;
  readonly keyStrategy: SubjectNameStrategyOption;
}

type Action = (registry: SchemaRegistry, subjects: readonly LocalSubject[]) => Promise<number>;

async function run(options: SchemasOptions, action: Action): Promise<number> {
  // The app reads MEPHISTO_REGISTRY; the Kafka suite exports MEPHISTO_REGISTRY_URL.
  const url = options.registry || process.env.MEPHISTO_REGISTRY || process.env.MEPHISTO_REGISTRY_URL;
  if (!url) {
    console.error('mephisto schemas: no registry; pass --registry URL or set MEPHISTO_REGISTRY');
    return 2;
  }
  let registry: SchemaRegistry;
  let subjects: LocalSubject[];
  try {
    registry = openRegistry(url, registryAuthFromEnv());
    subjects = localSubjects(readSchemaDir(options.schemas), {
      subjectNameStrategy: options.strategy,
      keySubjectNameStrategy: options.keyStrategy,
    });
  } catch (error) {
    if (isConfigError(error) || isSchemaError(error)) {
      console.error(`mephisto schemas: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (subjects.length === 0) {
    console.log(`No Avro keys or values in ${options.schemas}/topics.json: nothing to check.`);
    return 0;
  }
  try {
    return await action(registry, subjects);
  } catch (error) {
    if (isConfigError(error)) {
      console.error(`mephisto schemas: ${error.message}`);
      return 2;
    }
    if (isMephistoError(error)) {
      console.error(`mephisto schemas: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await registry.close();
  }
}

const check: Action = async (registry, subjects) => {
  const checks = await checkSubjects(registry, subjects);
  for (const result of checks) {
    const head = `${result.subject} (${result.typeName})`;
    switch (result.status) {
      case 'new':
        console.log(`ok    ${head}: new subject, nothing to be compatible with`);
        break;
      case 'registered':
        console.log(`ok    ${head}: already registered`);
        break;
      case 'compatible':
        console.log(`ok    ${head}: compatible with version ${result.latestVersion} under ${result.level}`);
        break;
      case 'incompatible':
        console.log(`FAIL  ${head}: breaks ${result.level} compatibility with version ${result.latestVersion}:`);
        for (const message of result.messages) console.log(`        - ${message}`);
        break;
    }
  }
  const broken = checks.filter((c) => c.status === 'incompatible').length;
  console.log(
    broken === 0
      ? `${checks.length} subject(s) checked against ${registryName(registry)}: all compatible.`
      : `${broken} of ${checks.length} subject(s) would be refused by ${registryName(registry)}. Give new fields defaults, keep removed fields optional, or evolve under a new subject.`,
  );
  return broken === 0 ? 0 : 1;
};

const push: Action = async (registry, subjects) => {
  const pushes = await pushSubjects(registry, subjects);
  for (const result of pushes) {
    const head = `${result.subject} (${result.typeName})`;
    if (result.status === 'incompatible') {
      console.log(`FAIL  ${head}: refused, not compatible:`);
      for (const message of result.messages) console.log(`        - ${message}`);
    } else {
      console.log(`${result.status === 'registered' ? 'new  ' : 'same '} ${head}: version ${result.version}, id ${result.id}`);
    }
  }
  const refused = pushes.filter((p) => p.status === 'incompatible').length;
  const registered = pushes.filter((p) => p.status === 'registered').length;
  console.log(`${registered} registered, ${pushes.length - registered - refused} unchanged, ${refused} refused at ${registryName(registry)}.`);
  return refused === 0 ? 0 : 1;
};

function registryName(registry: SchemaRegistry): string {
  return (registry as { url?: string }).url ?? 'the registry';
}

