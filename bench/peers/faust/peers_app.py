"""The Faust contender of the peers benchmark (bench/peers/main.ts starts it as a worker).

The same two workloads as the mephisto and raw kafkajs contenders, written the way a Faust user
would write them: a Record model for the click, a codec registered under a name, one agent
iterating its stream, and a Table (with its changelog topic) for the counts.

Decoding: the input values are Confluent-framed Avro (magic byte 0, 4-byte schema id, body). The
`confluent_avro` codec strips the header, fetches the writer schema from the registry once per
schema id, and decodes the body with fastavro's schemaless reader; Faust then builds a `Click`
record from the dict (Faust's own model path).

Settings come from the environment (all set by the orchestrator):
  PEERS_WORKLOAD   stateless | count
  PEERS_APP_ID     Faust app id (fresh per run: fresh consumer group and changelog topic)
  PEERS_INPUT      input topic (Confluent-framed Avro Click values, url keys)
  PEERS_OUTPUT     output topic of the stateless workload (JSON values, no keys, as sinks send)
  PEERS_BROKERS    host:port
  PEERS_REGISTRY   Confluent-compatible registry base URL
  PEERS_DATA_DIR   Faust data directory (RocksDB files)
  PEERS_STORE      rocksdb:// or memory://
  PEERS_PARTITIONS partitions of the input topic (the table is co-partitioned with it)

Configured as a production Faust worker would be (each measured on this machine, 60,000-event
runs, same load, events/s before -> after):
  --loop=uvloop       the uvloop event loop (`faust -L uvloop worker`, the `faust[uvloop]` extra;
                      uvloop pinned in requirements.txt). Alone: stateless ~2,000 -> ~2,030.
  producer_linger=0.005
                      5 ms of producer batching (aiokafka's linger_ms), the Java client's default
                      since Kafka 4.0 (KIP-1030); Faust's default, 0, sends a produce request per
                      few records and its worker spent ~12% of its time in socket writes (py-spy).
                      Alone: stateless ~2,000 -> ~2,280. With uvloop: stateless ~1,970 -> ~2,600,
                      count 1,648 -> 2,085 (uvloop makes each of the fewer, larger writes cheaper).
  Left at Faust's defaults, measured or reasoned: stream_buffer_maxsize (16,384 instead of 4,096:
  no change, 2,901 vs 2,895), broker_max_poll_records (None: no limit already),
  consumer_max_fetch_size (1 MiB per partition, as the Node contenders), producer_acks (-1, as
  mephisto), broker_commit_every / broker_commit_interval (10,000 / 2.8 s).

Run: python peers_app.py --loop=uvloop worker --loglevel=warn --without-web
"""

from __future__ import annotations

import io
import json
import logging
import os
import struct
import urllib.request
from datetime import datetime
from typing import Any, AsyncIterator, Dict, Optional
from uuid import UUID

import fastavro
import faust
from faust.serializers import codecs

WORKLOAD = os.environ["PEERS_WORKLOAD"]
REGISTRY = os.environ["PEERS_REGISTRY"].rstrip("/")


class ConfluentAvroCodec(codecs.Codec):
    """Confluent wire format -> dict, through fastavro; writer schemas cached by id."""

    def __init__(self, registry_url: str) -> None:
        super().__init__()
        self._registry_url = registry_url
        self._schemas: Dict[int, Any] = {}

    def _schema(self, schema_id: int) -> Any:
        schema = self._schemas.get(schema_id)
        if schema is None:
            url = f"{self._registry_url}/schemas/ids/{schema_id}"
            with urllib.request.urlopen(url, timeout=10) as response:
                body = json.load(response)
            schema = fastavro.parse_schema(json.loads(body["schema"]))
            self._schemas[schema_id] = schema
        return schema

    def _loads(self, data: bytes) -> Any:
        if len(data) < 5 or data[0] != 0:
            raise ValueError("not Confluent-framed Avro (magic byte 0 and a schema id expected)")
        (schema_id,) = struct.unpack(">I", data[1:5])
        schema = self._schema(schema_id)
        return fastavro.schemaless_reader(io.BytesIO(data[5:]), schema, schema)

    def _dumps(self, obj: Any) -> bytes:
        raise NotImplementedError("the benchmark only reads Avro")


codecs.register("confluent_avro", ConfluentAvroCodec(REGISTRY))


class Click(faust.Record, serializer="confluent_avro"):
    url: str
    userId: str
    sessionId: UUID
    timestamp: datetime
    referrer: Optional[str]
    device: str
    durationMs: int


app = faust.App(
    os.environ["PEERS_APP_ID"],
    broker=f"kafka://{os.environ['PEERS_BROKERS']}",
    store=os.environ.get("PEERS_STORE", "rocksdb://"),
    datadir=os.environ["PEERS_DATA_DIR"],
    topic_partitions=int(os.environ["PEERS_PARTITIONS"]),
    topic_replication_factor=1,
    consumer_auto_offset_reset="earliest",
    web_enabled=False,
    # batch produce requests for 5 ms, as Kafka's own producer does by default since 4.0 (see above)
    producer_linger=0.005,
)

clicks = app.topic(os.environ["PEERS_INPUT"], key_type=str, value_type=Click)


def to_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def quiet_debug_logging() -> None:
    # Under `faust worker` the faust and aiokafka loggers build a debug record for every message
    # sent (seen with py-spy: ~10% of the time); a production deployment would not pay that.
    for name in ("", "faust", "aiokafka", "mode"):
        logging.getLogger(name).setLevel(logging.WARNING)


if WORKLOAD == "stateless":
    visits = app.topic(os.environ["PEERS_OUTPUT"], value_serializer="json")

    @app.agent(clicks, sink=[visits])
    async def enrich(stream: faust.StreamT[Click]) -> AsyncIterator[Dict[str, Any]]:
        quiet_debug_logging()
        # filter out bots, map each click to a page visit, yield it to the sink topic
        async for click in stream.filter(lambda click: click.device != "BOT"):
            yield {
                "url": click.url,
                "userId": click.userId,
                "device": click.device,
                "seconds": click.durationMs / 1000,
                "timestamp": to_millis(click.timestamp),
            }

elif WORKLOAD == "count":
    # The input is keyed by url, so each url lives in one partition: the table is co-partitioned
    # with the stream and needs no repartitioning (group_by).
    counts = app.Table("url-counts", default=int, key_type=str, value_type=int)

    @app.agent(clicks)
    async def count(stream: faust.StreamT[Click]) -> None:
        quiet_debug_logging()
        async for click in stream:
            counts[click.url] += 1

else:
    raise SystemExit(f"PEERS_WORKLOAD must be stateless or count, not {WORKLOAD!r}")


if __name__ == "__main__":
    app.main()
