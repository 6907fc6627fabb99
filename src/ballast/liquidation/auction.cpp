#include "ballast/liquidation/auction.hpp"

#include <algorithm>

#include "ballast/core/assert.hpp"

namespace ballast::liquidation {
namespace {

constexpr Ratio kOne = Ratio::from_raw(Ratio::kScale);

}  // namespace

const char* auction_status_name(AuctionStatus status) noexcept {
  switch (status) {
    case AuctionStatus::ok: return "ok";
    case AuctionStatus::bonus_negative: return "bonus_negative";
    case AuctionStatus::bonus_order: return "bonus_order";
    case AuctionStatus::bonus_too_large: return "bonus_too_large";
    case AuctionStatus::duration_invalid: return "duration_invalid";
    case AuctionStatus::share_out_of_range: return "share_out_of_range";
    case AuctionStatus::before_start: return "before_start";
  }
  return "unknown";
}

AuctionStatus validate(const AuctionParams& params) {
  if (params.min_bonus.is_negative()) {
    return AuctionStatus::bonus_negative;
  }
  if (params.max_bonus < params.min_bonus) {
    return AuctionStatus::bonus_order;
  }
  if (params.max_bonus >= kOne) {
    return AuctionStatus::bonus_too_large;
  }
  if (params.duration_ns <= 0) {
    return AuctionStatus::duration_invalid;
  }
  if (params.protocol_share.is_negative() || params.protocol_share > kOne) {
    return AuctionStatus::share_out_of_range;
  }
  return AuctionStatus::ok;
}

AuctionQuote auction_bonus(const AuctionParams& params, TimestampNs start_ns, TimestampNs now_ns) {
  AuctionQuote quote;
  quote.status = validate(params);
  if (quote.status == AuctionStatus::ok && now_ns < start_ns) {
    quote.status = AuctionStatus::before_start;
  }
  if (quote.status != AuctionStatus::ok) {
    return quote;
  }
  // now − start cannot overflow in 128 bits; the elapsed time saturates at the duration.
  const int128 elapsed = std::min<int128>(static_cast<int128>(now_ns) - start_ns, params.duration_ns);
  const int128 span = static_cast<int128>(params.max_bonus.raw()) - params.min_bonus.raw();  // < 10^12
  const int128 rise = div_round(span * elapsed, params.duration_ns, Round::down);
  quote.bonus = Ratio::from_raw(params.min_bonus.raw() + static_cast<std::int64_t>(rise));
  // bonus < 1 and share ≤ 1: the product fits.
  quote.protocol_fee = *mul<Ratio>(quote.bonus, params.protocol_share, Round::up);
  quote.liquidator_bonus = Ratio::from_raw(quote.bonus.raw() - quote.protocol_fee.raw());
  return quote;
}

std::optional<BonusSplit> split_bonus(Money closed_notional, const AuctionQuote& quote, Ratio protocol_share) {
  BALLAST_ASSERT(quote.status == AuctionStatus::ok && !closed_notional.is_negative());
  BALLAST_ASSERT(!protocol_share.is_negative() && protocol_share <= kOne);
  const auto total = mul<Money>(closed_notional, quote.bonus, Round::up);
  const auto protocol = total ? mul<Money>(*total, protocol_share, Round::up) : std::nullopt;
  if (!protocol) {
    return std::nullopt;
  }
  return BonusSplit{*total, *protocol, Money::from_raw(total->raw() - protocol->raw())};
}

}  // namespace ballast::liquidation
