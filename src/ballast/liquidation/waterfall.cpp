#include "ballast/liquidation/waterfall.hpp"

#include <algorithm>
#include <cstddef>

#include "ballast/core/assert.hpp"

namespace ballast::liquidation {
namespace {

// cap − used, at least 0: a use above its cap leaves no room.
Money room(Money cap, Money used) {
  // Both are ≥ 0 (checked by the caller), so the difference cannot overflow.
  return used >= cap ? Money{} : Money::from_raw(cap.raw() - used.raw());
}

// Σweight in 128 bits, or nullopt when a weight is negative.
std::optional<int128> total_weight(std::span<const Holder> holders) {
  int128 total = 0;
  for (const Holder& holder : holders) {
    if (holder.weight.is_negative()) {
      return std::nullopt;
    }
    total += holder.weight.raw();
  }
  return total;
}

SocializeStatus check_loss(Money loss, std::optional<int128> weight_total) {
  if (loss.is_negative()) {
    return SocializeStatus::loss_negative;
  }
  if (!weight_total) {
    return SocializeStatus::weight_negative;
  }
  return *weight_total == 0 && !loss.is_zero() ? SocializeStatus::no_weight : SocializeStatus::ok;
}

// The start both socialization methods share: out's status, and on ok a zero charge per holder.
// Returns Σweight (meaningful on ok).
template <typename Out>
int128 open_charges(Money loss, std::span<const Holder> holders, Out& out) {
  const std::optional<int128> weight_total = total_weight(holders);
  out.status = check_loss(loss, weight_total);
  if (out.status == SocializeStatus::ok) {
    out.charges.assign(holders.size(), Money{});
  }
  return weight_total.value_or(0);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Insurance fund

const char* waterfall_status_name(WaterfallStatus status) noexcept {
  switch (status) {
    case WaterfallStatus::ok: return "ok";
    case WaterfallStatus::shortfall_not_positive: return "shortfall_not_positive";
    case WaterfallStatus::input_negative: return "input_negative";
  }
  return "unknown";
}

WaterfallPlan plan_waterfall(Money shortfall, Money insurance_balance, const InsuranceCaps& caps,
                             const InsuranceUse& use) {
  if (shortfall.raw() <= 0) {
    return {.status = WaterfallStatus::shortfall_not_positive};
  }
  const bool any_negative = insurance_balance.is_negative() || caps.per_account_window.is_negative() ||
                            caps.per_event.is_negative() || caps.keep_minimum.is_negative() ||
                            use.used_by_account_in_window.is_negative() || use.used_in_event.is_negative();
  if (any_negative) {
    return {.status = WaterfallStatus::input_negative};
  }
  const Money balance_room = room(insurance_balance, caps.keep_minimum);
  const Money account_room = room(caps.per_account_window, use.used_by_account_in_window);
  const Money event_room = room(caps.per_event, use.used_in_event);
  const Money paid = std::min({shortfall, balance_room, account_room, event_room});

  WaterfallPlan plan{.from_insurance = paid, .remaining = Money::from_raw(shortfall.raw() - paid.raw())};
  if (paid < shortfall) {
    plan.limits = static_cast<std::uint8_t>((balance_room == paid ? insurance_limit_balance : 0) |
                                            (account_room == paid ? insurance_limit_account_cap : 0) |
                                            (event_room == paid ? insurance_limit_event_cap : 0));
  }
  return plan;
}

bool withdrawals_gated(std::optional<TimestampNs> last_bad_debt_ns, TimestampNs now_ns, std::int64_t gate_ns) {
  BALLAST_ASSERT(gate_ns >= 0);
  if (!last_bad_debt_ns) {
    return false;
  }
  // In 128 bits: a gate near the end of time must not wrap into the past.
  return static_cast<int128>(now_ns) < static_cast<int128>(*last_bad_debt_ns) + gate_ns;
}

// ---------------------------------------------------------------------------------------------
// Socialized loss

const char* socialize_status_name(SocializeStatus status) noexcept {
  switch (status) {
    case SocializeStatus::ok: return "ok";
    case SocializeStatus::loss_negative: return "loss_negative";
    case SocializeStatus::weight_negative: return "weight_negative";
    case SocializeStatus::no_weight: return "no_weight";
    case SocializeStatus::overflow: return "overflow";
  }
  return "unknown";
}

Socialization socialize_loss(Money loss, std::span<const Holder> holders) {
  Socialization out;
  const int128 weight_total = open_charges(loss, holders, out);
  if (out.status != SocializeStatus::ok || loss.is_zero()) {
    return out;
  }
  // loss × weight < 2^126: exact in 128 bits. The floors sum to at most the loss, so each fits.
  std::vector<int128> remainders(holders.size());
  int128 floored_total = 0;
  for (std::size_t i = 0; i < holders.size(); ++i) {
    const int128 exact = static_cast<int128>(loss.raw()) * holders[i].weight.raw();
    out.charges[i] = Money::from_raw(static_cast<std::int64_t>(exact / weight_total));
    remainders[i] = exact % weight_total;
    floored_total += exact / weight_total;
  }
  // Σ exact shares is the loss, and each floor drops less than one unit: fewer than n units are left.
  const auto left_over = static_cast<std::size_t>(loss.raw() - floored_total);
  BALLAST_ASSERT(left_over < holders.size());
  if (left_over == 0) {
    return out;
  }
  // The left-over units go to the largest remainders; a strict total order (remainder down, id up,
  // index up) makes the chosen set the same on every machine. nth_element finds it in linear time.
  std::vector<std::size_t> order(holders.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  const auto before = [&](std::size_t a, std::size_t b) {
    if (remainders[a] != remainders[b]) {
      return remainders[a] > remainders[b];
    }
    if (holders[a].id != holders[b].id) {
      return holders[a].id < holders[b].id;
    }
    return a < b;
  };
  std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(left_over - 1), order.end(), before);
  for (std::size_t k = 0; k < left_over; ++k) {
    out.charges[order[k]] = Money::from_raw(out.charges[order[k]].raw() + 1);
  }
  return out;
}

std::optional<Price> loss_per_base_unit(Money loss, Quantity total_base) {
  if (loss.is_negative() || total_base.raw() <= 0) {
    return std::nullopt;
  }
  return div<Price>(loss, total_base, Round::up);
}

PerUnitSocialization socialize_per_unit(Money loss, std::span<const Holder> holders) {
  PerUnitSocialization out;
  const int128 weight_total = open_charges(loss, holders, out);
  if (out.status != SocializeStatus::ok || loss.is_zero()) {
    return out;
  }
  const auto total_base = narrow_i64(weight_total);
  const auto per_unit = total_base ? loss_per_base_unit(loss, Quantity::from_raw(*total_base)) : std::nullopt;
  if (!per_unit) {
    return {.status = SocializeStatus::overflow};
  }
  out.per_unit = *per_unit;
  int128 collected = 0;
  for (std::size_t i = 0; i < holders.size(); ++i) {
    const auto charge = mul<Money>(holders[i].weight, *per_unit, Round::up);
    if (!charge) {
      return {.status = SocializeStatus::overflow};
    }
    out.charges[i] = *charge;
    collected += charge->raw();
  }
  // Σ⌈w_i·r⌉ ≥ r·Σw_i ≥ loss, since r ≥ loss/Σw: the surplus is never negative.
  const auto surplus = narrow_i64(collected - loss.raw());
  BALLAST_ASSERT(collected >= loss.raw());
  if (!surplus) {
    return {.status = SocializeStatus::overflow};
  }
  out.surplus = Money::from_raw(*surplus);
  return out;
}

}  // namespace ballast::liquidation
