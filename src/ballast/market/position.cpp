#include "ballast/market/position.hpp"

namespace ballast::market {
namespace {

bool opposite_signs(Quantity a, Quantity b) { return (a.raw() < 0) != (b.raw() < 0); }

int128 magnitude(Quantity q) { return q.raw() < 0 ? -static_cast<int128>(q.raw()) : q.raw(); }

// The share of the basis a partial close of `closed` out of `open` releases, toward +∞ so that
// the PnL realized now rounds down; |closed| < |open|, so it fits whenever the basis does.
Money released_basis(Money basis, Quantity closed, Quantity open) {
  const int128 numerator = static_cast<int128>(basis.raw()) * magnitude(closed);
  return Money::from_raw(static_cast<std::int64_t>(div_round(numerator, magnitude(open), Round::up)));
}

struct Leg {
  Quantity size;
  Money basis;
  Money realized;
};

// Same side (or from flat): the whole fill value joins the basis.
std::optional<Leg> increase(const Position& p, Quantity size, Money value) {
  const auto new_size = checked_add(p.size, size);
  const auto new_basis = checked_add(p.cost_basis, value);
  if (!new_size || !new_basis) return std::nullopt;
  return Leg{*new_size, *new_basis, Money{}};
}

// Opposite side, |size| <= |open|: realized = cash received − basis released.
std::optional<Leg> reduce(const Position& p, Quantity size, Money value) {
  const bool closes = magnitude(size) == magnitude(p.size);
  const Money released = closes ? p.cost_basis : released_basis(p.cost_basis, size, p.size);
  const auto cash_in = checked_neg(value);
  if (!cash_in) return std::nullopt;
  const auto realized = checked_sub(*cash_in, released);
  if (!realized) return std::nullopt;
  return Leg{Quantity::from_raw(p.size.raw() + size.raw()),
             Money::from_raw(p.cost_basis.raw() - released.raw()), *realized};
}

// Through zero: the closing part is valued on its own (toward +∞, as any fill) and realizes
// against the whole basis; the rest of the fill's single value opens the new side, so the fill
// books exactly one rounded value, the one its counterparty sees.
std::optional<Leg> flip(const Position& p, Quantity size, Price price, Quantity contract_size,
                        Money value) {
  const auto closing_size = checked_neg(p.size);
  if (!closing_size) return std::nullopt;
  const auto closing_value = fill_value(*closing_size, price, contract_size);
  if (!closing_value) return std::nullopt;
  const auto closed = reduce(p, *closing_size, *closing_value);
  const auto opened_basis = checked_sub(value, *closing_value);
  const auto new_size = checked_add(p.size, size);
  if (!closed || !opened_basis || !new_size) return std::nullopt;
  return Leg{*new_size, *opened_basis, closed->realized};
}

std::optional<Leg> trade(const Position& p, const Fill& fill, Quantity contract_size, Money value) {
  if (p.size.is_zero() || !opposite_signs(p.size, fill.size)) {
    return increase(p, fill.size, value);
  }
  if (magnitude(fill.size) <= magnitude(p.size)) {
    return reduce(p, fill.size, value);
  }
  return flip(p, fill.size, fill.price, contract_size, value);
}

}  // namespace

std::optional<Money> fill_value(Quantity size, Price price, Quantity contract_size) {
  const auto exposure = exposure_of(size, contract_size);
  return exposure ? notional(*exposure, price, Round::up) : std::nullopt;
}

std::optional<Money> fill_residual(Quantity size, Price price, Quantity contract_size) {
  const auto sold = checked_neg(size);
  if (!sold) return std::nullopt;
  const auto buyer_pays = fill_value(size, price, contract_size);
  const auto seller_receives = fill_value(*sold, price, contract_size);  // negated floor
  if (!buyer_pays || !seller_receives) return std::nullopt;
  return checked_add(*buyer_pays, *seller_receives);
}

std::optional<Money> funding_payment(const Position& position, FundingIndex index_now) {
  const auto moved = checked_sub(index_now, position.funding_snapshot);
  return moved ? mul<Money>(position.size, *moved, Round::up) : std::nullopt;
}

std::optional<PositionChange> apply_fill(const Position& position, const Fill& fill,
                                         Quantity contract_size, FundingIndex index_now) {
  BALLAST_ASSERT(!fill.size.is_zero());
  const auto owed = funding_payment(position, index_now);
  const auto value = fill_value(fill.size, fill.price, contract_size);
  if (!owed || !value) return std::nullopt;
  const auto leg = trade(position, fill, contract_size, *value);
  if (!leg) return std::nullopt;
  const auto realized_total = checked_add(position.realized_pnl, leg->realized);
  if (!realized_total) return std::nullopt;
  // A flat position keeps no basis: every unit of it has been realized.
  BALLAST_ASSERT(!leg->size.is_zero() || leg->basis.is_zero());
  return PositionChange{Position{leg->size, leg->basis, *realized_total, index_now},
                        leg->realized, *value, *owed};
}

std::optional<Money> position_value(const Position& position, Price mark, Quantity contract_size) {
  const auto exposure = exposure_of(position.size, contract_size);
  return exposure ? notional(*exposure, mark, Round::down) : std::nullopt;
}

std::optional<Money> unrealized_pnl(const Position& position, Price mark, Quantity contract_size) {
  const auto value = position_value(position, mark, contract_size);
  return value ? checked_sub(*value, position.cost_basis) : std::nullopt;
}

std::optional<Price> average_entry(const Position& position, Quantity contract_size) {
  if (position.size.is_zero()) return std::nullopt;
  const auto exposure = exposure_of(position.size, contract_size);
  if (!exposure) return std::nullopt;
  const Round round = position.size.is_negative() ? Round::down : Round::up;
  return div<Price>(position.cost_basis, *exposure, round);
}

}  // namespace ballast::market
