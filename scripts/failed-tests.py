#!/usr/bin/env python3
"""Prints each failed test in the given .trx files: its name, then the first lines of its message.

test.sh calls it after the summary, so the end of a CI log always says which test failed and why.
"""
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
MAX_LINES = 12

for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as error:
        print(f"{path}: cannot read the results ({error})")
        continue
    for result in root.iterfind(".//t:UnitTestResult", NS):
        if result.get("outcome") not in ("Failed", "Error", "Timeout", "Aborted"):
            continue
        print(f"FAILED {result.get('testName')} ({result.get('duration')})")
        message = result.find("t:Output/t:ErrorInfo/t:Message", NS)
        lines = (message.text or "").splitlines() if message is not None else []
        for line in lines[:MAX_LINES]:
            print(f"    {line}")
        if len(lines) > MAX_LINES:
            print(f"    ... {len(lines) - MAX_LINES} more lines in {path}")
