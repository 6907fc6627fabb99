#include "ballast/engine/portfolio_margin.hpp"

#include <algorithm>
#include <string>

#include "ballast/pricing/black.hpp"
#include "ballast/pricing/implied_vol.hpp"

namespace ballast {
namespace {

constexpr double kNsPerYear = 365.0 * 86'400.0 * 1e9;  // ACT/365

// Units of an asset as a double: a balance's raw count over 10^decimals.
double units(Amount amount, std::uint8_t decimals) {
  return static_cast<double>(amount.raw()) / static_cast<double>(pow10_i64(decimals));
}

// What a sub-account touches per underlying: whether it holds anything on it, and the expiry
// instants of its dated positions, ascending. Instants already past (expired, not yet settled)
// are one entry at the event's time: years 0, the options at intrinsic.
struct ExpiryTable {
  TimestampNs now_ns = 0;
  std::vector<bool> touched;                       // per underlying
  std::vector<std::vector<TimestampNs>> instants;  // per underlying

  TimestampNs key(TimestampNs expiry_ns) const { return std::max(expiry_ns, now_ns); }
  void add(std::size_t u, TimestampNs expiry_ns) {
    auto& list = instants[u];
    const auto at = std::lower_bound(list.begin(), list.end(), key(expiry_ns));
    if (at == list.end() || *at != key(expiry_ns)) list.insert(at, key(expiry_ns));
  }
  std::uint32_t index(std::size_t u, TimestampNs expiry_ns) const {
    const auto& list = instants[u];
    return static_cast<std::uint32_t>(std::lower_bound(list.begin(), list.end(), key(expiry_ns)) - list.begin());
  }
};

// The forward of an expiry: the mark of a configured future on the same underlying and instant,
// when one is marked (the first by instrument id), else the spot.
double forward_of(const margin::RiskConfig& risk, const margin::PriceBook& prices, AssetId underlying,
                  TimestampNs expiry_ns, double spot) {
  for (const margin::MarketRisk& market : risk.markets) {
    const market::Instrument& instrument = market.instrument;
    if (instrument.kind != market::InstrumentKind::future || instrument.underlying != underlying ||
        instrument.expiry_ns != expiry_ns) {
      continue;
    }
    const margin::MarketPrice* price = prices.find_market(instrument.id);
    if (price != nullptr && price->mark.raw() > 0) return price->mark.to_double();
  }
  return spot;
}

// The Black-76 vol of an option's mark: 0 at expiry or at or below intrinsic; nullopt above the
// no-arbitrage bound (the forward for a call, the strike for a put).
std::optional<double> mark_vol(const market::Instrument& option, double mark, double forward, double years) {
  const double strike = option.strike.to_double();
  const double intrinsic =
      option.option_kind == pricing::OptionKind::call ? std::max(forward - strike, 0.0) : std::max(strike - forward, 0.0);
  if (years <= 0 || mark <= intrinsic) return 0.0;
  const auto vol = pricing::implied_vol_black76(option.option_kind, mark, forward, strike, years, 1.0);
  if (!vol) return std::nullopt;
  return *vol;
}

// The option's vol on `forward` with `years` to expiry: the memo's when it has the mark's, else
// inverted (and kept there).
std::optional<double> option_vol(const market::Instrument& option, Price mark, double forward, double years,
                                 MarkVols* vols) {
  if (vols != nullptr) {
    if (const auto known = vols->find(option.id, mark)) return known;
  }
  const auto vol = mark_vol(option, mark.to_double(), forward, years);
  if (vol && vols != nullptr) vols->add(option.id, mark, *vol);
  return vol;
}

Status market_state(const PortfolioVenue& venue, const margin::RiskConfig& risk, const margin::PriceBook& prices,
                    const ExpiryTable& table, TimestampNs now_ns, portfolio::MarketState& out) {
  out.underlyings.assign(venue.model().size(), {});
  for (std::size_t u = 0; u < out.underlyings.size(); ++u) {
    const margin::AssetPrice* price = prices.find_asset(venue.asset(u));
    if (price == nullptr && table.touched[u]) return Status::price_missing;
    // An underlying the sub-account does not touch has no position to price: any spot serves.
    const double spot = price != nullptr ? price->oracle.to_double() : 1.0;
    portfolio::UnderlyingMarket& market = out.underlyings[u];
    market.spot = spot;
    for (const TimestampNs expiry_ns : table.instants[u]) {
      const double years = static_cast<double>(expiry_ns - now_ns) / kNsPerYear;
      market.expiries.push_back({years, forward_of(risk, prices, venue.asset(u), expiry_ns, spot), 0.0});
    }
  }
  return Status::ok;
}

}  // namespace

std::vector<MarkVols::Entry>::const_iterator MarkVols::slot(InstrumentId option) const {
  return std::lower_bound(entries_.begin(), entries_.end(), option,
                          [](const Entry& entry, InstrumentId id) { return entry.option < id; });
}

std::optional<double> MarkVols::find(InstrumentId option, Price mark) const {
  const auto at = slot(option);
  if (at == entries_.end() || at->option != option || at->mark != mark) return std::nullopt;
  return at->vol;
}

void MarkVols::add(InstrumentId option, Price mark, double vol) {
  const auto at = entries_.begin() + (slot(option) - entries_.cbegin());
  if (at != entries_.end() && at->option == option) {
    *at = Entry{option, mark, vol};
  } else {
    entries_.insert(at, Entry{option, mark, vol});
  }
}

std::optional<double> mark_delta(const margin::RiskConfig& risk, const margin::PriceBook& prices,
                                 const market::Instrument& option, TimestampNs now_ns, MarkVols* vols) {
  BALLAST_ASSERT(option.kind == market::InstrumentKind::option);
  const margin::AssetPrice* spot = prices.find_asset(option.underlying);
  const margin::MarketPrice* mark = prices.find_market(option.id);
  if (spot == nullptr || mark == nullptr) return std::nullopt;
  const double forward = forward_of(risk, prices, option.underlying, option.expiry_ns, spot->oracle.to_double());
  const double years = static_cast<double>(std::max<TimestampNs>(option.expiry_ns - now_ns, 0)) / kNsPerYear;
  const auto vol = option_vol(option, mark->mark, forward, years, vols);
  if (!vol) return std::nullopt;
  const auto greeks =
      pricing::price_black76({option.option_kind, forward, option.strike.to_double(), years, 1.0, *vol});
  if (!greeks.ok()) return std::nullopt;
  return greeks->delta * option.contract_size.to_double();
}

Status status_of(margin::MarginStatus status) {
  switch (status) {
    case margin::MarginStatus::ok: return Status::ok;
    case margin::MarginStatus::asset_unknown: return Status::asset_unknown;
    case margin::MarginStatus::instrument_unknown: return Status::instrument_unknown;
    case margin::MarginStatus::price_missing: return Status::price_missing;
    case margin::MarginStatus::overflow: break;
  }
  return Status::balance_overflow;  // a margin figure beyond the fixed-point range
}

Result<PortfolioVenue> PortfolioVenue::make(portfolio::PortfolioConfig config, const margin::RiskConfig& risk) {
  std::vector<AssetId> assets;
  for (std::size_t u = 0; u < config.underlyings.size(); ++u) {
    const std::string& symbol = config.underlyings[u].symbol;
    const auto found = std::find_if(risk.assets.begin(), risk.assets.end(),
                                    [&](const margin::AssetRisk& asset) { return asset.symbol == symbol; });
    const std::string where = "portfolio underlying[" + std::to_string(u) + "] (" + symbol + "): ";
    if (found == risk.assets.end()) {
      return make_error(ErrorCode::invalid_input, where + "no asset of the risk configuration has this symbol");
    }
    if (found->id == risk.quote) return make_error(ErrorCode::invalid_input, where + "is the quote asset");
    assets.push_back(found->id);
  }
  auto model = portfolio::Model::make(std::move(config));
  if (!model) return make_error(ErrorCode::invalid_input, "portfolio model: " + model.error().message);
  return PortfolioVenue(std::make_shared<const portfolio::Model>(std::move(*model)), std::move(assets), risk.quote);
}

std::optional<std::size_t> PortfolioVenue::underlying_of(AssetId asset) const noexcept {
  const auto found = std::find(assets_.begin(), assets_.end(), asset);
  if (found == assets_.end()) return std::nullopt;
  return static_cast<std::size_t>(found - assets_.begin());
}

bool PortfolioVenue::holds(AssetId asset) const noexcept { return asset == quote_ || underlying_of(asset).has_value(); }

bool PortfolioVenue::trades(const market::Instrument& instrument) const noexcept {
  return instrument.settle == quote_ && underlying_of(instrument.underlying).has_value();
}

Status portfolio_inputs(const PortfolioVenue& venue, const margin::RiskConfig& risk, const margin::PriceBook& prices,
                        const margin::SubAccountBook& book, TimestampNs now_ns, PortfolioInputs& out,
                        MarkVols* vols) {
  out.positions.clear();
  ExpiryTable table{now_ns, std::vector<bool>(venue.model().size(), false), {}};
  table.instants.resize(venue.model().size());
  for (const margin::HeldPosition& held : book.positions) {
    const margin::MarketRisk* market = risk.find_market(held.instrument);
    if (market == nullptr || !venue.trades(market->instrument)) return Status::portfolio_unsupported;
    const market::Instrument& instrument = market->instrument;
    const std::size_t u = *venue.underlying_of(instrument.underlying);
    table.touched[u] = true;
    if (instrument.has_expiry()) table.add(u, instrument.expiry_ns);
  }
  for (const Balance& balance : book.balances) {
    if (!venue.holds(balance.asset)) return Status::portfolio_unsupported;
    if (const auto u = venue.underlying_of(balance.asset)) table.touched[*u] = true;
  }
  if (const Status s = market_state(venue, risk, prices, table, now_ns, out.market); s != Status::ok) return s;

  for (const margin::HeldPosition& held : book.positions) {
    const market::Instrument& instrument = risk.find_market(held.instrument)->instrument;
    const margin::MarketPrice* price = prices.find_market(instrument.id);
    if (price == nullptr) return Status::price_missing;
    const std::size_t u = *venue.underlying_of(instrument.underlying);
    portfolio::Position position;
    position.id = instrument.id.value;
    position.underlying = static_cast<std::uint32_t>(u);
    position.size = held.position.size.to_double() * instrument.contract_size.to_double();
    position.price = price->mark.to_double();
    switch (instrument.kind) {
      case market::InstrumentKind::option: {
        position.product = portfolio::Product::option;
        position.kind = instrument.option_kind;
        position.strike = instrument.strike.to_double();
        position.expiry = table.index(u, instrument.expiry_ns);
        const portfolio::ExpiryMarket& expiry = out.market.underlyings[u].expiries[position.expiry];
        const auto vol = option_vol(instrument, price->mark, expiry.forward, expiry.years, vols);
        if (!vol) return Status::portfolio_price_invalid;
        position.vol = *vol;
        break;
      }
      case market::InstrumentKind::future:
        position.product = portfolio::Product::future;
        position.expiry = table.index(u, instrument.expiry_ns);
        break;
      case market::InstrumentKind::perpetual: position.product = portfolio::Product::perpetual; break;
      case market::InstrumentKind::spot: return Status::portfolio_unsupported;  // spot trades are balances
    }
    position.liquidity = venue.model().underlying(position.underlying).liquidity;
    out.positions.push_back(position);
  }
  for (const Balance& balance : book.balances) {
    const auto u = venue.underlying_of(balance.asset);
    if (!u) continue;  // the quote: cash, no scenario P&L
    const margin::AssetRisk& asset = *risk.find_asset(balance.asset);
    portfolio::Position position;
    position.id = kPortfolioBalanceIdBase | balance.asset.value;
    position.underlying = static_cast<std::uint32_t>(*u);
    position.product = portfolio::Product::spot;
    position.size = units(balance.amount, asset.decimals);
    position.price = out.market.underlyings[*u].spot;
    position.liquidity = venue.model().underlying(position.underlying).liquidity;
    out.positions.push_back(position);
  }
  return Status::ok;
}

PortfolioOutcome evaluate_portfolio(const PortfolioVenue& venue, const margin::RiskConfig& risk,
                                    const margin::PriceBook& prices, const margin::SubAccountBook& book,
                                    TimestampNs now_ns, portfolio::RiskMatrix& matrix, MarkVols* vols) {
  PortfolioOutcome outcome;
  PortfolioInputs inputs;
  outcome.status = portfolio_inputs(venue, risk, prices, book, now_ns, inputs, vols);
  if (outcome.status != Status::ok) return outcome;
  // Equity is the cross calculator's, exact in Money: one sub-account alone.
  const margin::MarginOutcome linear = margin::evaluate(risk, prices, std::span(&book, 1));
  outcome.status = status_of(linear.status);
  if (outcome.status != Status::ok) return outcome;
  switch (matrix.build(inputs.market, inputs.positions)) {
    case portfolio::PmStatus::ok: break;
    case portfolio::PmStatus::overflow: outcome.status = Status::balance_overflow; return outcome;
    default: outcome.status = Status::portfolio_price_invalid; return outcome;
  }
  const portfolio::MarginReport& report = matrix.report();
  PortfolioFigures& f = outcome.figures;
  f.equity = linear.margin.equity;
  f.initial_requirement = report.initial;
  f.maintenance_requirement = report.maintenance;
  const auto initial = checked_sub(f.equity, f.initial_requirement);
  const auto maintenance = checked_sub(f.equity, f.maintenance_requirement);
  if (!initial || !maintenance) {
    outcome.status = Status::balance_overflow;
    return outcome;
  }
  f.initial_health = *initial;
  f.maintenance_health = *maintenance;
  return outcome;
}

PortfolioOutcome evaluate_portfolio(const PortfolioVenue& venue, const margin::RiskConfig& risk,
                                    const margin::PriceBook& prices, const margin::SubAccountBook& book,
                                    TimestampNs now_ns, MarkVols* vols) {
  portfolio::RiskMatrix matrix(venue.model());
  return evaluate_portfolio(venue, risk, prices, book, now_ns, matrix, vols);
}

}  // namespace ballast
