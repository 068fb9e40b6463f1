import type { Codec } from './codec.js';

/** How a topic is created when it does not exist (and checked when it does). */
export interface TopicSettings {
  readonly partitions?: number;
  readonly replicationFactor?: number;
  /** Broker topic config, e.g. `{ 'cleanup.policy': 'compact', 'retention.ms': '604800000' }`. */
  readonly config?: Readonly<Record<string, string>>;
}

/**
 * A topic's name with its key and value types. Codegen writes these into `generated/topics.ts`;
 * `app.topic(binding)` turns one into a typed Topic, and every handler's types are inferred from it.
 */
export interface TopicBinding<TKey, TValue> extends TopicSettings {
  readonly name: string;
  readonly key: Codec<TKey>;
  readonly value: Codec<TValue>;
}

export type AnyTopicBinding = TopicBinding<any, any>;
export type InferKey<TBinding> = TBinding extends TopicBinding<infer TKey, any> ? TKey : never;
export type InferValue<TBinding> = TBinding extends TopicBinding<any, infer TValue> ? TValue : never;

/** Declares a topic binding; the identity at run time, it exists to infer and freeze the types. */
export function defineTopic<TKey, TValue>(binding: TopicBinding<TKey, TValue>): TopicBinding<TKey, TValue> {
  return Object.freeze({ ...binding });
}
