// Properties of size_liquidation on a model account: a quote balance and one perpetual position
// valued at the mark (down), with a maintenance requirement of |size| × mark × fraction (up), the
// way margin::evaluate rounds them. The position is closed at a price inside the band (a bonus no
// larger than the band's discount, which is below the maintenance fraction) and the proceeds are
// booked as a fill (the account receives the floor, pays the ceiling).
// - a healthy account is never liquidated (nothing is closed);
// - a close never lowers maintenance health by more than the 3 micro-units the account's own
//   rounding can take (value, credit, requirement: under 1 µ each);
// - when nothing limited the size (no cap, no close factor, the position sufficed), health after
//   the close is at least the buffer.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>

#include "ballast/liquidation/auction.hpp"
#include "ballast/liquidation/sizing.hpp"

namespace ballast::liquidation {
namespace {

struct ModelAccount {
  Money balance;
  Quantity size;
  Price mark;
  Ratio maintenance_fraction;

  Money equity() const { return *checked_add(balance, *notional(size, mark, Round::down)); }
  Money requirement() const {
    const Quantity magnitude = Quantity::from_raw(size.raw() < 0 ? -size.raw() : size.raw());
    return *mul<Money>(*notional(magnitude, mark, Round::up), maintenance_fraction, Round::up);
  }
  GroupHealth group() const { return {equity(), requirement()}; }
  Money health() const { return group().health(); }

  // Closes `amount` (unsigned) at `price` against the liquidator.
  ModelAccount closed(Quantity amount, Price price) const {
    ModelAccount after = *this;
    const bool is_long = size.raw() > 0;
    const Money proceeds = *notional(amount, price, is_long ? Round::down : Round::up);
    after.balance = is_long ? *checked_add(balance, proceeds) : *checked_sub(balance, proceeds);
    after.size = Quantity::from_raw(is_long ? size.raw() - amount.raw() : size.raw() + amount.raw());
    return after;
  }
};

RC_GTEST_PROP(SizingProperties, RestoresHealthAndNeverHarms, ()) {
  // Half the cases on round figures (whole dollars, whole percents), where nothing rounds but the
  // account itself, so the rounding allowance is what keeps the target.
  const bool round_figures = *rc::gen::arbitrary<bool>();
  const std::int64_t mark_raw = *rc::gen::inRange<std::int64_t>(1'000'000'000, 100'000'000'000'000);
  const auto mark = Price::from_raw(round_figures ? mark_raw / 1'000'000'000 * 1'000'000'000 : mark_raw);
  const std::int64_t lot_raw = *rc::gen::element<std::int64_t>(1, 1'000, 1'000'000, 1'000'000'000);
  const std::int64_t lots = *rc::gen::inRange<std::int64_t>(1, 10'000);
  const bool is_long = *rc::gen::arbitrary<bool>();
  const Quantity size = Quantity::from_raw((is_long ? 1 : -1) * lots * lot_raw);
  const std::int64_t fraction_raw = *rc::gen::inRange<std::int64_t>(10'000'000'000, 200'000'000'000);  // 1-20%
  const Ratio fraction = Ratio::from_raw(round_figures ? fraction_raw / 10'000'000'000 * 10'000'000'000 : fraction_raw);
  const Ratio max_discount = Ratio::from_raw(*rc::gen::inRange<std::int64_t>(0, fraction.raw()));
  const std::int64_t bonus_raw = *rc::gen::inRange<std::int64_t>(0, max_discount.raw() + 1);
  const Ratio bonus = Ratio::from_raw(round_figures ? bonus_raw / 10'000'000'000 * 10'000'000'000 : bonus_raw);

  ModelAccount account{Money{}, size, mark, fraction};
  const Money requirement = account.requirement();
  // Health from −requirement (collateral 0) to +requirement/4.
  const std::int64_t health = *rc::gen::inRange<std::int64_t>(-requirement.raw(), requirement.raw() / 4 + 1);
  account.balance = Money::from_raw(health + requirement.raw() - account.equity().raw());
  RC_ASSERT(account.health() == Money::from_raw(health));

  const Price liquidation = *discounted_price(size, mark, bonus);
  const BandOutcome band = liquidation_price_band(size, mark, max_discount, std::nullopt);
  RC_ASSERT(band.status == BandStatus::ok && price_in_band(band.band, liquidation));

  const SizingParams params{.close_factor = Ratio::from_raw(*rc::gen::inRange<std::int64_t>(1, Ratio::kScale + 1)),
                            .stages = {.full_close_below = Ratio::from_raw(900'000'000'000),
                                       .backstop_below = Ratio::from_raw(500'000'000'000)},
                            .min_leftover_notional = Money::from_raw(*rc::gen::inRange<std::int64_t>(0, 2'000'000'000))};
  const bool uncapped = *rc::gen::arbitrary<bool>();
  const Money cap = uncapped ? Money::from_raw(INT64_MAX) : Money::from_raw(*rc::gen::inRange<std::int64_t>(0, requirement.raw() * 20 + 1));
  const SizingRequest request{
      .group = account.group(),
      .buffer = *maintenance_buffer(requirement, Ratio::from_raw(20'000'000'000)),  // 2%
      .position_size = size,
      .lot = Quantity::from_raw(lot_raw),
      .mark = mark,
      // What closing one unit releases (rounded down) and costs at the liquidation price (exact).
      .release_per_unit = *mul<Price>(mark, fraction, Round::down),
      .cost_per_unit = Price::from_raw(is_long ? mark.raw() - liquidation.raw() : liquidation.raw() - mark.raw()),
      .account_cap_remaining = cap,
      .event_cap_remaining = Money::from_raw(INT64_MAX)};
  const Sizing sizing = size_liquidation(params, request);

  if (health >= 0) {
    RC_ASSERT(sizing.status == SizingStatus::not_liquidatable);
    RC_ASSERT(sizing.close.is_zero());
    return;
  }
  RC_ASSERT(sizing.status == SizingStatus::ok);
  RC_ASSERT(sizing.close.raw() <= lots * lot_raw);
  const ModelAccount after = account.closed(sizing.close, liquidation);
  RC_ASSERT(after.health().raw() >= health - 2);
  const bool limited = (sizing.limits & (limit_position | limit_close_factor | limit_account_cap | limit_event_cap)) != 0;
  RC_TAG(limited ? "limited" : "restores");
  if (!limited) {
    RC_ASSERT(after.health() >= request.buffer);
  }
}

}  // namespace
}  // namespace ballast::liquidation
