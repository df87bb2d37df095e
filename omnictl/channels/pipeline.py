"""Map a large file in a child process while this process writes: two cores, one stream.

Mapping rows (parsing, grouping, states) is pure Python and writing is SQLite; on a large
file a forked child maps and sends records in batches through a pipe, and the parent
writes them. The stream is the same as `Mapper.map_orders()`, in the same order. A
file-level error raised in the child is raised again here. Small files, and platforms
without fork, are mapped inline.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import signal
from typing import Iterator

from omnictl.channels.mapping import Mapper, OrderRecord, Reject, from_plain, to_plain

PARALLEL_MIN_BYTES = 4 * 1024 * 1024
BATCH = 1000


def use_child(size_bytes: int) -> bool:
    if os.environ.get("OMNICTL_PARALLEL") == "0":
        return False
    if os.environ.get("OMNICTL_PARALLEL") == "1":
        return "fork" in multiprocessing.get_all_start_methods()
    return size_bytes >= PARALLEL_MIN_BYTES and "fork" in multiprocessing.get_all_start_methods() \
        and (os.cpu_count() or 1) > 1


def mapped(mapper: Mapper, size_bytes: int) -> Iterator[OrderRecord | Reject]:
    if not use_child(size_bytes):
        yield from mapper.map_orders()
        return
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(mapper, send), daemon=True)
    child.start()
    send.close()
    try:
        while True:
            try:
                kind, payload = receive.recv()
            except EOFError:
                raise RuntimeError("the mapping process ended without finishing the file") from None
            if kind == "batch":
                yield from map(from_plain, payload)
            elif kind == "error":
                raise payload
            else:
                return
    finally:
        receive.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _produce(mapper: Mapper, send) -> None:
    """In the child: map, send batches, then exit without running the parent's finalisers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # the parent handles Ctrl-C and stops us
    code = 0
    try:
        batch: list = []
        for record in mapper.map_orders():
            batch.append(to_plain(record))
            if len(batch) >= BATCH:
                send.send_bytes(_dumps(("batch", batch)))
                batch = []
        send.send_bytes(_dumps(("batch", batch)))
        send.send(("done", None))
    except BrokenPipeError:
        code = 1
    except BaseException as err:  # handed to the parent, which raises it
        try:
            send.send(("error", err if _picklable(err) else RuntimeError(f"{type(err).__name__}: {err}")))
        except Exception:
            code = 1
    finally:
        send.close()
        os._exit(code)


def _dumps(message) -> bytes:
    """Pickle without the memo: records are trees of fresh strings, never shared or cyclic."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(message)
    return buffer.getvalue()


def _picklable(err: BaseException) -> bool:
    try:
        pickle.dumps(err)
        return True
    except Exception:
        return False


