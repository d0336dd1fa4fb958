"""A stand-in bench for the smoke runner's tests: ``--mode`` says how it ends."""

import sys

from bench.harness import emit

if __name__ == "__main__":
    mode = sys.argv[sys.argv.index("--mode") + 1]
    print("figures a human reads")
    if mode == "result":
        emit("fake", {"ratio": 1.5})
    elif mode == "garbled":
        print("RESULT {not json")
    elif mode == "crash":
        raise SystemExit(3)
