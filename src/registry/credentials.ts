/**
 * Registry credentials from the environment, kept apart from the registry drivers so that reading
 * settings never loads a registry client.
 */
import type { RegistryCredentials } from './http.js';

/**
 * Basic-auth credentials from `MEPHISTO_REGISTRY_USERNAME` and `MEPHISTO_REGISTRY_PASSWORD`, as
 * `openRegistry` options: for CLIs and workers, so that secrets stay out of URLs, shell history
 * and process listings.
 */
export function registryAuthFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): { auth?: RegistryCredentials } {
  const username = env.MEPHISTO_REGISTRY_USERNAME;
  return username ? { auth: { username, password: env.MEPHISTO_REGISTRY_PASSWORD ?? '' } } : {};
}
