#!/usr/bin/env python3
"""Reference answers for redegov's CPF and CNPJ validation, from the
validate-docbr package (PyPI `validate-docbr`, 2.x validates the
alphanumeric CNPJ of IN RFB 2.229/2024), for the Rust test
crates/redegov-domain/tests/docbr_reference.rs.

Reads the numbers from a file, or from stdin when none is given: one JSON
array, or JSON lines (one item a line). An item is an object
{"kind": "cpf" | "cnpj", "number": "..."}, or a bare string when --kind
says which document it is. Prints one JSON object on stdout, the answers
in the order of the input:

  {"validate_docbr_version": "2.0.1", "valid": [true, false, ...]}

where each answer is CPF().validate(number) or CNPJ().validate(number),
validate-docbr's defaults (a CPF of eleven equal digits is invalid).

Exit status 3 (and a line on stderr) when the `validate_docbr` module is
missing, so the test can tell "not installed" from a failure.

Usage: docbr_reference.py [--kind cpf|cnpj] [FILE]
  echo '"529.982.247-25"' | docbr_reference.py --kind cpf
"""

import argparse
import importlib.metadata
import json
import sys

try:
    from validate_docbr import CNPJ, CPF
except ImportError:
    print("validate-docbr not installed (pip install validate-docbr)", file=sys.stderr)
    sys.exit(3)

VALIDATORS = {"cpf": CPF(), "cnpj": CNPJ()}


def items(text):
    """A JSON array, or one JSON value a line."""
    if text.lstrip().startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def answer(item, kind):
    if isinstance(item, str):
        if kind is None:
            raise SystemExit(f"a bare number needs --kind: {item!r}")
        return VALIDATORS[kind].validate(item)
    return VALIDATORS[item["kind"]].validate(item["number"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=sorted(VALIDATORS))
    parser.add_argument("file", nargs="?", type=argparse.FileType("r", encoding="utf-8"), default=sys.stdin)
    args = parser.parse_args()

    valid = [answer(item, args.kind) for item in items(args.file.read())]
    json.dump(
        {"validate_docbr_version": importlib.metadata.version("validate-docbr"), "valid": valid},
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
