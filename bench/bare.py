"""The bare routes the services are measured against, in the same run: a FastAPI app with
uvicorn, uvloop and httptools and nothing of pointstream in it.

- ``GET /v1/members/{member_id}/balance``: one primary-key read of the ledger's balances table
  with asyncpg (prepared statement, a pool), answered as JSON;
- ``POST /v1/events``: the request body produced as it is to Kafka with acks=all (idempotent
  producer), answered 202 once Kafka acknowledged it.

``python -m bench.bare --port P --database URL --kafka HOST:PORT --topic T``
"""

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Request, Response
from fastapi.responses import ORJSONResponse

_READ = (
    "SELECT member_id, available, pending, held, lifetime_earned, lifetime_redeemed, updated_at "
    "FROM balances WHERE member_id = $1"
)


def build(database: str, kafka: str, topic: str) -> FastAPI:
    state: dict[str, object] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(database, min_size=4, max_size=10)
        producer = AIOKafkaProducer(
            bootstrap_servers=kafka, enable_idempotence=True, acks="all", linger_ms=2
        )
        await producer.start()
        state.update(pool=pool, producer=producer)
        yield
        await producer.stop()
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/v1/members/{member_id}/balance")
    async def balance(member_id: str) -> Response:
        pool: asyncpg.Pool = state["pool"]
        row = await pool.fetchrow(_READ, member_id)
        if row is None:
            return ORJSONResponse({"member_id": member_id, "available": 0, "pending": 0})
        return ORJSONResponse(dict(row))

    @app.post("/v1/events", status_code=202)
    async def ingest(request: Request) -> Response:
        producer: AIOKafkaProducer = state["producer"]
        await producer.send_and_wait(topic, await request.body())
        return ORJSONResponse({"accepted": 1}, status_code=202)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True, help="postgresql://user@host:port/db")
    parser.add_argument("--kafka", required=True)
    parser.add_argument("--topic", required=True)
    args = parser.parse_args()
    uvicorn.run(
        build(args.database, args.kafka, args.topic),
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
