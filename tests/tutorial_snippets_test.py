#!/usr/bin/env python3
"""Every C++ block in docs/tutorial.md must be a verbatim part of a program in examples/, which the build compiles."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
doc = (root / "docs/tutorial.md").read_text()
sources = {p: p.read_text() for p in (root / "examples").rglob("*.cpp")}
blocks = re.findall(r"```cpp\n(.*?)```", doc, re.S)
if not blocks:
    raise SystemExit("no ```cpp blocks in docs/tutorial.md")
bad = [b for b in blocks if not any(b in text for text in sources.values())]
for b in bad:
    print("not found verbatim in examples/:\n" + b, file=sys.stderr)
if bad:
    raise SystemExit(f"{len(bad)} of {len(blocks)} tutorial blocks are not from examples/")
print(f"{len(blocks)} tutorial blocks, all from examples/")
