#pragma once
// Portfolio-margin sub-accounts (issue 5): a sub-account in MarginMode::portfolio is its own
// margin group, and its requirement is the scenario risk matrix's (portfolio/risk_matrix.hpp)
// instead of the sum of per-position rules.
//
// A PortfolioVenue binds a portfolio-margin model to the venue's risk configuration: each of the
// model's underlyings is the configured asset of the same symbol. A portfolio sub-account may hold
// the quote asset and those underlyings (coin collateral, valued and shocked in every scenario
// with the model's haircut), and trade derivatives on them settled in the quote; anything else
// is portfolio_unsupported. Its figures:
//
//   equity       what margin::evaluate counts (balances at the oracle, option values at their
//                mark, perpetual and future PnL less pending funding), exact, unweighted
//   requirement  the risk matrix's initial and maintenance requirements (rounded up)
//   health       equity − requirement; liquidatable when the maintenance health is negative
//
// The market the matrix reprices comes from the engine's prices, so that a replay decides the
// same: spot = the underlying's oracle; one expiry per expiry instant held (ACT/365 years from
// the event's time), its forward the mark of a configured future on that underlying and instant
// when one is marked, else the spot; rate 0 (margin is a one-day risk: Deribit and Derive shock
// the forward, not the carry); each option's vol the Black-76 implied vol of its mark (our
// deterministic Let's Be Rational, so the bits replay), 0 for a mark at or below intrinsic or at
// expiry. A mark above its no-arbitrage bound has no vol: portfolio_price_invalid. Every position
// pays the liquidity add-on at its underlying's configured close-out curve.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"
#include "ballast/core/result.hpp"
#include "ballast/core/status.hpp"
#include "ballast/margin/account.hpp"
#include "ballast/portfolio/model.hpp"
#include "ballast/portfolio/risk_matrix.hpp"

namespace ballast {

// The engine's status for a margin calculator's: asset_unknown, instrument_unknown,
// price_missing, balance_overflow (a figure beyond the fixed-point range).
Status status_of(margin::MarginStatus status);

class PortfolioVenue {
 public:
  // An invalid_input error naming the field: the model's own checks, an underlying whose
  // symbol is no configured asset (or is the quote), or two underlyings on one asset.
  static Result<PortfolioVenue> make(portfolio::PortfolioConfig config, const margin::RiskConfig& risk);

  const portfolio::Model& model() const noexcept { return *model_; }
  const portfolio::PortfolioConfig& config() const noexcept { return model_->config(); }
  // The configured asset model underlying u is priced off (u < model().size()).
  AssetId asset(std::size_t u) const noexcept { return assets_[u]; }
  // The model underlying priced off this asset's oracle, if any.
  std::optional<std::size_t> underlying_of(AssetId asset) const noexcept;
  // A portfolio sub-account may hold this asset: the quote or an underlying.
  bool holds(AssetId asset) const noexcept;
  // ... and trade this market: a derivative on an underlying, settled in the quote.
  bool trades(const market::Instrument& instrument) const noexcept;

  friend bool operator==(const PortfolioVenue& a, const PortfolioVenue& b) { return a.assets_ == b.assets_; }

 private:
  PortfolioVenue(std::shared_ptr<const portfolio::Model> model, std::vector<AssetId> assets, AssetId quote)
      : model_(std::move(model)), assets_(std::move(assets)), quote_(quote) {}

  // Immutable once made, so engines copied from one another share it.
  std::shared_ptr<const portfolio::Model> model_;
  std::vector<AssetId> assets_;  // per model underlying
  AssetId quote_;
};

// The matrix's position id for a balance of `asset` (derivative positions use their instrument
// id): above every instrument id, so balances sort after the positions.
inline constexpr std::uint64_t kPortfolioBalanceIdBase = std::uint64_t{1} << 63;

// The Black-76 vols of option marks, each inverted once for one decision: a caller that evaluates
// several books at the same prices and instant (a portfolio liquidation's slices, its
// liquidator, the keeper's bisection) keeps one and passes it to each evaluation. Inverting a mark
// is the largest share of an evaluation (docs/BENCHMARKS.md). Valid only while those prices and
// that instant hold; the caller owns it and drops it with the decision, so no state outlives an
// event. Keyed by the mark too, so that a mark that did change is inverted again, never misread.
class MarkVols {
 public:
  // The vol found for the option's mark, or nullopt.
  std::optional<double> find(InstrumentId option, Price mark) const;
  void add(InstrumentId option, Price mark, double vol);

 private:
  struct Entry {
    InstrumentId option;
    Price mark;
    double vol = 0;
  };
  // Where `option`'s entry is or would go.
  std::vector<Entry>::const_iterator slot(InstrumentId option) const;

  std::vector<Entry> entries_;  // by option id
};

// What the risk matrix reads for one sub-account: the market of every underlying and the
// positions (derivatives by instrument id, then coin balances).
struct PortfolioInputs {
  portfolio::MarketState market;
  std::vector<portfolio::Position> positions;
};

// Fills `out` for `book` (a portfolio sub-account; every price it needs is in `prices`, as the
// engine's price gate ensures). ok, portfolio_unsupported (an asset or market outside the
// venue's model), or portfolio_price_invalid (an option mark outside its bounds).
Status portfolio_inputs(const PortfolioVenue& venue, const margin::RiskConfig& risk, const margin::PriceBook& prices,
                        const margin::SubAccountBook& book, TimestampNs now_ns, PortfolioInputs& out,
                        MarkVols* vols = nullptr);

struct PortfolioFigures {
  Money equity;
  Money initial_requirement;
  Money maintenance_requirement;
  Money initial_health;      // equity − initial requirement
  Money maintenance_health;  // equity − maintenance requirement

  // As margin::MarginFigures: a positive requirement and negative maintenance health.
  bool liquidatable() const { return maintenance_requirement.raw() > 0 && maintenance_health.is_negative(); }
};

struct PortfolioOutcome {
  Status status = Status::ok;  // ok, portfolio_unsupported, portfolio_price_invalid, balance_overflow
  PortfolioFigures figures;
};

// The Black-76 delta of one contract of `option` at its mark, in units of the underlying: the vol
// its mark implies on the forward the portfolio market reads (portfolio_inputs: a marked future of
// that expiry, else the oracle), rate 0, times the contract size; the step at expiry or at a mark
// at or below intrinsic. nullopt without an oracle or a mark, or for a mark above its bound.
// What an option adds to an account's exposure to its underlying (the ADL ranking's hedge).
// With `vols`, the mark's vol is read from and added to it (the same vol portfolio_inputs reads).
std::optional<double> mark_delta(const margin::RiskConfig& risk, const margin::PriceBook& prices,
                                 const market::Instrument& option, TimestampNs now_ns, MarkVols* vols = nullptr);

// The sub-account's figures; `matrix` (built with venue.model()) is left holding the risk
// matrix for the report and the attribution. With `vols`, the option marks' vols are read from
// and added to it (MarkVols).
PortfolioOutcome evaluate_portfolio(const PortfolioVenue& venue, const margin::RiskConfig& risk,
                                    const margin::PriceBook& prices, const margin::SubAccountBook& book,
                                    TimestampNs now_ns, portfolio::RiskMatrix& matrix, MarkVols* vols = nullptr);
// The figures alone, in a matrix of its own (a caller that evaluates many books keeps one matrix
// and calls the form above).
PortfolioOutcome evaluate_portfolio(const PortfolioVenue& venue, const margin::RiskConfig& risk,
                                    const margin::PriceBook& prices, const margin::SubAccountBook& book,
                                    TimestampNs now_ns, MarkVols* vols = nullptr);

}  // namespace ballast
