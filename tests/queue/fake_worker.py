"""A Redis worker process with a slow fake engine: `python -m tests.queue.fake_worker URL ID`.

Each step sleeps STEP_S seconds, so tests can kill the process in the middle of a job.
"""

import asyncio
import os
import sys
import time

from api.redis_worker import build_worker
from api.settings import Settings
from tests.api.conftest import FakeStylizer


class SlowFake(FakeStylizer):
    def __init__(self, steps: int, step_s: float) -> None:
        super().__init__(steps)
        self.step_s = step_s

    def stylize(self, content, styles, params, progress=None):
        def slow(p):
            time.sleep(self.step_s)
            if progress is not None:
                progress(p)

        return super().stylize(content, styles, params, slow)


def main() -> None:
    url, worker_id = sys.argv[1], sys.argv[2]
    engine = SlowFake(int(os.environ.get("STEPS", "10")), float(os.environ.get("STEP_S", "0.1")))
    settings = Settings(redis_url=url, warm_up=False, preview_every=0)
    worker, _ = build_worker(settings, engine=engine, sweep_s=1, worker_id=worker_id)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    asyncio.run(worker.start())


if __name__ == "__main__":
    main()
