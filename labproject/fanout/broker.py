"""Which Redis the fan-out uses, and whether it answers: one clear line when it does not.

The URL comes from ``LAB_BROKER_URL`` (or ``REDIS_URL``), else from the lab's own Redis server under
``var/redis`` when it runs (``make workers`` starts it). The check talks to Redis directly with short
timeouts, because a Celery connection retries for minutes before it says anything.
"""

from __future__ import annotations

import os

from labproject.database import redact
from labproject.errors import BrokerNotReady

START_HINT = "start the lab's broker and workers with `make workers N=2`"


def broker_url(explicit: str | None = None) -> str:
    """Return the broker URL to use (it carries the password: never print it unmasked)."""
    url = explicit or os.environ.get("LAB_BROKER_URL") or os.environ.get("REDIS_URL")
    if url:
        return url
    from labproject.servers.redis import DEFAULT_ROOT, RedisServer

    server = RedisServer(DEFAULT_ROOT)
    if not server.running():
        raise BrokerNotReady(f"no broker: the lab's Redis server in {DEFAULT_ROOT} is not running and neither "
                             f"LAB_BROKER_URL nor REDIS_URL is set; {START_HINT}")
    return server.url()


def server_id(url: str) -> str:
    """Return the Redis server's run id (it changes when the server restarts), or say why it cannot be used."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)
    try:
        return str(client.info("server")["run_id"])
    except redis.AuthenticationError as exc:
        raise BrokerNotReady(f"the broker at {redact(url)} refused the password: {_first(exc)}") from None
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        raise BrokerNotReady(f"cannot reach the broker at {redact(url)}: {_first(exc)}; {START_HINT}") from None
    except redis.RedisError as exc:
        raise BrokerNotReady(f"the broker at {redact(url)} cannot be used: {_first(exc)}") from None
    finally:
        client.close()


def _first(exc: BaseException) -> str:
    return redact(next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__))
