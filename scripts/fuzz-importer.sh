#!/usr/bin/env bash
# The full importer fuzz: 7 kinds of damage x CASES (default 300, i.e. 2,100 damaged models) through the ONNX
# loader, inspect and the compiler. ./test.sh runs 40 of each.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CONVLIVE_FUZZ_CASES="${1:-300}" dotnet test tests/ConvLive.Engine.Tests -c Release --filter ImporterFuzzTests --nologo
