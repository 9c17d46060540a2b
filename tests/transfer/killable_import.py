"""An import that stops mid-batch and waits to be killed (for test_cli's kill test).

    python -m tests.transfer.killable_import INSTANCE PACKAGE FILE MARKER PAUSE_AT

It imports FILE into `customer` keyed by name in batches of 10 and, once row PAUSE_AT of the
file has been written inside its (uncommitted) batch (progress is reported per batch, so at the
batch's end), writes MARKER and sleeps.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from formwork.runtime import open_runtime
from formwork.transfer import mapping
from formwork.transfer.pipeline import Importer
from formwork.transfer.sources import open_source


def main() -> None:
    instance, package, file, marker, pause_at = sys.argv[1:6]
    runtime = open_runtime({"instance": instance, "package": package})
    entity = runtime.model.entity("customer")
    source = open_source(file)
    allowed = mapping.targets(entity, (), (), lambda f: f.name)
    columns = mapping.check(
        source.columns, mapping.guess(entity, source.columns, allowed), "name", allowed
    )
    importer = Importer(runtime.records, entity, None, source.columns, columns)

    def progress(done: int, total: int) -> None:
        if done >= int(pause_at):
            Path(marker).write_text("paused")
            time.sleep(600)

    importer.run(source, batch_size=10, progress=progress)


if __name__ == "__main__":
    main()
