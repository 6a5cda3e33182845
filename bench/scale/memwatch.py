"""Peak resident memory of a Dask worker process over a window: a thread
samples the RSS every 10 ms between start() and stop() (run on each worker
with Client.run)."""

import threading
import time

import psutil

_state = {}


def start():
    proc = psutil.Process()
    stop = threading.Event()
    peak = [proc.memory_info().rss]
    base = peak[0]

    def loop():
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.01)

    th = threading.Thread(target=loop, daemon=True)
    th.start()
    _state.update(stop=stop, peak=peak, base=base, thread=th)
    return base


def stop():
    _state["stop"].set()
    _state["thread"].join()
    return {"base": _state["base"], "peak": _state["peak"][0]}
