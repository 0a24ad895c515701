#!/usr/bin/env python3
"""Prints each Sources/ module's lines and the project modules it imports (from the import lines,
so it shows what the code uses, not only what Package.swift allows)."""
import os
import re
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources")
modules = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
rows = []
for m in modules:
    lines, imports = 0, set()
    for dirpath, _, files in os.walk(os.path.join(root, m)):
        for f in files:
            if not f.endswith((".swift", ".c", ".h")):
                continue
            with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                for line in fh:
                    lines += 1
                    hit = re.match(r"\s*(?:@\w+\s+)*import\s+(\w+)", line)
                    if hit and hit.group(1) in modules and hit.group(1) != m:
                        imports.add(hit.group(1))
    rows.append((m, lines, sorted(imports)))
fmt = "| {} | {} | {} |" if "--markdown" in sys.argv else "{:<18} {:>6}  {}"
if "--markdown" in sys.argv:
    print("| module | lines | imports |\n|---|---|---|")
for m, n, imp in rows:
    print(fmt.format(m, n, ", ".join(imp) or "-"))
