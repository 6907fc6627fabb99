#!/usr/bin/env bash
# End-to-end checks of the `ballast` command line: exit codes, help, apply, replay, demo,
# simulate, sweep.
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
for command in demo apply replay sample price margin simulate sweep; do
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

# Margin events under the default venue: --venue builds the engine with its risk configuration
# and a new log records it as its genesis, so replay (from genesis too) rebuilds the same state.
margin_events="$source_dir/configs/sample-margin-events.jsonl"
venue="$source_dir/configs/venue-default.toml"
check apply-margin-memory 0 "$ballast" apply "$margin_events" --venue "$venue"
margin_hash=$(state_hash "$work/out")
expect_text apply-margin-memory "$work/out" "insufficient_margin            2"
expect_text apply-margin-memory "$work/out" "oracle_untrusted               1"
expect_text apply-margin-memory "$work/out" "events: 25 applied, 3 rejected"
check apply-margin-db 0 "$ballast" apply "$margin_events" --venue "$venue" --db "$work/margin.db" --batch 5
[[ "$(state_hash "$work/out")" == "$margin_hash" && -n "$margin_hash" ]] ||
  { echo "FAIL apply-margin-db: durable and in-memory hashes differ"; failures=$((failures + 1)); }
check replay-margin-genesis 0 "$ballast" replay --db "$work/margin.db" --from-genesis
expect_text replay-margin-genesis "$work/out" "start: genesis, 28 records re-applied"
expect_text replay-margin-genesis "$work/out" "genesis: 5 assets, 11 markets"
[[ "$(state_hash "$work/out")" == "$margin_hash" ]] ||
  { echo "FAIL replay-margin-genesis: hash differs from apply"; failures=$((failures + 1)); }
check replay-margin 0 "$ballast" replay --db "$work/margin.db"
[[ "$(state_hash "$work/out")" == "$margin_hash" ]] ||
  { echo "FAIL replay-margin: hash differs from apply"; failures=$((failures + 1)); }
# Without a venue the engine has no configuration: prices and fills are rejected as unknown.
check apply-margin-no-venue 0 "$ballast" apply "$margin_events"
expect_text apply-margin-no-venue "$work/out" "instrument_unknown"
# An existing log runs on its own genesis: --venue omitted resumes on it (every event a retry),
# the same venue is accepted, another one (or one on a log created without) exits 2 naming both.
check apply-margin-resume 0 "$ballast" apply "$margin_events" --db "$work/margin.db"
expect_text apply-margin-resume "$work/out" "exists"
[[ "$(state_hash "$work/out")" == "$margin_hash" ]] ||
  { echo "FAIL apply-margin-resume: retries changed the state"; failures=$((failures + 1)); }
check apply-margin-same-venue 0 "$ballast" apply "$margin_events" --venue "$venue" --db "$work/margin.db"
sed '0,/initial_rate = "0.02"/s//initial_rate = "0.03"/' "$venue" >"$work/other-venue.toml"
check apply-margin-wrong-venue 2 "$ballast" apply "$margin_events" --venue "$work/other-venue.toml" --db "$work/margin.db"
expect_text apply-margin-wrong-venue "$work/err" "--venue $work/other-venue.toml (5 assets, 11 markets"
expect_text apply-margin-wrong-venue "$work/err" "does not match the log's genesis (5 assets, 11 markets"
check apply-venue-on-plain-log 2 "$ballast" apply "$margin_events" --venue "$venue" --db "$work/log.db"
expect_text apply-venue-on-plain-log "$work/err" "does not match the log's genesis (no risk configuration)"
check replay-margin-after 0 "$ballast" replay --db "$work/margin.db" --from-genesis
[[ "$(state_hash "$work/out")" == "$margin_hash" ]] ||
  { echo "FAIL replay-margin-after: a refused --venue changed the log"; failures=$((failures + 1)); }
check apply-bad-venue 2 "$ballast" apply "$margin_events" --venue "$work/absent.toml"
# The venue file's engine tables (engine/options_config.hpp) build the engine too, and go into a
# new log's genesis with the risk configuration: replay from genesis rebuilds the same state, and
# the same risk configuration without them is another venue.
{ cat "$venue"; printf '\n[engine]\nprice_max_age = "2m"\n\n[vault]\ncooldown = "1h"\nmax_pending_withdrawals = 8\n'; } \
  >"$work/options-venue.toml"
check apply-options-db 0 "$ballast" apply "$margin_events" --venue "$work/options-venue.toml" --db "$work/options.db"
expect_text apply-options-db "$work/out" "genesis: 5 assets, 11 markets, price max age 120000000000 ns"
options_hash=$(state_hash "$work/out")
check replay-options-genesis 0 "$ballast" replay --db "$work/options.db" --from-genesis
expect_text replay-options-genesis "$work/out" "price max age 120000000000 ns"
[[ "$(state_hash "$work/out")" == "$options_hash" && -n "$options_hash" ]] ||
  { echo "FAIL replay-options-genesis: hash differs from apply"; failures=$((failures + 1)); }
check apply-options-other-venue 2 "$ballast" apply "$margin_events" --venue "$venue" --db "$work/options.db"
expect_text apply-options-other-venue "$work/err" "(5 assets, 11 markets, price max age 60000000000 ns"
expect_text apply-options-other-venue "$work/err" "does not match the log's genesis (5 assets, 11 markets, price max age 120000000000 ns"
# A bad engine table: exit 2, one line naming file:line and the key.
sed 's/^close_factor = "0.5"$/close_factor = "1.5"/' "$venue" >"$work/bad-options-venue.toml"
options_line=$(grep -n '^close_factor = "1.5"' "$work/bad-options-venue.toml" | cut -d: -f1)
check apply-bad-options 2 "$ballast" apply "$margin_events" --venue "$work/bad-options-venue.toml"
expect_text apply-bad-options "$work/err" "bad-options-venue.toml:$options_line: liquidation.close_factor: must be in (0, 1]"
[[ $(wc -l <"$work/err") -eq 1 ]] || { echo "FAIL apply-bad-options: not one line"; failures=$((failures + 1)); }

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

# ballast margin: the default venue and the example portfolio.
# Sub-account 16 by hand (BTC-PERP long 1.5 from 60,000, mark 65,010, 50,000 USDC; dYdX Large-Cap
# 2% / 1.2%, PnL credited 90% toward initial margin, latency add-on rate
# 3 × 0.6 × √(12 s / 365 d) = 0.00111034981529… rounded up to 0.001110349816):
#   notional 1.5 × 65,010 = 97,515; uPnL 97,515 − 90,000 = 7,515; equity 50,000 + 7,515 = 57,515
#   add-on 97,515 × 0.001110349816 = 108.2757623… → 108.275763 (up)
#   IM 97,515 × 0.02 + 108.275763 = 2,058.575763; MM 97,515 × 0.012 + 108.275763 = 1,278.455763
#   initial collateral 50,000 + 0.9 × 7,515 = 56,763.5, health 56,763.5 − 2,058.575763 = 54,704.924237
#   maintenance health 57,515 − 1,278.455763 = 56,236.544237
#   liquidation price: 50,000 + 1.5 (P − 60,000) − 1.5 P × 0.013110349816 = 0
#     → P = 40,000 / (1.5 × 0.986889650184) = 27,020.92…
portfolio="$source_dir/configs/portfolio-example.json"
check margin-table 0 "$ballast" margin --venue "$venue" --portfolio "$portfolio"
expect_text margin-table "$work/out" "cross group of owner 100: sub-account 16"
expect_text margin-table "$work/out" "54704.924237"
check margin-json 0 "$ballast" margin --venue "$venue" --portfolio "$portfolio" --json
# The first group (owner 100) of the pretty-printed document, field by field.
awk '/"owner": 100,/{on=1} /"owner": 101,/{on=0} on' "$work/out" >"$work/group16"
for field in '"equity": "57515"' '"initial_collateral": "56763.5"' '"maintenance_collateral": "57515"' \
    '"initial_requirement": "2058.575763"' '"maintenance_requirement": "1278.455763"' \
    '"initial_health": "54704.924237"' '"maintenance_health": "56236.544237"' \
    '"free_collateral": "54704.924237"' '"liquidatable": false' '"notional": "97515"' \
    '"unrealized_pnl": "7515"' '"initial_collateral": "6763.5"' '"liquidation_price": "27020.92'; do
  expect_text margin-json "$work/group16" "$field"
done
# The leveraged ETH short (owner 101) is near liquidation but not past it: maintenance health
# 3,900 − 2,060 − 1,714.459247 = 125.540753, liquidation price just above the mark 3,201.5.
awk '/"owner": 101,/{on=1} /"owner": 102,/{on=0} on' "$work/out" >"$work/group17"
expect_text margin-json "$work/group17" '"maintenance_health": "125.540753"'
expect_text margin-json "$work/group17" '"liquidatable": false'
expect_text margin-json "$work/group17" '"liquidation_price": "3204.59'
# A malformed venue: exit 2, one line naming file:line and the key; an unknown key likewise.
sed 's/initial_rate = "0.02", maintenance_fraction = "0.6" }/initial_rate = "1.5", maintenance_fraction = "0.6" }/' \
  "$venue" >"$work/bad-venue.toml"
check margin-bad-venue 2 "$ballast" margin --venue "$work/bad-venue.toml" --portfolio "$portfolio"
line=$(grep -n 'initial_rate = "1.5"' "$work/bad-venue.toml" | head -1 | cut -d: -f1)
expect_text margin-bad-venue "$work/err" "bad-venue.toml:$line: market BTC-PERP: rule.initial_rate: must be in [0, 1], got 1.5"
[[ $(wc -l <"$work/err") -eq 1 ]] || { echo "FAIL margin-bad-venue: not one line"; failures=$((failures + 1)); }
sed 's/^maint_asset_weight = "0.9"$/maint_asset_wieght = "0.9"/' "$venue" >"$work/typo-venue.toml"
check margin-typo-venue 2 "$ballast" margin --venue "$work/typo-venue.toml" --portfolio "$portfolio"
expect_text margin-typo-venue "$work/err" "asset BTC: maint_asset_wieght: unknown key"
sed 's/"size": "1.5"/"size": "1.50001"/' "$portfolio" >"$work/bad-portfolio.json"
check margin-bad-portfolio 2 "$ballast" margin --venue "$venue" --portfolio "$work/bad-portfolio.json"
expect_text margin-bad-portfolio "$work/err" "sub_accounts[0].positions.BTC-PERP.size: must be a multiple of the lot 0.0001, got 1.50001"
# Portfolio margin (issue 5): the same short strangle margined by Deribit's scenario model and by
# the cross rules; figures pinned from the risk matrix, whose kernels give the same bits on every
# build (pricing's golden digests). Each position's share of IM sums to IM exactly:
#   -1,954.156746 - 279.231205 + 8,419.039438 + 5,200 = 11,385.651487.
pm_portfolio="$source_dir/configs/portfolio-pm-example.json"
pm_model="$source_dir/configs/portfolio-deribit.toml"
check margin-pm 0 "$ballast" margin --venue "$venue" --portfolio "$pm_portfolio" --portfolio-model "$pm_model"
expect_text margin-pm "$work/out" "portfolio, owner 200: sub-account 30"
expect_text margin-pm "$work/out" "worst: BTC scenario 27: spot -66%, vol up"
expect_text margin-pm "$work/out" "requirement          11385.651487   9108.52119"
expect_text margin-pm "$work/out" "BTC-27MAR26-60000-P    -1   8419.039438   6735.231551"
expect_text margin-pm "$work/out" "requirement        17350        14100"
check margin-pm-json 0 "$ballast" margin --venue "$venue" --portfolio "$pm_portfolio" --portfolio-model "$pm_model" --json
for field in '"mode": "portfolio"' '"initial_requirement": "10436.561851"' '"scenario_loss": "10331.200001"' \
    '"position": "BTC-27MAR26-70000-C"' '"initial": "10706.708151"'; do
  expect_text margin-pm-json "$work/out" "$field"
done
check margin-pm-no-model 2 "$ballast" margin --venue "$venue" --portfolio "$pm_portfolio"
expect_text margin-pm-no-model "$work/err" "portfolio-pm-example.json: sub-account 30: mode portfolio needs --portfolio-model"
sed 's/"as_of": "2026-01-26T08:00:00Z",//' "$pm_portfolio" >"$work/pm-no-date.json"
check margin-pm-no-date 2 "$ballast" margin --venue "$venue" --portfolio "$work/pm-no-date.json" --portfolio-model "$pm_model"
expect_text margin-pm-no-date "$work/err" "sub-account 30: portfolio margin of dated positions needs \"as_of\""
check margin-bad-options 2 "$ballast" margin --venue "$work/bad-options-venue.toml" --portfolio "$portfolio"
expect_text margin-bad-options "$work/err" "bad-options-venue.toml:$options_line: liquidation.close_factor: must be in (0, 1]"
check margin-missing 2 "$ballast" margin --venue "$work/absent.toml" --portfolio "$portfolio"
check margin-no-portfolio 2 "$ballast" margin --venue "$venue"

# ballast simulate: the default simulation file, a few short paths. The same seed gives the same
# results.json byte for byte on 1 and 2 threads (threads are in report.html only).
sim_config="$source_dir/configs/simulate-default.toml"
check simulate-1 0 "$ballast" simulate --config "$sim_config" --paths 4 --steps 40 --threads 1 --out "$work/sim1"
expect_text simulate-1 "$work/out" "report: $work/sim1/report.html"
expect_text simulate-1 "$work/out" "probability of insolvency"
check simulate-2 0 "$ballast" simulate --config "$sim_config" --paths 4 --steps 40 --threads 2 --out "$work/sim2"
cmp -s "$work/sim1/results.json" "$work/sim2/results.json" ||
  { echo "FAIL simulate: results.json differs between 1 and 2 threads"; failures=$((failures + 1)); }
expect_text simulate-1 "$work/sim1/results.json" '"seed": 1,'
expect_text simulate-1 "$work/sim1/report.html" "<svg "
! grep -qE 'https?://' "$work/sim1/report.html" ||
  { echo "FAIL simulate: report.html refers to the network"; failures=$((failures + 1)); }
check simulate-seed 0 "$ballast" simulate --config "$sim_config" --paths 4 --steps 40 --seed 2 --out "$work/sim3"
! cmp -s "$work/sim1/results.json" "$work/sim3/results.json" ||
  { echo "FAIL simulate: another seed gave the same results"; failures=$((failures + 1)); }
# Bad input: exit 2 and one line saying what.
check simulate-missing 2 "$ballast" simulate --config "$work/absent.toml" --out "$work/sim4"
expect_text simulate-missing "$work/err" "absent.toml: cannot open the simulation configuration"
check simulate-scenario 2 "$ballast" simulate --config "$sim_config" --scenario nope --out "$work/sim4"
expect_text simulate-scenario "$work/err" "unknown scenario 'nope'; known: black-thursday-2020"
check simulate-zero-paths 2 "$ballast" simulate --config "$sim_config" --paths 0 --out "$work/sim4"
expect_text simulate-zero-paths "$work/err" "paths: must be at least 1, got 0"
sed -e "s|^venue = .*|venue = \"$venue\"|" -e 's/^accounts = /acounts = /' "$sim_config" >"$work/typo-sim.toml"
line=$(grep -n '^acounts' "$work/typo-sim.toml" | cut -d: -f1)
check simulate-typo 2 "$ballast" simulate --config "$work/typo-sim.toml" --out "$work/sim4"
expect_text simulate-typo "$work/err" "typo-sim.toml:$line: acounts: unknown key"
expect_text simulate-typo "$work/err" "acounts: unknown key"
check simulate-bad-options 2 "$ballast" simulate --config "$work/bad-options-venue.toml" --paths 2 --steps 10 --out "$work/sim4"
expect_text simulate-bad-options "$work/err" "bad-options-venue.toml:$options_line: liquidation.close_factor: must be in (0, 1]"
[[ ! -e "$work/sim4" ]] || { echo "FAIL simulate: bad input wrote output"; failures=$((failures + 1)); }
# A venue file's engine tables reach the simulated engine: a 1 ns price age leaves every price
# stale for its trades (the default run trades), so the runs differ.
check simulate-options-base 0 "$ballast" simulate --config "$venue" --paths 2 --steps 20 --out "$work/sim5"
{ cat "$venue"; printf '\n[engine]\nprice_max_age = 1\n'; } >"$work/stale-venue.toml"
check simulate-options 0 "$ballast" simulate --config "$work/stale-venue.toml" --paths 2 --steps 20 --out "$work/sim6"
figures() { grep -vE '"(command|config)":' "$1"; }  # results.json less the file names
! cmp -s <(figures "$work/sim5/results.json") <(figures "$work/sim6/results.json") ||
  { echo "FAIL simulate-options: the venue's [engine] table changed nothing"; failures=$((failures + 1)); }

# ballast sweep: two settings on common random numbers, ranked; a bad axis exits 2.
check sweep 0 "$ballast" sweep --config "$sim_config" --paths 3 --steps 40 --threads 2 --out "$work/sweep" \
  --grid 'insurance_fund_quote=1000,5000000'
expect_text sweep "$work/out" "rank  feasible"
expect_text sweep "$work/out" "report: $work/sweep/report.html"
expect_text sweep "$work/sweep/results.json" '"insurance_fund_quote": "5000000"'
expect_text sweep "$work/sweep/report.html" "Sweep: 2 settings"
# The attacker is a knob too: on the Mango-style pump it runs; on a scenario without its asset the
# setting is refused.
check sweep-attacker 0 "$ballast" sweep --config "$sim_config" --scenario mango-2022 --paths 2 --steps 40 \
  --threads 2 --out "$work/sweep3" --grid 'attacker.enabled=0,1'
expect_text sweep-attacker "$work/sweep3/results.json" '"attacker.enabled": "1"'
check sweep-attacker-asset 2 "$ballast" sweep --config "$sim_config" --scenario ftx-2022 --paths 2 --steps 40 \
  --out "$work/sweep4" --grid 'attacker.enabled=1'
expect_text sweep-attacker-asset "$work/err" "attacker asset TAIL is not traded by the scenario"
check sweep-unknown 2 "$ballast" sweep --config "$sim_config" --paths 3 --grid 'frobs=1,2' --out "$work/sweep2"
expect_text sweep-unknown "$work/err" "setting frobs=1: --grid frobs: not a knob of the simulation"
check sweep-malformed 2 "$ballast" sweep --config "$sim_config" --paths 3 --grid 'insurance_fund_quote' --out "$work/sweep2"
expect_text sweep-malformed "$work/err" "--grid 'insurance_fund_quote': no '='"
check sweep-no-asset 2 "$ballast" sweep --config "$sim_config" --paths 3 --grid 'asset.DOGE.maint_asset_weight=0.5' --out "$work/sweep2"
expect_text sweep-no-asset "$work/err" "the venue has no asset DOGE"

# The engine's rules are sweep keys: each close factor is a setting of its own, named in the
# table, results.json and the report; a misspelt key or a value out of range is refused naming it.
check sweep-engine 0 "$ballast" sweep --config "$sim_config" --paths 2 --steps 40 --threads 2 --out "$work/sweep5" \
  --grid 'liquidation.close_factor=0.25,0.5,1'
expect_text sweep-engine "$work/out" "liquidation.close_factor=0.25"
expect_text sweep-engine "$work/sweep5/results.json" '"liquidation.close_factor": "1"'
expect_text sweep-engine "$work/sweep5/report.html" "Sweep: 3 settings"
expect_text sweep-engine "$work/sweep5/report.html" "liquidation.close_factor=0.5"
check sweep-engine-unknown 2 "$ballast" sweep --config "$sim_config" --paths 2 --grid 'liquidation.close_factr=0.5' \
  --out "$work/sweep2"
expect_text sweep-engine-unknown "$work/err" "liquidation.close_factr: unknown key"
check sweep-engine-range 2 "$ballast" sweep --config "$sim_config" --paths 2 --grid 'liquidation.close_factor=0.5,1.5' \
  --out "$work/sweep2"
expect_text sweep-engine-range "$work/err" "setting liquidation.close_factor=1.5: "
expect_text sweep-engine-range "$work/err" "liquidation.close_factor: must be in (0, 1]"
[[ ! -e "$work/sweep2" ]] || { echo "FAIL sweep: bad input wrote output"; failures=$((failures + 1)); }

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
