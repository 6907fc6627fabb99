#include "ballast/engine/portfolio_liquidation.hpp"

#include <algorithm>

#include "ballast/engine/engine_parts.hpp"
#include "ballast/liquidation/auction.hpp"
#include "ballast/liquidation/sizing.hpp"

namespace ballast {
namespace {

using namespace detail;

// A share of `held` in millionths, toward zero; whole lots for a position (lot > 0), whole units
// for a balance (lot 1). The whole fraction takes all of it, lot or no lot.
std::int64_t share_of(std::int64_t held, std::int64_t lot, std::uint32_t fraction_ppm) {
  if (fraction_ppm == kFractionWhole) return held;
  const int128 share = static_cast<int128>(magnitude(held)) * fraction_ppm / kFractionWhole;
  const auto whole_lots = static_cast<std::int64_t>(share - share % lot);
  return held < 0 ? -whole_lots : whole_lots;
}

// The least fraction in [low, high] at which `holds` (false below some fraction, true from it
// on) holds, or high when it holds at none below high; nullopt when `holds` cannot be evaluated.
template <typename Holds>
std::optional<std::uint32_t> least_fraction(std::uint32_t low, std::uint32_t high, Holds holds) {
  while (low < high) {
    const std::uint32_t middle = low + (high - low) / 2;
    const std::optional<bool> at = holds(middle);
    if (!at) return std::nullopt;
    if (*at) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return high;
}

// One portfolio liquidation's arithmetic for one target, liquidator and discount: the slice a
// fraction takes, and the target's figures after it.
class Slicer {
 public:
  Slicer(const PortfolioLiquidationState& state, const LiquidatePortfolio& e)
      : state_(state),
        e_(e),
        target_(book_of(*state.ledger.find_sub_account(e.target), state.risk)),
        matrix_(state.venue.model()) {}

  const margin::SubAccountBook& target() const { return target_; }

  PortfolioOutcome evaluate(const margin::SubAccountBook& book) {
    return evaluate_portfolio(state_.venue, state_.risk, state_.prices.book, book, state_.now_ns, matrix_,
                              &state_.vols);
  }

  std::optional<PortfolioSlice> slice(std::uint32_t fraction_ppm) const {
    PortfolioSlice slice;
    for (const margin::HeldPosition& held : target_.positions) {
      if (!add_position(slice, held, fraction_ppm)) return std::nullopt;
    }
    slice.moves_from = slice.postings.size();
    for (const Balance& balance : target_.balances) {
      if (balance.asset != state_.risk.quote && !add_balance(slice, balance, fraction_ppm)) return std::nullopt;
    }
    return slice;
  }

  // The target's book after `slice`.
  margin::SubAccountBook target_after(const PortfolioSlice& slice) const {
    std::vector<margin::SubAccountBook> after{target_};
    apply_postings(after, slice.postings);
    for (std::size_t i = 0; i < slice.fills.size(); i += 2) {
      set_book_position(after.front(), slice.fills[i].instrument, slice.positions_after[i]);
    }
    return std::move(after.front());
  }

  // Whether `fraction_ppm` restores maintenance health >= buffer_ratio × requirement + the
  // rounding allowance (nullopt when it cannot be evaluated).
  std::optional<bool> restores(std::uint32_t fraction_ppm) {
    const std::optional<PortfolioSlice> taken = slice(fraction_ppm);
    if (!taken) return std::nullopt;
    const PortfolioOutcome after = evaluate(target_after(*taken));
    if (after.status != Status::ok) return std::nullopt;
    const PortfolioFigures& f = after.figures;
    const auto buffer = liquidation::maintenance_buffer(f.maintenance_requirement, state_.rules.buffer_ratio);
    const auto target = buffer ? checked_add(*buffer, state_.rules.sizing.rounding_allowance) : std::nullopt;
    if (!target) return std::nullopt;
    return f.maintenance_health >= *target;
  }

  // The gross value at the marks of what the target keeps beyond its quote after `fraction_ppm`
  // (rounded down, as the linear dust rule values a remainder). nullopt on overflow.
  std::optional<Money> remainder_gross(std::uint32_t fraction_ppm) const {
    Money total;
    for (const margin::HeldPosition& held : target_.positions) {
      const market::Instrument& instrument = state_.risk.find_market(held.instrument)->instrument;
      const std::int64_t size = held.position.size.raw();
      const std::int64_t kept = size - share_of(size, instrument.lot.raw(), fraction_ppm);
      const auto exposure = market::exposure_of(Quantity::from_raw(magnitude(kept)), instrument.contract_size);
      const auto value = exposure ? mul<Money>(*exposure, mark(held.instrument), Round::down) : std::nullopt;
      const auto next = value ? checked_add(total, *value) : std::nullopt;
      if (!next) return std::nullopt;
      total = *next;
    }
    for (const Balance& balance : target_.balances) {
      if (balance.asset == state_.risk.quote) continue;
      const std::int64_t kept = balance.amount.raw() - share_of(balance.amount.raw(), 1, fraction_ppm);
      const auto value = value_of_units(state_.risk, state_.prices, balance.asset, magnitude(kept), Round::down);
      const auto next = value ? checked_add(total, *value) : std::nullopt;
      if (!next) return std::nullopt;
      total = *next;
    }
    return total;
  }

 private:
  Price mark(InstrumentId instrument) const { return state_.prices.book.find_market(instrument)->mark; }

  // The position's share: the target's close and the liquidator's open at the mark less the
  // discount (a fill's rounding, toward the mark), the protocol's share of the discount as the
  // liquidator's fee.
  bool add_position(PortfolioSlice& slice, const margin::HeldPosition& held, std::uint32_t fraction_ppm) const {
    const margin::MarketRisk& market = *state_.risk.find_market(held.instrument);
    const std::int64_t moved = share_of(held.position.size.raw(), market.instrument.lot.raw(), fraction_ppm);
    if (moved == 0) return true;
    const Price at_mark = mark(held.instrument);
    const auto price = liquidation::discounted_price(Quantity::from_raw(moved), at_mark, e_.discount);
    const auto exposure = market::exposure_of(Quantity::from_raw(magnitude(moved)), market.instrument.contract_size);
    if (!price || !exposure) return false;
    const auto notional = mul<Money>(*exposure, at_mark, Round::up);
    const auto discount = mul<Money>(*exposure, Price::from_raw(magnitude(at_mark.raw() - price->raw())), Round::up);
    const auto fee = discount ? mul<Money>(*discount, state_.rules.auction.protocol_share, Round::up) : std::nullopt;
    const SubAccount& target = *state_.ledger.find_sub_account(e_.target);
    const Fill close{target.owner, target.id, held.instrument, Quantity::from_raw(-moved), *price, Money{}};
    const Fill open{e_.liquidator, e_.liquidator_sub_account, held.instrument, Quantity::from_raw(moved), *price,
                    fee ? *fee : Money{}};
    return notional && fee && add_fill(slice, market, close) && add_fill(slice, market, open) &&
           add_totals(slice, *notional, *discount);
  }

  bool add_fill(PortfolioSlice& slice, const margin::MarketRisk& market, const Fill& fill) const {
    const FillPlan plan = plan_fill(state_.ledger, state_.risk, state_.prices, market, fill, kInsuranceFund);
    if (!plan.ok) return false;
    slice.fills.push_back(fill);
    slice.positions_after.push_back(plan.position);
    slice.postings.insert(slice.postings.end(), plan.postings.begin(), plan.postings.end());
    return true;
  }

  // The balance's share at the oracle: the liquidator pays value × (1 ∓ discount) in the quote
  // (up for the target), and the protocol's share of the discount, up, to the insurance fund.
  bool add_balance(PortfolioSlice& slice, const Balance& balance, std::uint32_t fraction_ppm) const {
    const std::int64_t moved = share_of(balance.amount.raw(), 1, fraction_ppm);
    if (moved == 0) return true;
    const std::int64_t factor = moved > 0 ? Ratio::kScale - e_.discount.raw() : Ratio::kScale + e_.discount.raw();
    const auto value = value_of_units(state_.risk, state_.prices, balance.asset, moved, Round::up);
    const auto gross = value_of_units(state_.risk, state_.prices, balance.asset, magnitude(moved), Round::up);
    const auto paid = value ? mul<Money>(*value, Ratio::from_raw(factor), Round::up) : std::nullopt;
    const auto discount = gross ? mul<Money>(*gross, e_.discount, Round::up) : std::nullopt;
    const auto fee = discount ? mul<Money>(*discount, state_.rules.auction.protocol_share, Round::up) : std::nullopt;
    if (!paid || !gross || !discount || !fee) return false;
    const std::uint8_t quote_decimals = state_.risk.find_asset(state_.risk.quote)->decimals;
    const std::optional<std::int64_t> paid_units = to_units(*paid, quote_decimals, Round::up);
    const std::optional<std::int64_t> fee_units = to_units(*fee, quote_decimals, Round::up);
    if (!paid_units || !fee_units) return false;
    const AssetId quote = state_.risk.quote;
    return add_pair(slice.postings, e_.liquidator_sub_account, e_.target, balance.asset, moved) &&
           (*paid_units == 0 || add_pair(slice.postings, e_.target, e_.liquidator_sub_account, quote, paid_units)) &&
           (*fee_units == 0 || add_pair(slice.postings, kInsuranceSub, e_.liquidator_sub_account, quote, fee_units)) &&
           add_totals(slice, *gross, *discount);
  }

  static bool add_totals(PortfolioSlice& slice, Money gross, Money discount) {
    const auto next_gross = checked_add(slice.gross, gross);
    const auto next_discount = checked_add(slice.discount, discount);
    if (!next_gross || !next_discount) return false;
    slice.gross = *next_gross;
    slice.discount = *next_discount;
    return true;
  }

  const PortfolioLiquidationState& state_;
  const LiquidatePortfolio& e_;
  margin::SubAccountBook target_;
  portfolio::RiskMatrix matrix_;
};

// The rules' judgement of the target before any fraction: healthy, bankrupt, or the close
// factor's limit in millionths (whole in the full-close and backstop stages).
struct TargetStage {
  Status status = Status::ok;
  std::uint32_t close_factor_ppm = kFractionWhole;
};

TargetStage judge_target(Slicer& slicer, const LiquidationRules& rules) {
  const PortfolioOutcome now = slicer.evaluate(slicer.target());
  if (now.status != Status::ok) return {now.status, 0};
  const PortfolioFigures& f = now.figures;
  if (!f.liquidatable()) return {Status::account_healthy, 0};
  if (f.equity.is_negative()) return {Status::account_bankrupt, 0};
  TargetStage stage{Status::ok, kFractionWhole};
  const liquidation::Stage at = liquidation::classify({f.equity, f.maintenance_requirement}, rules.sizing.stages);
  if (at == liquidation::Stage::partial) {
    stage.close_factor_ppm = static_cast<std::uint32_t>(
        div_round(static_cast<int128>(rules.sizing.close_factor.raw()) * kFractionWhole, Ratio::kScale, Round::up));
  }
  return stage;
}

// The least fraction whose remainder is dust: worth less than the minimum leftover (whole when
// only nothing is; kFractionWhole + 1 when there is no dust rule). nullopt on overflow.
std::optional<std::uint32_t> dust_from(const Slicer& slicer, Money min_leftover) {
  if (min_leftover.raw() <= 0) return kFractionWhole + 1;
  return least_fraction(0, kFractionWhole, [&](std::uint32_t fraction_ppm) -> std::optional<bool> {
    const auto remainder = slicer.remainder_gross(fraction_ppm);
    if (!remainder) return std::nullopt;
    return *remainder < min_leftover;
  });
}

// Whether the dust rule lets the whole account go: what min(needed, close factor) would leave is
// dust, i.e. both reach the dust fraction x (needed >= x: x − 1 does not restore the target).
std::optional<bool> dust_takes_all(Slicer& slicer, const LiquidationRules& rules, std::uint32_t close_factor_ppm) {
  const auto dust = dust_from(slicer, rules.sizing.min_leftover_notional);
  if (!dust) return std::nullopt;
  if (*dust > close_factor_ppm) return false;
  if (*dust == 0) return true;
  const auto restores = slicer.restores(*dust - 1);
  if (!restores) return std::nullopt;
  return !*restores;
}

// Whether the need and the close factor allow `fraction_ppm`: within the close factor and no
// millionth less restores the target; or the whole account under the dust rule.
std::optional<bool> size_allowed(Slicer& slicer, const LiquidationRules& rules, std::uint32_t close_factor_ppm,
                                 std::uint32_t fraction_ppm) {
  if (fraction_ppm <= close_factor_ppm) {
    if (fraction_ppm == 1) return true;
    const auto less_restores = slicer.restores(fraction_ppm - 1);
    if (!less_restores) return std::nullopt;
    if (!*less_restores) return true;
  }
  if (fraction_ppm != kFractionWhole) return false;
  return dust_takes_all(slicer, rules, close_factor_ppm);
}

Money cap_now(const PortfolioLiquidationState& state) {
  return std::min(state.rules.event_cap_notional, account_cap_remaining(state.rules, state.episode, state.now_ns));
}

Ratio bonus_now(const PortfolioLiquidationState& state) {
  const TimestampNs start = state.episode ? state.episode->started_ns : state.now_ns;
  return liquidation::auction_bonus(state.rules.auction, start, state.now_ns).bonus;
}

// The target's figures after `slice`: nullopt when they cannot be evaluated.
std::optional<PortfolioFigures> figures_after(Slicer& slicer, const PortfolioSlice& slice) {
  const PortfolioOutcome after = slicer.evaluate(slicer.target_after(slice));
  if (after.status != Status::ok) return std::nullopt;
  return after.figures;
}

// `fraction_ppm` when its slice takes something; nullopt when every share rounds to nothing (the
// event would be fill_size_zero: below one lot of every position, no fraction is allowed).
std::optional<std::uint32_t> takes_something(const Slicer& slicer, std::uint32_t fraction_ppm) {
  const std::optional<PortfolioSlice> slice = slicer.slice(fraction_ppm);
  if (!slice || (slice->fills.empty() && slice->postings.empty())) return std::nullopt;
  return fraction_ppm;
}

constexpr auto* rejected = &rejected_plan<PortfolioLiquidationPlan>;

}  // namespace

PortfolioLiquidationPlan plan_portfolio_liquidation(const PortfolioLiquidationState& state,
                                                    const LiquidatePortfolio& e) {
  BALLAST_ASSERT(e.fraction_ppm > 0 && !e.discount.is_negative());
  Slicer slicer(state, e);
  const TargetStage stage = judge_target(slicer, state.rules);
  if (stage.status != Status::ok) return rejected(stage.status);
  if (e.fraction_ppm > kFractionWhole) return rejected(Status::liquidation_too_large);
  // No price at or past a 100% discount (and the slice's prices need it below).
  if (e.discount.raw() >= Ratio::kScale) return rejected(Status::liquidation_price_out_of_band);
  std::optional<PortfolioSlice> slice = slicer.slice(e.fraction_ppm);
  if (!slice) return rejected(Status::balance_overflow);
  if (slice->fills.empty() && slice->postings.empty()) return rejected(Status::fill_size_zero);
  const auto allowed = size_allowed(slicer, state.rules, stage.close_factor_ppm, e.fraction_ppm);
  if (!allowed) return rejected(Status::balance_overflow);
  if (!*allowed || slice->gross > cap_now(state)) return rejected(Status::liquidation_too_large);
  if (e.discount > bonus_now(state)) return rejected(Status::liquidation_price_out_of_band);
  const auto after = figures_after(slicer, *slice);
  if (!after) return rejected(Status::balance_overflow);
  if (after->equity.is_negative()) return rejected(Status::liquidation_price_out_of_band);
  PortfolioLiquidationPlan plan;
  plan.slice = std::move(*slice);
  plan.target_after = *after;
  return plan;
}

std::optional<std::uint32_t> portfolio_liquidation_allowance(const PortfolioLiquidationState& state,
                                                             const LiquidatePortfolio& e) {
  if (e.discount.is_negative() || e.discount > bonus_now(state)) return std::nullopt;
  Slicer slicer(state, e);
  const TargetStage stage = judge_target(slicer, state.rules);
  if (stage.status != Status::ok) return std::nullopt;
  // The least fraction that restores the target (whole when none does): restores(0) is false,
  // the group being liquidatable, and restores is monotone in the fraction (the header's proof).
  const auto needed =
      least_fraction(1, kFractionWhole, [&](std::uint32_t fraction_ppm) { return slicer.restores(fraction_ppm); });
  if (!needed) return std::nullopt;
  // Within the caps and the bankruptcy bound (both monotone: the slice only grows with the
  // fraction).
  const Money cap = cap_now(state);
  const auto fits = [&](std::uint32_t fraction_ppm) -> std::optional<bool> {
    const std::optional<PortfolioSlice> slice = slicer.slice(fraction_ppm);
    if (!slice) return std::nullopt;
    if (slice->gross > cap) return false;
    const auto after = figures_after(slicer, *slice);
    if (!after) return std::nullopt;
    return !after->equity.is_negative();
  };
  const std::uint32_t allowed = std::min(*needed, stage.close_factor_ppm);
  if (allowed < kFractionWhole) {
    const auto dust = dust_takes_all(slicer, state.rules, stage.close_factor_ppm);
    if (!dust) return std::nullopt;
    if (*dust) {
      const auto whole_fits = fits(kFractionWhole);
      if (!whole_fits) return std::nullopt;
      if (*whole_fits) return kFractionWhole;
    }
  }
  const auto allowed_fits = fits(allowed);
  if (!allowed_fits) return std::nullopt;
  if (*allowed_fits) return takes_something(slicer, allowed);
  // The largest fraction below `allowed` that fits (any fraction under the need is allowed): one
  // less than the least that does not.
  const auto unfit = least_fraction(1, allowed, [&](std::uint32_t fraction_ppm) -> std::optional<bool> {
    const auto ok = fits(fraction_ppm);
    if (!ok) return std::nullopt;
    return !*ok;
  });
  if (!unfit || *unfit == 1) return std::nullopt;
  return takes_something(slicer, *unfit - 1);
}

}  // namespace ballast
