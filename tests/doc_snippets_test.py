#!/usr/bin/env python3
"""Every ```cpp block of README.md and docs/*.md is a verbatim part of a compiled example; other blocks name their language."""
import pathlib
import re
import sys

CPP = {"cpp", "c++", "cc", "cxx", "hpp", "h", "c"}
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")


def blocks(text):
    """Yields (line number, language, body) for each fenced block; the body loses the fence's indent."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, lang, start = m.group(1), m.group(2).lower(), i
        body = []
        i += 1
        while i < len(lines) and lines[i].rstrip() != indent + "```":
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        if i == len(lines):
            raise SystemExit(f"unclosed ``` fence at line {start + 1}")
        yield start + 1, lang, "\n".join(body) + "\n"
        i += 1


def quoted(block, sources):
    """True if the block's lines appear, whole and in order, in one source (all indented alike by 0-12 spaces)."""
    for text in sources:
        padded = "\n" + text
        for n in range(0, 13, 2):
            shifted = "".join(" " * n + line if line.strip() else line for line in block.splitlines(keepends=True))
            if "\n" + shifted in padded:
                return True
    return False


def main():
    root = pathlib.Path(sys.argv[1])
    compiled = [pathlib.Path(p) for p in sys.argv[2:]]
    if not compiled:
        raise SystemExit("usage: doc_snippets_test.py ROOT COMPILED_EXAMPLE_SOURCE...")
    sources = [p.read_text() for p in compiled]
    docs = [root / "README.md"] + sorted((root / "docs").glob("*.md"))
    errors, checked = [], 0
    for doc in docs:
        name = doc.relative_to(root)
        for line, lang, body in blocks(doc.read_text()):
            if not lang:
                errors.append(f"{name}:{line}: a fence without a language; use ```cpp, or ```text for output")
            elif lang in CPP:
                checked += 1
                if not quoted(body, sources):
                    errors.append(f"{name}:{line}: this ```{lang} block is not verbatim in a compiled example:\n{body}")
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        raise SystemExit(f"{len(errors)} problem(s); compiled examples searched: {len(sources)}")
    if checked == 0:
        raise SystemExit("no ```cpp blocks found: is ROOT right?")
    print(f"{checked} C++ blocks in {len(docs)} documents, all quoted from {len(sources)} compiled examples")


main()
