#pragma once
// The liquidator's incentive as a Dutch auction (issue 6, item 3): the bonus starts at min_bonus
// when the account's liquidation begins and rises linearly with the injected clock to max_bonus
// after `duration_ns`, then stays there. A low opening bonus keeps the account's loss small when
// liquidators are quick; the rise guarantees that some bonus eventually pays for slippage when
// they are not (Maker's Black Thursday: auctions that depend on bidder liveness clear at 0).
// A protocol share of the bonus goes to the insurance fund.
//
// Rounding: the bonus is a payout to the liquidator, rounded down; the protocol's share of it
// and of a bonus amount rounds up (a charge); the liquidator keeps the exact complement, so the
// parts always sum to the whole.

#include <cstdint>

#include "ballast/core/fixed.hpp"
#include "ballast/core/ids.hpp"

namespace ballast::liquidation {

struct AuctionParams {
  Ratio min_bonus;            // ≥ 0: the bonus at the start, a fraction of the closed notional
  Ratio max_bonus;            // ≥ min_bonus, < 1: the bonus from start + duration on
  std::int64_t duration_ns = 0;  // > 0
  Ratio protocol_share;       // [0, 1]: the protocol's share of the bonus

  friend bool operator==(const AuctionParams&, const AuctionParams&) = default;
};

enum class AuctionStatus : std::uint8_t {
  ok,
  bonus_negative,       // min_bonus < 0
  bonus_order,          // max_bonus < min_bonus
  bonus_too_large,      // max_bonus ≥ 1: the liquidator would take the whole notional
  duration_invalid,     // duration_ns ≤ 0
  share_out_of_range,   // protocol_share outside [0, 1]
  before_start,         // the clock is earlier than the liquidation's start
};

const char* auction_status_name(AuctionStatus status) noexcept;

// ok or the first failing rule, in the enum's order.
AuctionStatus validate(const AuctionParams& params);

struct AuctionQuote {
  AuctionStatus status = AuctionStatus::ok;
  Ratio bonus;           // total bonus fraction now
  Ratio protocol_fee;    // the protocol's part of bonus: bonus × share, rounded up
  Ratio liquidator_bonus;  // bonus − protocol_fee
};

// The bonus at `now_ns` for a liquidation that started at `start_ns`:
// min + (max − min) × min(now − start, duration) / duration, rounded down.
AuctionQuote auction_bonus(const AuctionParams& params, TimestampNs start_ns, TimestampNs now_ns);

struct BonusSplit {
  Money total;       // closed notional × bonus: charged to the liquidated account, rounded up
  Money protocol;    // total × share, rounded up
  Money liquidator;  // total − protocol
};

// The bonus of a close of `closed_notional` (≥ 0) in money; nullopt on overflow.
std::optional<BonusSplit> split_bonus(Money closed_notional, const AuctionQuote& quote, Ratio protocol_share);

// The price a position closes at with this bonus is discounted_price(size, oracle, quote.bonus)
// (sizing.hpp): rounded like the price band's bounds, so a bonus within the band's discount
// always gives a price inside the band.

}  // namespace ballast::liquidation
