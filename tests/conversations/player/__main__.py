"""Plays the corpus from the command line on a fresh stack, e.g. while writing it:

    .venv/bin/python -m tests.conversations.player [--only ID ...] [--channel rest ...]
        [--transcripts] [--watch]

``--watch`` plays again whenever a corpus file changes (Ctrl-C ends)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from .corpus import CHANNELS, CORPUS_DIR, PERSONS_FILE, load_corpus, load_persons
from .play import play_all, summary
from .stack import running_stacks


def _mtime() -> float:
    return max(p.stat().st_mtime for p in [*CORPUS_DIR.glob("*.yml"), PERSONS_FILE])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="conversation ids")
    parser.add_argument("--channel", nargs="*", default=list(CHANNELS))
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--transcripts", action="store_true")
    parser.add_argument("--watch", action="store_true")
    args = parser.parse_args()
    # The stacks the selected conversations need, as they are when the player starts.
    modes = {c.support for c in load_corpus() if args.only is None or c.id in args.only}
    with running_stacks(Path(tempfile.mkdtemp(prefix="corpus-")), modes or {"unset"}) as stacks:
        while True:
            seen = _mtime()
            try:
                persons = load_persons()
                conversations = [c for c in load_corpus(persons=persons)
                                 if (args.only is None or c.id in args.only)
                                 and c.support in stacks]
                started = time.monotonic()
                results = play_all(stacks, conversations, persons, args.workers, args.channel)
                print(summary(conversations, results, time.monotonic() - started))
                for result in results:
                    if args.transcripts or not result.ok:
                        print(f"--- {result.conversation} on {result.channel} "
                              f"({result.seconds:.1f} s)")
                        print("\n".join(result.transcript))
            except Exception as error:
                print(f"corpus error: {error}")
                results = []
            if not args.watch:
                return 0 if all(r.ok for r in results) else 1
            while _mtime() == seen:
                time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
