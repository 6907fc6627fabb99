#!/usr/bin/env bash
# End-to-end checks of the `ballast` command line: exit codes, help, apply, replay, demo.
# Usage: cli_test.sh BALLAST_BINARY SOURCE_DIR
set -uo pipefail
ballast=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

check() {  # check NAME EXPECTED_EXIT COMMAND...
  local name=$1 expected=$2
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local actual=$?
  if [[ $actual -ne $expected ]]; then
    echo "FAIL $name: exit $actual, expected $expected"; cat "$work/out" "$work/err"
    failures=$((failures + 1))
  fi
}
expect_text() {  # expect_text NAME FILE TEXT
  if ! grep -qF -- "$3" "$2"; then
    echo "FAIL $1: '$3' not in $2:"; cat "$2"
    failures=$((failures + 1))
  fi
}
state_hash() { sed -n 's/^state hash: //p' "$1"; }

check version 0 "$ballast" --version
expect_text version "$work/out" "ballast 0.1.0"
check help 0 "$ballast" --help
for command in demo apply replay sample price; do
  check "help $command" 0 "$ballast" "$command" --help
done
check no-subcommand 2 "$ballast"
check unknown-subcommand 2 "$ballast" frobnicate
check bad-option 2 "$ballast" replay --db x.db --no-such-option

sample="$source_dir/configs/sample-events.jsonl"
check apply-memory 0 "$ballast" apply "$sample"
memory_hash=$(state_hash "$work/out")
expect_text apply-memory "$work/out" "insufficient_balance"
check apply-db 0 "$ballast" apply "$sample" --db "$work/log.db" --batch 7 --snapshot-every 50
[[ "$(state_hash "$work/out")" == "$memory_hash" && -n "$memory_hash" ]] ||
  { echo "FAIL apply: durable and in-memory hashes differ"; failures=$((failures + 1)); }
check replay 0 "$ballast" replay --db "$work/log.db" --balances
[[ "$(state_hash "$work/out")" == "$memory_hash" ]] ||
  { echo "FAIL replay: hash differs from apply"; failures=$((failures + 1)); }
check replay-genesis 0 "$ballast" replay --db "$work/log.db" --from-genesis
[[ "$(state_hash "$work/out")" == "$memory_hash" ]] ||
  { echo "FAIL replay --from-genesis: hash differs"; failures=$((failures + 1)); }
# Applying the same file again: every event is a retry, answered "exists", and nothing changes.
check apply-again 0 "$ballast" apply "$sample" --db "$work/log.db"
expect_text apply-again "$work/out" "exists"
[[ "$(state_hash "$work/out")" == "$memory_hash" ]] ||
  { echo "FAIL apply-again: retries changed the state"; failures=$((failures + 1)); }

# A malformed line: exit 2 naming file and line, and nothing is written.
head -n 6 "$sample" >"$work/bad.jsonl"
echo '{"id":999,"ts":1,"type":"deposit","account":16,"sub_account":16,"asset":1}' >>"$work/bad.jsonl"
check apply-malformed 2 "$ballast" apply "$work/bad.jsonl" --db "$work/bad.db"
expect_text apply-malformed "$work/err" "bad.jsonl:7:"
expect_text apply-malformed "$work/err" '"amount" is missing'
[[ ! -e "$work/bad.db" ]] || { echo "FAIL apply-malformed: a log was created"; failures=$((failures + 1)); }
check apply-missing 2 "$ballast" apply "$work/absent.jsonl"
check replay-missing 2 "$ballast" replay --db "$work/absent.db"
[[ ! -e "$work/absent.db" ]] || { echo "FAIL replay-missing: created the file"; failures=$((failures + 1)); }
printf 'not a database, just text\n%.0s' {1..200} >"$work/garbage.db"
check replay-garbage 1 "$ballast" replay --db "$work/garbage.db"

check demo 0 "$ballast" demo --out "$work/demo" --events 2000 --accounts 50
expect_text demo "$work/out" "replay from genesis"
expect_text demo "$work/out" "conservation (balances sum to deposits - withdrawals, per asset): exact"
check demo-replay 0 "$ballast" replay --db "$work/demo/events.db"

# ballast price: one reply line per request line, in order; a bad line fails alone (exit 2).
cat >"$work/requests.jsonl" <<'JSON'
{"kind":"put","spot":100,"strike":95,"expiry":0.5,"rate":0.1,"dividend":0.05,"vol":0.2}
{"model":"black76","kind":"call","forward":19,"strike":19,"expiry":0.75,"discount":0.9277434863285530,"vol":0.28,"inverse":true}
{"kind":"call","spot":100,"strike":-5,"expiry":1,"rate":0,"vol":0.2}
{"kind":"call","spot":100,"strike":110,"expiry":1,"rate":0.03,"price":10}
not json
JSON
check price-mixed 2 "$ballast" price --input "$work/requests.jsonl"
[[ $(wc -l <"$work/out") -eq 5 ]] || { echo "FAIL price-mixed: not one line per request"; cat "$work/out"; failures=$((failures + 1)); }
expect_text price-mixed "$work/out" '"price":2.46478'
expect_text price-mixed "$work/out" '"coin":{'
expect_text price-mixed "$work/out" '{"error":"strike must be positive and finite, got -5"}'
expect_text price-mixed "$work/out" '"implied_vol":0.'
expect_text price-mixed "$work/out" '{"error":"not valid JSON"}'
expect_text price-mixed "$work/err" "2 of 5 lines could not be priced; first at line 3"
head -2 "$work/requests.jsonl" >"$work/good.jsonl"
check price-stdin 0 "$ballast" price <"$work/good.jsonl"
[[ $(wc -l <"$work/out") -eq 2 ]] || { echo "FAIL price-stdin: not one line per request"; failures=$((failures + 1)); }
check price-missing-file 2 "$ballast" price --input "$work/absent.jsonl"

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
