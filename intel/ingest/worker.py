"""The second process of a large import: ``python -m intel.ingest.worker``.

It reads a pickled job on standard input and writes prepared batches on standard output (see
``intel.ingest.prepare.prepared_in_worker``). It touches no database.
"""

from __future__ import annotations

import os
import sys

from intel.ingest.prepare import serve


def main() -> None:
    channel = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write to the channel
    try:
        serve(channel, sys.stdin.buffer)
    except BrokenPipeError:  # the importing process is gone or stopped reading
        os._exit(0)


if __name__ == "__main__":
    main()
