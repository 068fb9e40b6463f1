// Test support: a transport that is another one except where a test needs a producer (or consumer) to fail,
// hang or hold its sends (as a broker would), so each test writes only the part it changes.
import type { Consumer, Producer, Transport } from '../../src/transport/types.js';

/** `inner`, with each producer it makes decorated: `decorate` returns the methods it replaces. */
export function withProducers(inner: Transport, decorate: (producer: Producer) => Partial<Producer>): Transport {
  return {
    url: inner.url,
    connect: () => inner.connect(),
    admin: () => inner.admin(),
    consumer: (options) => inner.consumer(options),
    readPartition: (topic, partition, options) => inner.readPartition(topic, partition, options),
    close: () => inner.close(),
    producer(options) {
      const producer = inner.producer(options);
      return {
        send: (topic, records) => producer.send(topic, records),
        sendBatch: (batches, sendOptions) => producer.sendBatch(batches, sendOptions),
        transaction: () => producer.transaction(),
        close: () => producer.close(),
        ...decorate(producer),
      };
    },
  };
}

/** `inner`, with each consumer it makes decorated: `decorate` returns the methods it replaces. */
export function withConsumers(inner: Transport, decorate: (consumer: Consumer) => Partial<Consumer>): Transport {
  return {
    url: inner.url,
    connect: () => inner.connect(),
    admin: () => inner.admin(),
    producer: (options) => inner.producer(options),
    readPartition: (topic, partition, options) => inner.readPartition(topic, partition, options),
    close: () => inner.close(),
    consumer(options) {
      const consumer = inner.consumer(options);
      return {
        subscribe: (topics) => consumer.subscribe(topics),
        run: (handlers) => consumer.run(handlers),
        commit: (offsets) => consumer.commit(offsets),
        pause: (partitions) => consumer.pause(partitions),
        resume: (partitions) => consumer.resume(partitions),
        seek: (position) => consumer.seek(position),
        assignment: () => consumer.assignment(),
        stop: () => consumer.stop(),
        ...decorate(consumer),
      };
    },
  };
}
