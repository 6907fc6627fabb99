// The engine's margin events end to end (validate, execute, idempotency, venue totals), each
// beside the library call that does its arithmetic, measured in the same binary:
//   fill          vs margin::pre_trade_check on the same group (the check the engine runs)
//   oracle_quotes vs market::aggregate over the same five quotes
//   accrue_funding (premium, clamp, exact index step)
//   settle_expiry over N holders (one event closing every position in a dated market)
//   liquidate (one lot of an underwater long) vs margin::evaluate on the same group (the
//   engine evaluates the target's group to size and price the liquidation, and then runs the
//   liquidator's side as a fill)
//   fill in a portfolio sub-account of N options vs portfolio::RiskMatrix::build on the same
//   holdings (the engine rebuilds the matrix per decision: docs/ARCHITECTURE.md)
//   liquidate_portfolio (a 1% slice of an underwater portfolio of N short options) and the
//   keeper's allowance query, beside the same RiskMatrix::build

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "ballast/engine/engine.hpp"
#include "ballast/engine/testing/margin_venue.hpp"
#include "ballast/market/oracle.hpp"
#include "ballast/pricing/black.hpp"

namespace ballast {
namespace {

using namespace engine_testing;  // NOLINT: the test venue's ids and builders

constexpr TimestampNs kStepNs = 1'000;        // between events: 100k holders fit before expiry
constexpr TimestampNs kSecondNs = 1'000'000'000;

// An engine fed events a microsecond apart from kT0, each with the next id.
class Driver {
 public:
  explicit Driver(Engine engine) : engine_(std::move(engine)) {}
  Status apply(EventBody body) {
    now_ += kStepNs;
    return engine_.apply(Event{EventId{next_id_++}, now_, std::move(body)});
  }
  void must(EventBody body) {
    if (apply(std::move(body)) != Status::ok) std::abort();
  }
  Engine& engine() { return engine_; }
  const Engine& engine() const { return engine_; }
  TimestampNs now() const { return now_; }
  void advance(TimestampNs ns) { now_ += ns; }

 private:
  Engine engine_;
  std::uint64_t next_id_ = 1;
  TimestampNs now_ = kT0;
};

// A venue with `accounts` funded cross sub-accounts (ids 1000 + i, sub-accounts 10,000 + i) and
// BTC priced at 50,000.
class Venue : public Driver {
 public:
  explicit Venue(std::uint32_t accounts) : Driver(Engine(venue())) {
    must(ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll});
    must(ListAsset{kBtc, "BTC", 8, kAssetFlagsAll});
    for (std::uint32_t i = 0; i < accounts; ++i) {
      must(CreateAccount{account(i)});
      must(CreateSubAccount{account(i), sub(i), MarginMode::cross});
      must(Deposit{account(i), sub(i), kUsdc, Amount::from_raw(usdc(1'000'000))});
    }
    prices();
  }
  static AccountId account(std::uint32_t i) { return AccountId{1000u + i}; }
  static SubAccountId sub(std::uint32_t i) { return SubAccountId{10'000u + i}; }

  void prices() {
    must(OraclePrice{kBtc, price("50000"), price("50000")});
    must(MarkPrice{kPerp, price("50000")});
    must(MarkPrice{kFuture, price("50000")});
  }
};

// Matched perpetual fills between two accounts, alternately opening and closing 0.5 BTC, so
// positions stay bounded and every other fill realizes PnL.
void BM_Ballast_ApplyFill(benchmark::State& state) {
  Venue v(2);
  std::int64_t step = 0;
  for (auto _ : state) {
    const Quantity size = Quantity::from_raw(step % 2 == 0 ? 500'000'000 : -500'000'000);
    const std::uint32_t who = static_cast<std::uint32_t>(step / 2 % 2);
    benchmark::DoNotOptimize(v.apply(Fill{Venue::account(who), Venue::sub(who), kPerp, size,
                                          price("50000"), Money{}}));
    ++step;
    if (step % 20'000 == 0) {  // keep the prices fresh
      state.PauseTiming();
      v.prices();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ballast_ApplyFill);

void BM_Peer_PreTradeCheck(benchmark::State& state) {
  Venue v(1);
  v.must(Fill{Venue::account(0), Venue::sub(0), kPerp, qty("0.5"), price("50000"), Money{}});
  const SubAccount& held = *v.engine().ledger().find_sub_account(Venue::sub(0));
  const std::vector<margin::SubAccountBook> group{
      margin::SubAccountBook{held.id, held.owner, held.mode, held.balances, held.positions}};
  const market::Fill fill{Venue::account(0), Venue::sub(0), kPerp, qty("-0.5"), price("50000"),
                          Money{}};
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        margin::pre_trade_check(*v.engine().risk_config(), v.engine().prices().book, group, fill));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Peer_PreTradeCheck);

std::vector<market::SourceQuote> five_quotes(TimestampNs now_ns, std::int64_t step) {
  std::vector<market::SourceQuote> quotes;
  for (std::uint32_t s = 0; s < 5; ++s) {
    const std::int64_t cents = 5'000'000 + (step % 7) * 3 + s * 11;
    quotes.push_back(market::SourceQuote{s, Price::from_raw(cents * 10'000'000),
                                         Price::from_raw(5'000'000'000), now_ns - s * kStepNs});
  }
  return quotes;
}

void BM_Ballast_ApplyOracleQuotes(benchmark::State& state) {
  Venue v(1);
  std::int64_t step = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        v.apply(OracleQuotes{kBtc, five_quotes(v.now() + kStepNs, step++)}));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ballast_ApplyOracleQuotes);

void BM_Peer_Aggregate(benchmark::State& state) {
  const market::OracleConfig config;
  std::int64_t step = 0;
  for (auto _ : state) {
    const auto quotes = five_quotes(kT0, step++);
    benchmark::DoNotOptimize(market::aggregate(config, quotes, kT0, price("50000")));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Peer_Aggregate);

void BM_Ballast_ApplyAccrueFunding(benchmark::State& state) {
  Venue v(1);
  v.must(MarkPrice{kPerp, price("50010")});
  v.must(AccrueFunding{kPerp, {}, {}});
  std::int64_t step = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(v.apply(AccrueFunding{kPerp, {}, {}}));
    if (++step % 20'000 == 0) {
      state.PauseTiming();
      v.prices();
      v.must(MarkPrice{kPerp, price("50010")});
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ballast_ApplyAccrueFunding);

// One settle_expiry closing `holders` future positions (half long, half short), in a venue of
// that many accounts; the engine copy per iteration is outside the timing.
void BM_Ballast_SettleExpiry(benchmark::State& state) {
  const auto holders = static_cast<std::uint32_t>(state.range(0));
  Venue v(holders);
  for (std::uint32_t i = 0; i < holders; ++i) {
    v.must(Fill{Venue::account(i), Venue::sub(i), kFuture,
                i % 2 == 0 ? qty("0.01") : qty("-0.01"), price("50000"), Money{}});
    if (i % 20'000 == 19'999) v.prices();
  }
  const TimestampNs expiry_ns = v.engine().risk_config()->markets[1].instrument.expiry_ns;
  v.advance(expiry_ns - v.now() - 30 * kSecondNs);
  v.prices();
  v.advance(30 * kSecondNs);
  const Engine prepared = v.engine();
  for (auto _ : state) {
    state.PauseTiming();
    Engine engine = prepared;
    state.ResumeTiming();
    const Status status =
        engine.apply(Event{EventId{1'000'000'000}, expiry_ns + kStepNs, SettleExpiry{kFuture}});
    if (status != Status::ok) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * holders);
}
BENCHMARK(BM_Ballast_SettleExpiry)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// ---- liquidation -------------------------------------------------------------------------

constexpr std::uint32_t kUnderwater = 1'000;  // accounts to liquidate, one lot at a time
// Each lot closed at a 1% discount raises health by 2,275 − 455 = 1,820 per BTC, 1.82 per lot:
// from −162.5, 89 lots keep a group liquidatable.
constexpr std::uint32_t kLotsEach = 80;

// kUnderwater accounts long 1.5 BTC from 50,000 on 10,000 USDC each, against one deep-pocketed
// account short the lot (and liquidating), then BTC at 45,500: each group is liquidatable
// (equity 3,250 against 3,412.5 of maintenance), an episode open for each.
Driver underwater_venue() {
  Driver v{Engine(venue())};
  v.must(ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll});
  v.must(ListAsset{kBtc, "BTC", 8, kAssetFlagsAll});
  const AccountId whale{999};
  const SubAccountId whale_sub{9'999};
  v.must(CreateAccount{whale});
  v.must(CreateSubAccount{whale, whale_sub, MarginMode::cross});
  v.must(Deposit{whale, whale_sub, kUsdc, Amount::from_raw(usdc(1'000'000'000))});
  v.must(OraclePrice{kBtc, price("50000"), price("50000")});
  v.must(MarkPrice{kPerp, price("50000")});
  for (std::uint32_t i = 0; i < kUnderwater; ++i) {
    v.must(CreateAccount{Venue::account(i)});
    v.must(CreateSubAccount{Venue::account(i), Venue::sub(i), MarginMode::cross});
    v.must(Deposit{Venue::account(i), Venue::sub(i), kUsdc, Amount::from_raw(usdc(10'000))});
    v.must(Fill{Venue::account(i), Venue::sub(i), kPerp, qty("1.5"), price("50000"), Money{}});
    v.must(Fill{whale, whale_sub, kPerp, qty("-1.5"), price("50000"), Money{}});
  }
  v.must(OraclePrice{kBtc, price("45500"), price("45500")});
  v.must(MarkPrice{kPerp, price("45500")});
  for (std::uint32_t i = 0; i < kUnderwater; ++i) v.must(CheckHealth{Venue::sub(i)});
  return v;
}

void BM_Ballast_ApplyLiquidate(benchmark::State& state) {
  const Driver prepared = underwater_venue();
  Driver v = prepared;
  std::uint32_t step = 0;
  for (auto _ : state) {
    if (step == kUnderwater * kLotsEach) {  // every account kLotsEach lots in: start again
      state.PauseTiming();
      v = prepared;
      step = 0;
      state.ResumeTiming();
    }
    const Status status = v.apply(Liquidate{AccountId{999}, SubAccountId{9'999}, Venue::sub(step % kUnderwater),
                                            kPerp, qty("0.001"), price("45045")});
    if (status != Status::ok) std::abort();
    ++step;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ballast_ApplyLiquidate);

void BM_Peer_EvaluateTarget(benchmark::State& state) {
  Driver v = underwater_venue();
  const SubAccount& held = *v.engine().ledger().find_sub_account(Venue::sub(0));
  const std::vector<margin::SubAccountBook> group{
      margin::SubAccountBook{held.id, held.owner, held.mode, held.balances, held.positions}};
  for (auto _ : state) {
    benchmark::DoNotOptimize(margin::evaluate(*v.engine().risk_config(), v.engine().prices().book, group));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Peer_EvaluateTarget);

// ---- portfolio margin ---------------------------------------------------------------------

constexpr std::uint32_t kFirstOptionId = 1000;
constexpr SubAccountId kPortfolioSub{10'000};
constexpr AccountId kPortfolioOwner{1000};

// The option market `i` of `n`: calls and puts on BTC at strikes 40,000..60,000 over four
// expiries (7, 30, 60, 90 days), marked at Black-76 with a 60% vol on the spot 50,000.
margin::MarketRisk option_market(std::uint32_t i, std::uint32_t n) {
  const std::int64_t days[] = {7, 30, 60, 90};
  margin::MarketRisk market{instrument(InstrumentId{kFirstOptionId + i}, "BTC-OPT", market::InstrumentKind::option),
                            {}, {}, {}};
  market.instrument.symbol = "BTC-OPT-" + std::to_string(i);
  market.instrument.expiry_ns = kT0 + days[i % 4] * 86'400 * kSecondNs;
  market.instrument.strike = Price::from_raw((40'000 + static_cast<std::int64_t>(20'000 * i / n)) * 1'000'000'000);
  market.instrument.option_kind = i % 2 == 0 ? pricing::OptionKind::call : pricing::OptionKind::put;
  return market;
}

Price option_mark(const market::Instrument& option, double spot = 50'000, double vol = 0.6) {
  const double years = static_cast<double>(option.expiry_ns - kT0) / (365.0 * 86'400e9);
  const auto greeks = pricing::price_black76({option.option_kind, spot, option.strike.to_double(), years, 1, vol});
  // On the instrument's 0.1 tick, so that fills at the mark are valid.
  return Price::from_raw(static_cast<std::int64_t>(std::floor(greeks->price * 10)) * 100'000'000);
}

// The test venue with n option markets (option_market) and a portfolio model on BTC with the
// default grid.
Engine portfolio_engine(std::uint32_t n) {
  margin::RiskConfig risk = venue();
  for (std::uint32_t i = 0; i < n; ++i) risk.markets.push_back(option_market(i, n));
  portfolio::PortfolioConfig config;
  config.underlyings.push_back(portfolio::UnderlyingConfig{});
  config.underlyings[0].symbol = "BTC";
  auto engine = Engine::make(std::move(risk), {}, std::move(config));
  if (!engine) std::abort();
  return std::move(*engine);
}

// A portfolio sub-account short one contract of each of n options, with 10M USDC and 10 BTC.
class PortfolioVenueBench : public Driver {
 public:
  explicit PortfolioVenueBench(std::uint32_t n) : Driver(portfolio_engine(n)) {
    must(ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll});
    must(ListAsset{kBtc, "BTC", 8, kAssetFlagsAll});
    must(CreateAccount{kPortfolioOwner});
    must(CreateSubAccount{kPortfolioOwner, kPortfolioSub, MarginMode::portfolio});
    must(Deposit{kPortfolioOwner, kPortfolioSub, kUsdc, Amount::from_raw(usdc(10'000'000))});
    must(Deposit{kPortfolioOwner, kPortfolioSub, kBtc, Amount::from_raw(1'000'000'000)});
    must(OraclePrice{kBtc, price("50000"), price("50000")});
    for (const margin::MarketRisk& market : engine().risk_config()->markets) {
      if (market.instrument.kind != market::InstrumentKind::option) continue;
      must(MarkPrice{market.instrument.id, option_mark(market.instrument)});
      must(Fill{kPortfolioOwner, kPortfolioSub, market.instrument.id, qty("-1"), option_mark(market.instrument),
                Money{}});
    }
  }
};

// One option fill (alternately selling and buying back 0.1 of the first option) in a portfolio
// sub-account holding n options: validation rebuilds the risk matrix after the fill.
void BM_Ballast_ApplyPortfolioFill(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  PortfolioVenueBench v(n);
  const InstrumentId first{kFirstOptionId};
  const Price mark = v.engine().prices().book.find_market(first)->mark;
  std::int64_t step = 0;
  for (auto _ : state) {
    const Quantity size = Quantity::from_raw(step++ % 2 == 0 ? -100'000'000 : 100'000'000);
    if (v.apply(Fill{kPortfolioOwner, kPortfolioSub, first, size, mark, Money{}}) != Status::ok) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ballast_ApplyPortfolioFill)->Arg(10)->Arg(100);

// The library alone: the sub-account's risk matrix built from the same holdings.
void BM_Peer_RiskMatrixBuild(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  PortfolioVenueBench v(n);
  Engine& engine = v.engine();
  PortfolioInputs inputs;
  const SubAccount& held = *engine.ledger().find_sub_account(kPortfolioSub);
  const margin::SubAccountBook book{held.id, held.owner, held.mode, held.balances, held.positions};
  if (portfolio_inputs(*engine.portfolio(), *engine.risk_config(), engine.prices().book, book, engine.clock_ns(),
                       inputs) != Status::ok) {
    std::abort();
  }
  portfolio::RiskMatrix matrix(engine.portfolio()->model());
  for (auto _ : state) benchmark::DoNotOptimize(matrix.build(inputs.market, inputs.positions));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Peer_RiskMatrixBuild)->Arg(10)->Arg(100);

// ---- portfolio liquidation ----------------------------------------------------------------

constexpr AccountId kPortfolioLiquidator{999};
constexpr SubAccountId kPortfolioLiquidatorSub{9'999};
constexpr std::uint32_t kSliceEachPpm = 10'000;  // 1% of every position per event

// What a portfolio liquidation bench starts from: a venue with an underwater portfolio
// sub-account and a portfolio-mode liquidator, and how many kSliceEachPpm slices it accepts in a
// row before the target is healthy again.
struct UnderwaterPortfolio {
  Driver driver;
  std::uint32_t slices = 0;
};

LiquidatePortfolio take_slice(std::uint32_t fraction_ppm) {
  return LiquidatePortfolio{kPortfolioLiquidator, kPortfolioLiquidatorSub, kPortfolioSub, fraction_ppm,
                            *Ratio::parse("0.01", Round::down)};
}

void mark_options(Driver& v, double spot, double vol) {
  for (const margin::MarketRisk& market : v.engine().risk_config()->markets) {
    if (market.instrument.kind == market::InstrumentKind::option) {
      v.must(MarkPrice{market.instrument.id, option_mark(market.instrument, spot, vol)});
    }
  }
}

// The target is short one contract of each of n options on USDC alone (no coin to carry its
// equity), marked at Black-76 with a 60% vol on 50,000 and everything withdrawn but 5% of its
// initial requirement; then BTC falls 16% to 42,000 and every option is re-marked with an 80% vol
// (short options lose on both). Its maintenance health is negative and an episode is open. The
// liquidator is a portfolio sub-account with 1,000M USDC (its side is checked at the scenario
// initial requirement too).
UnderwaterPortfolio underwater_portfolio(std::uint32_t n) {
  Driver v{portfolio_engine(n)};
  v.must(ListAsset{kUsdc, "USDC", 6, kAssetFlagsAll});
  v.must(ListAsset{kBtc, "BTC", 8, kAssetFlagsAll});
  v.must(CreateAccount{kPortfolioOwner});
  v.must(CreateSubAccount{kPortfolioOwner, kPortfolioSub, MarginMode::portfolio});
  v.must(Deposit{kPortfolioOwner, kPortfolioSub, kUsdc, Amount::from_raw(usdc(1'000'000))});
  v.must(CreateAccount{kPortfolioLiquidator});
  v.must(CreateSubAccount{kPortfolioLiquidator, kPortfolioLiquidatorSub, MarginMode::portfolio});
  v.must(Deposit{kPortfolioLiquidator, kPortfolioLiquidatorSub, kUsdc, Amount::from_raw(usdc(1'000'000'000))});
  v.must(OraclePrice{kBtc, price("50000"), price("50000")});
  mark_options(v, 50'000, 0.6);
  for (const margin::MarketRisk& market : v.engine().risk_config()->markets) {
    if (market.instrument.kind != market::InstrumentKind::option) continue;
    v.must(Fill{kPortfolioOwner, kPortfolioSub, market.instrument.id, qty("-1"),
                v.engine().prices().book.find_market(market.instrument.id)->mark, Money{}});
  }
  portfolio::RiskMatrix matrix(v.engine().portfolio()->model());
  const PortfolioOutcome before = v.engine().portfolio_margin(kPortfolioSub, matrix);
  if (before.status != Status::ok || before.figures.initial_health.raw() <= 0) std::abort();
  v.must(Withdraw{kPortfolioOwner, kPortfolioSub, kUsdc,
                  Amount::from_raw(before.figures.initial_health.raw() - before.figures.initial_requirement.raw() / 20)});
  v.must(OraclePrice{kBtc, price("42000"), price("42000")});
  mark_options(v, 42'000, 0.8);
  UnderwaterPortfolio out{v, 0};
  while (v.apply(take_slice(kSliceEachPpm)) == Status::ok) ++out.slices;
  if (out.slices == 0) std::abort();
  return out;
}

// One 1% slice of an underwater portfolio sub-account of n short options (liquidate_portfolio:
// judge the target, check that one millionth less would not already restore it, the equity
// after, the liquidator's scenario initial margin, then 2n fills and the episode's end check).
void BM_Ballast_ApplyLiquidatePortfolio(benchmark::State& state) {
  const UnderwaterPortfolio prepared = underwater_portfolio(static_cast<std::uint32_t>(state.range(0)));
  Driver v = prepared.driver;
  std::uint32_t step = 0;
  for (auto _ : state) {
    if (step == prepared.slices) {  // healthy again: start from the crash
      state.PauseTiming();
      v = prepared.driver;
      step = 0;
      state.ResumeTiming();
    }
    if (v.apply(take_slice(kSliceEachPpm)) != Status::ok) std::abort();
    ++step;
  }
  state.counters["slices_per_episode"] = prepared.slices;
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ballast_ApplyLiquidatePortfolio)->Arg(10)->Arg(100);

// The keeper's query on the same account: the least fraction that restores it (a bisection over
// the scenario requirement).
void BM_Ballast_PortfolioLiquidationAllowance(benchmark::State& state) {
  const UnderwaterPortfolio prepared = underwater_portfolio(static_cast<std::uint32_t>(state.range(0)));
  const Engine& engine = prepared.driver.engine();
  for (auto _ : state) {
    const std::optional<std::uint32_t> allowed = engine.portfolio_liquidation_allowance(take_slice(0));
    if (!allowed) std::abort();
    benchmark::DoNotOptimize(allowed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ballast_PortfolioLiquidationAllowance)->Arg(10)->Arg(100);

}  // namespace
}  // namespace ballast
